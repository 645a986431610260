/**
 * `swarmop adopt --dry-run` against a REAL Docker Engine of this test's own (hack/dockerd.sh with
 * DOCKERD_OWN_NAMESPACES=1: its host is a network namespace nobody else uses). Containers are
 * attached by hand the way pipework does it (a bridge, a veth pair whose host end is veth1pl<pid>,
 * the other end moved into the container, renamed eth1, given the address and the default route),
 * with `ip` run in the engine's and the containers' namespaces. The report, through the CLI as a
 * user runs it, must give the controller's verdicts — adopt-as-is for the exact match, blocked
 * InterfaceConflict for another address, would-change for a container without the interface — and
 * the engine's host must be exactly as before: containers, images, links, addresses, routes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { startDockerEngine, type DockerEngineHandle } from '../../../testing/harness/docker-engine.js';
import { captureIo } from '../../../testing/util/capture-io.js';
import { main } from '../main.js';
import { packageFile } from '../../package-info.js';
import { HELPER_IDLE_CMD, HELPER_ROOTFS, HelperImageProvisioner } from '../../nethelper/helper-image.js';
import { ResidentNetHelper } from '../../nethelper/net-helper.js';
import type { AdoptionFinding } from '../../controllers/adoption-finding.js';
import type { OpenStore } from '../program/cli-context.js';

const execFileP = promisify(execFile);
const ENGINE = 'itest-adopt';
const TEST_LABELS = { 'io.swarmop.test': 'adopt-dry-run' };
const WORKLOAD_IMAGE = 'swarmop-test/adopt-workload:1';
const BRIDGE = 'brpw0';

let engine: DockerEngineHandle;
let docker: Docker;
let enginePid: number;
let dir: string;

async function run(argv: string[]): Promise<string> {
  const { stdout } = await execFileP(argv[0]!, argv.slice(1), { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** `ip ARGS` in the engine's host namespace. */
const hostIp = (...args: string[]) => run(['nsenter', `--net=/proc/${enginePid}/ns/net`, 'ip', ...args]);
/** `ip ARGS` in a container's namespace, by its PID. */
const containerIp = (pid: number, ...args: string[]) => run(['nsenter', '-t', String(pid), '-n', 'ip', ...args]);

async function pidOf(name: string): Promise<number> {
  return (await docker.getContainer(name).inspect()).State.Pid;
}

