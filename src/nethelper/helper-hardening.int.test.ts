/**
 * The network helper's confinement against a REAL Docker Engine (its own dockerd, "helpersec"): with
 * only NET_ADMIN, NET_RAW and SYS_ADMIN, no host PIDs, no-new-privileges, a read-only root and pid
 * and memory limits, it still does pipework's whole attach into a container started AFTER it (the
 * engine's netns folder reaches it through rslave propagation); each of the three capabilities is
 * needed; PIDs are no way in; and an engine answer naming another path is refused.
 *
 * The engine shares this machine's network namespace: the test's bridge and veth carry names of
 * their own and are removed at the end.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { startDockerEngine, type DockerEngineHandle } from '../../testing/harness/docker-engine.js';
import { execInContainer } from '../docker/exec.js';
import { isSwarmopError } from '../errors.js';
import { packageFile } from '../package-info.js';
import { HELPER_IDLE_CMD, HELPER_ROOTFS, HelperImageProvisioner } from './helper-image.js';
import { HELPER_CONFIG_LABEL, HELPER_HARDENING, helperHostConfig, ResidentNetHelper } from './net-helper.js';
import { HELPER_NETNS_DIR } from './netns-file.js';
import type { Step } from '../controllers/staticipattachment/plan.js';
import { applyProgram } from '../controllers/staticipattachment/execute.js';
import type { Resource } from '../crds/index.js';
import { recordingContext } from '../../testing/util/reconcile-context.js';
import { attachment } from '../../testing/lab/staticip-fixtures.js';
import { createStaticIPAttachmentReconciler } from '../controllers/staticipattachment/index.js';

const LABEL = { 'io.swarmop.test': 'helper-hardening' };
const HELPER = 'swarmop-nethelper-hardening';
const BRIDGE = 'brhsec0';
const HOST_VETH = 'vhsec0';
const MAC = '02:42:0a:fb:4d:05';

describe('the network helper with the reduced capability set, on a real engine', () => {
  let engine: DockerEngineHandle;
  let docker: Docker;
  let images: HelperImageProvisioner;
  const host = (): { name: string; docker: Docker } => ({ name: 'helpersec', docker });

  const cleanHost = async (): Promise<void> => {
    // Our bridge and host veth only, in this machine's namespace (the engine's host namespace).
    for (const link of [HOST_VETH, BRIDGE]) {
      await execInContainer(docker, HELPER, ['ip', 'link', 'del', link]).catch(() => undefined);
    }
  };

  before(async () => {
    assert.ok(existsSync(packageFile(HELPER_ROOTFS)), `${HELPER_ROOTFS} missing: run hack/helper-rootfs.sh`);
    engine = await startDockerEngine({ name: 'helpersec' });
    docker = new Docker({ socketPath: engine.socketPath });
    for (const c of (await docker.listContainers({ all: true })) as { Id: string }[])
      await docker.getContainer(c.Id).remove({ force: true });
    images = new HelperImageProvisioner({});
    assert.notEqual((await images.ensure(host())).state, 'Failed');
  });
  after(async () => {
    if (docker) {
      await cleanHost().catch(() => undefined);
      for (const c of (await docker.listContainers({ all: true })) as { Id: string }[])
        await docker.getContainer(c.Id).remove({ force: true });
    }
    await engine?.stop();
  });

  const workload = async (name: string): Promise<Docker.Container> => {
    const w = await docker.createContainer({
      name,
      Image: images.image,
      Entrypoint: [''],
      Cmd: HELPER_IDLE_CMD,
      OpenStdin: true,
      Labels: LABEL,
      HostConfig: { NetworkMode: 'none' },
    });
    await w.start();
    return w;
  };

  it('attaches an address inside a container started after the helper, and docker inspect shows the hardening', async () => {
    const helper = new ResidentNetHelper({ image: images.image, labels: LABEL, containerName: HELPER });
    const helperId = await helper.containerId(host());
    await cleanHost();
    // Started after the helper: its netns file appears in the helper only through propagation.
    const w = await workload('hsec-workload');
    const info = await w.inspect();
    const netns = await helper.netnsPath(host(), info.NetworkSettings.SandboxKey);
    assert.equal(netns, `${HELPER_NETNS_DIR}/${info.NetworkSettings.SandboxKey.split('/').pop()}`);

    const steps: Step[] = [
      { kind: 'create-bridge', bridge: BRIDGE, mtu: 1500 },
      { kind: 'bridge-up', bridge: BRIDGE },
      { kind: 'create-veth', hostVeth: HOST_VETH, bridge: BRIDGE, mtu: 1500, netns, iface: 'eth1' },
      { kind: 'set-mac', netns, iface: 'eth1', mac: MAC },
      { kind: 'set-address', netns, iface: 'eth1', cidr: '10.251.77.5/24', remove: [] },
      { kind: 'link-up', netns, iface: 'eth1' },
      { kind: 'gateway', netns, iface: 'eth1', gateway: '10.251.77.1' },
    ];
    const r = await helper.run(host(), applyProgram(steps));
    assert.equal(r.failedAt, undefined, r.stderr);
    // arping (NET_RAW) run in the foreground, to see its exit code (the plan detaches it).
    const arping = await execInContainer(docker, HELPER, [
      'nsenter',
      `--net=${netns}`,
      'arping',
      '-c',
      '1',
      '-U',
      '-I',
      'eth1',
      '10.251.77.5',
    ]);
    assert.equal(arping.exitCode, 0, arping.stderr);

    // Seen from the container itself: in its own namespace, with its address, MAC and route.
    const inside = await execInContainer(docker, 'hsec-workload', ['ip', '-j', 'addr', 'show', 'dev', 'eth1']);
    const [eth1] = JSON.parse(inside.stdout) as { address: string; operstate: string; addr_info: { local: string; prefixlen: number }[] }[];
    assert.equal(eth1?.address, MAC);
    assert.deepEqual(
      eth1?.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
      ['10.251.77.5/24'],
    );
    assert.match(
      (await execInContainer(docker, 'hsec-workload', ['ip', 'route', 'show', 'default'])).stdout,
      /^default via 10\.251\.77\.1 dev eth1/,
    );
    // And in the host's namespace: the host end on the bridge, no eth1 with that address.
    const hostLinks = JSON.parse((await execInContainer(docker, HELPER, ['ip', '-j', 'addr'])).stdout) as {
      ifname: string;
      master?: string;
      addr_info: { local: string }[];
    }[];
    assert.equal(hostLinks.find((l) => l.ifname === HOST_VETH)?.master, BRIDGE);
    assert.ok(!hostLinks.some((l) => l.addr_info.some((a) => a.local === '10.251.77.5')), 'the address is not in the host namespace');

    // docker inspect of the helper.
    const h = await docker.getContainer(helperId).inspect();
    const hc = h.HostConfig as Docker.HostConfig & {
      Mounts?: { Type: string; Source: string; Target: string; ReadOnly?: boolean; BindOptions?: { Propagation?: string } }[];
    };
    assert.deepEqual([...(hc.CapAdd ?? [])].sort(), ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.equal(hc.PidsLimit, HELPER_HARDENING.pidsLimit);
    assert.equal(hc.Memory, HELPER_HARDENING.memoryBytes);
    assert.notEqual(hc.PidMode, 'host');
    assert.equal(hc.Privileged, false);
    assert.equal(hc.NetworkMode, 'host');
    const engineDir = info.NetworkSettings.SandboxKey.slice(0, info.NetworkSettings.SandboxKey.lastIndexOf('/'));
    assert.deepEqual(hc.Mounts, [
      { Type: 'bind', Source: engineDir, Target: HELPER_NETNS_DIR, ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
    ]);
    assert.deepEqual(
      h.Mounts.map((m) => [m.Destination, m.RW]),
      [[HELPER_NETNS_DIR, false]],
    );
    console.log(
      `# helper: CapAdd ${JSON.stringify(hc.CapAdd)} CapDrop ${JSON.stringify(hc.CapDrop)} PidMode ${JSON.stringify(hc.PidMode)} ReadonlyRootfs ${hc.ReadonlyRootfs} PidsLimit ${hc.PidsLimit} Memory ${hc.Memory} netns ${engineDir} -> ${HELPER_NETNS_DIR} (ro, rslave)`,
    );

    // Its root filesystem and the netns folder are read-only; it sees no host process.
    assert.notEqual((await execInContainer(docker, HELPER, ['sh', '-c', 'echo x > /etc/x'])).exitCode, 0);
    assert.notEqual((await execInContainer(docker, HELPER, ['sh', '-c', `echo x > ${HELPER_NETNS_DIR}/x`])).exitCode, 0);
    const byPid = await execInContainer(docker, HELPER, ['nsenter', '-t', String(info.State.Pid), '-n', 'ip', 'link']);
    assert.notEqual(byPid.exitCode, 0, 'the container cannot be entered through its PID');
    assert.match(byPid.stderr, /No such file|No such process/);
  });

  it('each of the three capabilities is needed: without it the step it serves fails', async () => {
    const w = await docker.getContainer('hsec-workload').inspect();
    const key = w.NetworkSettings.SandboxKey;
    const netns = `${HELPER_NETNS_DIR}/${key.split('/').pop()}`;
    const dir = key.slice(0, key.lastIndexOf('/'));
    const probe = async (without: string): Promise<{ enter: number; linkAdd: number; arping: number }> => {
      const hostConfig = helperHostConfig(dir);
      const c = await docker.createContainer({
        name: `hsec-without-${without.toLowerCase().replace('_', '-')}`,
        Image: images.image,
        Entrypoint: [''],
        Cmd: HELPER_IDLE_CMD,
        OpenStdin: true,
        Labels: LABEL,
        HostConfig: { ...hostConfig, CapAdd: hostConfig.CapAdd!.filter((x: string) => x !== without) },
      });
      await c.start();
      try {
        const run = async (argv: string[]): Promise<number> => (await execInContainer(docker, c.id, argv)).exitCode;
        const enter = await run(['nsenter', `--net=${netns}`, 'ip', 'link', 'show', 'eth1']);
        const linkAdd = await run(['ip', 'link', 'add', 'hsecprobe0', 'type', 'bridge']);
        await run(['ip', 'link', 'del', 'hsecprobe0']);
        // The packet socket arping opens, in the host's namespace (no namespace change; -D: no source address needed).
        const arping = await run(['arping', '-D', '-c', '1', '-I', BRIDGE, '10.251.77.9']);
        return { enter, linkAdd, arping };
      } finally {
        await c.remove({ force: true });
      }
    };
    const ok = (n: number): boolean => n === 0;
    const withoutSysAdmin = await probe('SYS_ADMIN');
    assert.deepEqual(
      [ok(withoutSysAdmin.enter), ok(withoutSysAdmin.linkAdd), ok(withoutSysAdmin.arping)],
      [false, true, true],
      'SYS_ADMIN: setns',
    );
    const withoutNetAdmin = await probe('NET_ADMIN');
    assert.deepEqual(
      [ok(withoutNetAdmin.enter), ok(withoutNetAdmin.linkAdd), ok(withoutNetAdmin.arping)],
      [true, false, true],
      'NET_ADMIN: links',
    );
    const withoutNetRaw = await probe('NET_RAW');
    assert.deepEqual(
      [ok(withoutNetRaw.enter), ok(withoutNetRaw.linkAdd), ok(withoutNetRaw.arping)],
      [true, true, false],
      'NET_RAW: arping',
    );
  });

  it("an engine answer naming another path is refused before any program runs: the host's own namespace, /proc, a .. path", async () => {
    const helper = new ResidentNetHelper({ image: images.image, labels: LABEL, containerName: HELPER });
    const hostNet = await docker.createContainer({
      name: 'hsec-hostnet',
      Image: images.image,
      Entrypoint: [''],
      Cmd: HELPER_IDLE_CMD,
      OpenStdin: true,
      Labels: LABEL,
      HostConfig: { NetworkMode: 'host' },
    });
    await hostNet.start();
    const hostKey = (await hostNet.inspect()).NetworkSettings.SandboxKey;
    assert.match(hostKey, /\/netns\/default$/);
    const dir = hostKey.slice(0, hostKey.lastIndexOf('/'));
    for (const key of [hostKey, '/proc/1/ns/net', `${dir}/../../../proc/1/ns/net`, '/var/run/other/netns/0123456789ab']) {
      await assert.rejects(helper.netnsPath(host(), key), (e: unknown) => isSwarmopError(e, 'Invalid'), key);
    }
  });

  it("the reconciler attaches through it from the engine's SandboxKey, detaches on delete, and refuses a --net host container without touching the host", async () => {
    const ctx = recordingContext({ hosts: [{ name: 'helpersec', address: '127.0.0.1', endpoint: engine.dockerHost }] });
    const reconciler = createStaticIPAttachmentReconciler({
      helper: new ResidentNetHelper({ image: images.image, labels: LABEL, containerName: HELPER }),
    });
    await workload('hsec-reconciled');
    const o = attachment('hsec-reconciled', {
      host: 'helpersec',
      container: 'hsec-reconciled',
      bridge: 'brhsec1',
      address: '10.251.78.5/24',
      gateway: '10.251.78.1',
      ownBridge: true,
    });
    ctx.objects.set(`StaticIPAttachment/${o.metadata.name}`, o as unknown as Resource);
    const out = await reconciler.reconcile(o, ctx);
    assert.equal(out.conditions[0]?.reason, 'Attached', JSON.stringify(out.conditions));
    assert.match(
      (await execInContainer(docker, 'hsec-reconciled', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth1'])).stdout,
      / 10\.251\.78\.5\/24 /,
    );
    await reconciler.finalize(o, ctx);
    assert.equal(
      (await execInContainer(docker, 'hsec-reconciled', ['ip', 'link', 'show', 'eth1'])).exitCode,
      1,
      'eth1 is gone from the container',
    );
    const links = async (): Promise<string[]> =>
      (
        JSON.parse((await execInContainer(docker, HELPER, ['ip', '-j', 'addr'])).stdout) as {
          ifname: string;
          addr_info: { local: string }[];
        }[]
      )
        .map((l) => `${l.ifname} ${l.addr_info.map((a) => a.local).join(',')}`)
        .sort();
    assert.ok(!(await links()).some((l) => l.startsWith('brhsec1 ')), 'its own bridge is deleted');

    // A container in the host's namespace (its SandboxKey is the engine's `default`): refused by its
    // network mode before the key is even looked at, and the host's links are as they were. The
    // key's own check (NetnsRefused) is covered by the reconciler's unit tests.
    const hostNet = await docker.createContainer({
      name: 'hsec-hostnet-target',
      Image: images.image,
      Entrypoint: [''],
      Cmd: HELPER_IDLE_CMD,
      OpenStdin: true,
      Labels: LABEL,
      HostConfig: { NetworkMode: 'host' },
    });
    await hostNet.start();
    const before = await links();
    const h = attachment('hsec-hostnet-target', {
      host: 'helpersec',
      container: 'hsec-hostnet-target',
      bridge: 'brhsec2',
      address: '10.251.79.5/24',
      gateway: '10.251.79.1',
      ownBridge: true,
    });
    ctx.objects.set(`StaticIPAttachment/${h.metadata.name}`, h as unknown as Resource);
    const refused = await reconciler.reconcile(h, ctx);
    assert.deepEqual(
      [refused.conditions[0]?.status, refused.conditions[0]?.reason],
      ['False', 'NoOwnNetworkNamespace'],
      JSON.stringify(refused.conditions),
    );
    assert.match(refused.conditions[0]?.message ?? '', /^spec\.container: .* has network mode host/);
    assert.deepEqual(await links(), before, 'nothing changed in the host namespace');
  });

  it('a helper left by an older operator (host PIDs, SYS_PTRACE) is replaced, not reused', async () => {
    await docker.getContainer(HELPER).remove({ force: true });
    const old = await docker.createContainer({
      name: HELPER,
      Image: images.image,
      Entrypoint: [''],
      Cmd: HELPER_IDLE_CMD,
      OpenStdin: true,
      Labels: LABEL,
      HostConfig: { NetworkMode: 'host', PidMode: 'host', CapAdd: ['NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE'] },
    });
    await old.start();
    const id = await new ResidentNetHelper({ image: images.image, labels: LABEL, containerName: HELPER }).containerId(host());
    assert.notEqual(id, old.id);
    const h = await docker.getContainer(id).inspect();
    assert.notEqual(h.HostConfig.PidMode, 'host');
    assert.deepEqual([...(h.HostConfig.CapAdd ?? [])].sort(), ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN']);
    assert.match(h.Config.Labels?.[HELPER_CONFIG_LABEL] ?? '', /^[0-9a-f]{16}$/);
    // The next operator reuses it as it is.
    assert.equal(await new ResidentNetHelper({ image: images.image, labels: LABEL, containerName: HELPER }).containerId(host()), id);
  });
});

describe('an engine whose netns folder is on a slave-only mount (a Docker-in-Docker host whose / was not made rshared)', () => {
  let engine: DockerEngineHandle;
  let docker: Docker;

  before(async () => {
    // The engine accepts the helper's rslave mount there, but namespaces made later never reach it.
    process.env['DOCKERD_RUN_PROPAGATION'] = 'slave';
    try {
      engine = await startDockerEngine({ name: 'helpersec-slave' });
    } finally {
      delete process.env['DOCKERD_RUN_PROPAGATION'];
    }
    docker = new Docker({ socketPath: engine.socketPath });
    for (const c of (await docker.listContainers({ all: true })) as { Id: string }[])
      await docker.getContainer(c.Id).remove({ force: true });
  });
  after(async () => {
    await engine?.stop();
  });

  it('the helper is refused at creation with a message saying what to fix, and none is left behind', async () => {
    const images = new HelperImageProvisioner({});
    const host = { name: 'helpersec-slave', docker };
    assert.notEqual((await images.ensure(host)).state, 'Failed');
    const helper = new ResidentNetHelper({ image: images.image, labels: LABEL, containerName: HELPER });
    await assert.rejects(
      helper.containerId(host),
      (e: unknown) =>
        isSwarmopError(e, 'Unavailable') &&
        /is not on a shared mount: namespaces of containers started after the network helper do not reach it.*mount --make-rshared \//.test(
          e.message,
        ),
    );
    assert.deepEqual(await docker.listContainers({ all: true }), [], 'neither the helper nor its probe is left');
  });
});
