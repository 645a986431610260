/**
 * Shared by the lab integration test and bench/staticip.ts: labelled workload containers on lab
 * hosts, commands inside them, polling. Everything created here carries TEST_LABEL so cleanup
 * removes exactly what was created, by label.
 */
import type Docker from 'dockerode';
import { execInContainer } from '../../src/docker/exec.js';
import type { StaticIPAttachment, StaticIPAttachmentSpecInput } from '../../src/crds/index.js';
import { patiently } from './lab-precondition.js';

export const TEST_LABEL = 'io.swarmop.test';
export const TEST_LABEL_VALUE = 'staticip';
export const WORKLOAD_IMAGE = 'swarmop/workload:lab';

/** The engine answers a ping, within a generous timeout and a few retries (a loaded engine is slow, not gone). */
export async function labReachable(docker: Docker): Promise<boolean> {
  return (await patiently(() => docker.ping())) === undefined;
}

export async function runWorkload(docker: Docker, name: string, labels: Record<string, string> = {}): Promise<string> {
  await removeContainer(docker, name);
  const c = await docker.createContainer({
    name,
    Image: WORKLOAD_IMAGE,
    Labels: { 'io.swarmop.lab': '1', [TEST_LABEL]: TEST_LABEL_VALUE, ...labels },
    HostConfig: { NetworkMode: 'bridge' },
  });
  await c.start();
  return c.id;
}

export async function removeContainer(docker: Docker, name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
}

export async function removeLabelled(docker: Docker, value = TEST_LABEL_VALUE): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${value}`] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

/** Runs argv in a container; returns stdout, or undefined when it exited non-zero. */
export async function sh(docker: Docker, container: string, argv: string[]): Promise<string | undefined> {
  const r = await execInContainer(docker, container, argv, { timeoutMs: 10_000 });
  return r.exitCode === 0 ? r.stdout : undefined;
}

/** The `address/prefix` list on `iface` inside the container, as the container sees it ('' when absent or down). */
export async function addressInside(docker: Docker, container: string, iface = 'eth1'): Promise<string> {
  const out = await sh(docker, container, ['ip', '-j', 'addr', 'show', 'dev', iface, 'up']);
  if (!out) return '';
  const links = JSON.parse(out) as { addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return (links[0]?.addr_info ?? [])
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`)
    .join(',');
}

let seq = 0;
export function attachment(
  name: string,
  spec: Omit<StaticIPAttachmentSpecInput, 'interface'> & { interface?: string },
  createdAt?: string,
): StaticIPAttachment {
  seq += 1;
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: {
      name,
      uid: `test-${name}-${process.pid}`,
      generation: 1,
      creationTimestamp: createdAt ?? new Date(Date.now() + seq).toISOString(),
    },
    spec: { interface: 'eth1', ...spec },
  };
}