async function workload(name: string): Promise<number> {
  const c = await docker.createContainer({
    name,
    Image: WORKLOAD_IMAGE,
    Entrypoint: [],
    Cmd: HELPER_IDLE_CMD,
    OpenStdin: true,
    Labels: TEST_LABELS,
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  return pidOf(name);
}

/** pipework br0 NAME ADDRESS/24@GATEWAY, step by step. */
async function pipework(name: string, cidr: string, gateway: string): Promise<void> {
  const pid = await pidOf(name);
  const hostEnd = `veth1pl${pid}`;
  const peer = `veth1pg${pid}`;
  await hostIp('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', peer);
  await hostIp('link', 'set', hostEnd, 'master', BRIDGE);
  await hostIp('link', 'set', hostEnd, 'up');
  await hostIp('link', 'set', peer, 'netns', String(pid));
  await containerIp(pid, 'link', 'set', peer, 'name', 'eth1');
  await containerIp(pid, 'addr', 'add', cidr, 'dev', 'eth1');
  await containerIp(pid, 'link', 'set', 'eth1', 'up');
  await containerIp(pid, 'route', 'add', 'default', 'via', gateway);
}

/** The engine and its host as they are now. */
async function snapshot(): Promise<Record<string, unknown>> {
  const containers = await Promise.all(
    ((await docker.listContainers({ all: true })) as { Id: string }[]).map(async (c) => {
      const i = await docker.getContainer(c.Id).inspect();
      return { id: i.Id, name: i.Name, status: i.State.Status, pid: i.State.Pid, restarts: i.RestartCount };
    }),
  );
  containers.sort((a, b) => a.name.localeCompare(b.name));
  const inside: Record<string, unknown> = {};
  for (const c of containers)
    if (c.pid > 0)
      inside[c.name] = [JSON.parse(await containerIp(c.pid, '-json', 'addr')), JSON.parse(await containerIp(c.pid, '-json', 'route'))];
  return {
    containers,
    images: ((await docker.listImages({ all: true })) as { Id: string; RepoTags?: string[] }[]).map((i) => `${i.Id} ${i.RepoTags}`).sort(),
    links: JSON.parse(await hostIp('-json', 'addr')) as unknown,
    routes: JSON.parse(await hostIp('-json', 'route', 'show', 'table', 'all')) as unknown,
    inside,
  };
}

/** A snapshot once two looks a second apart agree and no address is tentative (IPv6 DAD). */
async function settled(): Promise<Record<string, unknown>> {
  let prev = await snapshot();
  for (let i = 0; i < 30; i += 1) {
    await new Promise((r) => setTimeout(r, 1_000));
    const next = await snapshot();
    const text = JSON.stringify(next);
    if (text === JSON.stringify(prev) && !text.includes('"tentative":true')) return next;
    prev = next;
  }
  throw new Error('the engine host did not settle in 30 s');
}

const noStore: OpenStore = () => assert.fail('adopt --dry-run must not open the store');

async function adopt(): Promise<{ code: number; items: Map<string, AdoptionFinding>; err: string }> {
  const io = captureIo();
  const code = await main(['adopt', '--dry-run', '-o', 'json', '-f', dir], io, { openStore: noStore });
  const doc = JSON.parse(io.out || '{"items":[]}') as { items: AdoptionFinding[] };
  return { code, err: io.err, items: new Map(doc.items.map((i) => [`${i.kind}/${i.name}`, i])) };
}

async function removeTestContainers(): Promise<void> {
  for (const c of (await docker.listContainers({ all: true })) as { Id: string }[]) await docker.getContainer(c.Id).remove({ force: true });
}

describe('adopt --dry-run on a real engine with pipework-attached containers', () => {
  before(async () => {
    assert.ok(existsSync(packageFile(HELPER_ROOTFS)), `${HELPER_ROOTFS} missing: run hack/helper-rootfs.sh`);
    process.env['DOCKERD_OWN_NAMESPACES'] = '1';
    try {
      engine = await startDockerEngine({ name: ENGINE });
    } finally {
      delete process.env['DOCKERD_OWN_NAMESPACES'];
    }
    enginePid = Number(readFileSync(`/run/swarmop-${ENGINE}/dockerd.pid`, 'utf8').trim());
    assert.notEqual((await run(['readlink', `/proc/${enginePid}/ns/net`])).trim(), (await run(['readlink', '/proc/self/ns/net'])).trim());
    docker = new Docker({ socketPath: engine.socketPath });
    await removeTestContainers();
    for (const i of (await docker.listImages()) as { Id: string }[]) await docker.getImage(i.Id).remove({ force: true });
    await hostIp('link', 'del', BRIDGE).catch(() => undefined);

    // Workloads from the helper's root filesystem under a tag of their own: the helper image itself
    // is not on the host yet, as on a host swarmop never touched.
    const stream = await (docker.importImage(
      readFileSync(packageFile(HELPER_ROOTFS)) as never,
      {
        repo: 'swarmop-test/adopt-workload',
        tag: '1',
      } as never,
    ) as unknown as Promise<NodeJS.ReadableStream>);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
    );
    await hostIp('link', 'add', BRIDGE, 'type', 'bridge');
    await hostIp('link', 'set', BRIDGE, 'up');
    await workload('pw-same');
    await workload('pw-other');
    await workload('pw-none');
    await pipework('pw-same', '10.250.1.14/24', '10.250.1.1');
    await pipework('pw-other', '10.250.1.77/24', '10.250.1.1');

    dir = await mkdtemp(path.join(tmpdir(), 'adopt-int-'));
    const sia = (name: string, container: string, address: string) =>
      `---\napiVersion: swarmop.io/v1alpha1\nkind: StaticIPAttachment\nmetadata: {name: ${name}}\n` +
      `spec: {host: engine, container: ${container}, bridge: ${BRIDGE}, address: ${address}, gateway: 10.250.1.1}\n`;
    await writeFile(
      path.join(dir, 'manifests.yaml'),
      `apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: engine}\nspec: {endpoint: "${engine.dockerHost}", address: 10.250.1.2}\n` +
        sia('same', 'pw-same', '10.250.1.14/24') +
        sia('other', 'pw-other', '10.250.1.19/24') +
        sia('none', 'pw-none', '10.250.1.20/24'),
    );
  });

  after(async () => {
    if (docker) await removeTestContainers().catch(() => undefined);
    if (enginePid) await hostIp('link', 'del', BRIDGE).catch(() => undefined);
    await engine?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'without the network helper: the host would get the helper image, the attachments are unobserved, and nothing changes',
    { timeout: 120_000 },
    async () => {
      const before = await settled();
      const r = await adopt();
      assert.equal(r.code, 10, r.err);
      const host = r.items.get('DockerHost/engine')!;
      assert.equal(host.verdict, 'would-change', JSON.stringify(host));
      assert.match(host.steps[0]!, /^import the network helper image swarmop\/nethelper:/);
      for (const name of ['same', 'other', 'none']) {
        const f = r.items.get(`StaticIPAttachment/${name}`)!;
        assert.equal(f.verdict, 'unobserved', JSON.stringify(f));
        assert.match(f.steps[0]!, /^install the network helper on engine/);
      }
      assert.deepEqual(await settled(), before);
    },
  );

  it(
    "with the operator's helper on the host: the exact pipework match is adopt-as-is, another address blocked, a missing interface would-change; nothing changes",
    { timeout: 180_000 },
    async () => {
      // What a first apply leaves on a host: the helper image, and the resident helper container.
      const images = new HelperImageProvisioner({});
      const helper = new ResidentNetHelper({ image: images.image, ensureImage: (h) => images.require(h), labels: TEST_LABELS });
      await helper.containerId({ name: 'engine', docker });

      const before = await settled();
      const table = captureIo();
      assert.equal(await main(['adopt', '--dry-run', '-f', dir], table, { openStore: noStore }), 9, table.err);
      console.log(table.out.replace(/^/gm, '# '));
      const r = await adopt();
      assert.equal(r.code, 9, r.err);
      assert.equal(r.items.get('DockerHost/engine')?.verdict, 'adopt-as-is');
      const same = r.items.get('StaticIPAttachment/same')!;
      assert.equal(same.verdict, 'adopt-as-is', JSON.stringify(same));
      assert.equal(same.steps.length, 1);
      assert.match(same.steps[0]!, new RegExp(`^rename the host end veth1pl${await pidOf('pw-same')} to swv<uid hash> \\(take over`));
      const other = r.items.get('StaticIPAttachment/other')!;
      assert.deepEqual([other.verdict, other.reason], ['blocked', 'InterfaceConflict'], JSON.stringify(other));
      assert.ok(
        other.found.some((x) => x.includes('10.250.1.77/24')),
        other.found.join('\n'),
      );
      const none = r.items.get('StaticIPAttachment/none')!;
      assert.equal(none.verdict, 'would-change', JSON.stringify(none));
      assert.ok(none.steps.some((s) => s.startsWith('create the veth pair swv<uid hash> on brpw0')));
      assert.deepEqual(await settled(), before);
    },
  );
});
