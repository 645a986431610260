/**
 * The default network helper is the packing machine's binaries: a DockerHost whose engine reports
 * another architecture is told so in its HelperImageReady condition, and nothing is imported into it.
 * A recording fake engine and a tiny root filesystem archive stand in for a host and the package's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { elfHeader, tarOf } from '../../../testing/util/rootfs-archive.js';
import { HelperImageProvisioner } from '../../nethelper/helper-image.js';
import { createDockerHostReconciler } from './reconciler.js';

const dir = mkdtempSync(join(tmpdir(), 'swarmop-helper-arch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** An amd64 root filesystem, as `npm pack` on an x86-64 machine builds it. */
const rootfsPath = join(dir, 'nethelper-rootfs.tar.gz');
writeFileSync(
  rootfsPath,
  gzipSync(
    tarOf([
      { name: './etc/passwd', content: Buffer.from('root:x:0:0::/:/bin/sh\n') },
      { name: './usr/bin/ip', content: elfHeader(0x3e) },
    ]),
  ),
);

/** A Docker engine of the given architecture that lacks the helper image and records what it is asked. */
function fakeEngine(arch: string) {
  const calls: string[] = [];
  let imported = false;
  const engine = {
    calls,
    version: async () => ({ Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: arch, KernelVersion: '6.1.0' }),
    info: async () => ({ Swarm: { LocalNodeState: 'inactive' } }),
    getImage: (name: string) => ({
      inspect: async () => {
        calls.push(`inspect ${name}`);
        if (!imported) throw Object.assign(new Error('no such image'), { statusCode: 404 });
        return { Id: 'sha256:imported', Config: { Labels: {} } };
      },
    }),
    importImage: async (_: Buffer, o: { repo: string; tag: string }) => {
      calls.push(`import ${o.repo}:${o.tag}`);
      imported = true;
      return {};
    },
    modem: { followProgress: (_: unknown, done: (err: null, out: unknown[]) => void) => done(null, []) },
  };
  return engine;
}

async function reconcileHost(engine: ReturnType<typeof fakeEngine>) {
  const helperImages = new HelperImageProvisioner({ rootfsPath });
  const reconciler = createDockerHostReconciler({ helperImages });
  return reconciler.reconcile(
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'pi4' },
      spec: { endpoint: 'tcp://10.0.0.9:2375', address: '10.0.0.9' },
    } as never,
    {
      hosts: { get: () => ({ name: 'pi4', address: '10.0.0.9', docker: engine, ready: true }), list: () => [] },
      now: () => new Date(0),
    } as never,
  );
}

test('a host whose engine reports another architecture than the helper was built for gets HelperArchitectureMismatch naming both, and no import', async () => {
  const engine = fakeEngine('arm64');
  const out = await reconcileHost(engine);
  assert.deepEqual(
    out.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'True', 'Reachable'],
      ['HelperImageReady', 'False', 'HelperArchitectureMismatch'],
    ],
  );
  assert.match(out.conditions[1]!.message, /^helper image is built for amd64, host reports arm64/);
  assert.equal(out.observed.arch, 'arm64');
  assert.equal(out.observed.helperImage?.state, 'Failed');
  assert.deepEqual(engine.calls, [], 'nothing is looked up or imported on that host');
});

test('a host of the same architecture gets the helper imported', async () => {
  const engine = fakeEngine('amd64');
  const out = await reconcileHost(engine);
  assert.deepEqual(
    out.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'True', 'Reachable'],
      ['HelperImageReady', 'True', 'Imported'],
    ],
  );
  assert.deepEqual(
    engine.calls.filter((c) => c.startsWith('import')),
    [`import ${new HelperImageProvisioner().image}`],
  );
});

test('a helper about to start on a mismatched host is refused with the same reason, and nothing is imported', async () => {
  const engine = fakeEngine('arm64');
  const helperImages = new HelperImageProvisioner({ rootfsPath });
  await assert.rejects(
    helperImages.require({ name: 'pi4', docker: engine as never }),
    /helper image is built for amd64, host reports arm64/,
  );
  assert.deepEqual(engine.calls, []);
});
