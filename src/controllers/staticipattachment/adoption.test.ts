import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KindName, StaticIPAttachment } from '../../crds/index.js';
import type { HostHandle, KindTypes, ObjectCache } from '../kind-reconciler.js';
import { scanByIndex } from '../kind-indexes.js';
import { commandsOfArgv, isReadOnlyProgram, ReadOnlyNetHelper } from '../../nethelper/read-only-helper.js';
import { configHash, DEFAULT_HELPER_NAME, HELPER_CONFIG_LABEL, HELPER_NETNS_DIR_LABEL } from '../../nethelper/net-helper.js';
import { defaultHelperImage } from '../../nethelper/helper-image.js';
import { helperNetnsPath } from '../../nethelper/netns-file.js';
import { type FakeContainer, readOnlyEngine } from '../../../testing/fakes/read-only-engine.js';
import { assessAttachmentAdoption } from './adoption.js';
import { observeProgram } from './observe.js';
import { applyProgram } from './execute.js';
import { planAttachment } from './plan.js';
import { desiredFor, vethNames } from './desired.js';

const NETNS_DIR = '/var/run/docker/netns';
const SANDBOX = `${NETNS_DIR}/0123456789ab`;
const CID = 'c0ffee'.repeat(10);

function sia(name: string, spec: Record<string, unknown> = {}): StaticIPAttachment {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name },
    spec: {
      host: 'consul01',
      container: 'ubuntu114',
      bridge: 'br0',
      interface: 'eth1',
      address: '192.168.116.114/24',
      gateway: '192.168.116.1',
      ...spec,
    },
  } as StaticIPAttachment;
}

function cacheOf(objs: StaticIPAttachment[]): ObjectCache {
  const ofKind = <K extends KindName>(k: K) => objs.filter((o) => o.kind === k) as unknown as KindTypes[K][];
  return {
    get: <K extends KindName>(k: K, n: string) => ofKind(k).find((o) => o.metadata.name === n),
    list: ofKind,
    byIndex: <K extends KindName>(k: K, index: string, value: string) => scanByIndex(k, index, value, ofKind(k)),
  };
}

const workload = (over: Partial<FakeContainer> = {}): FakeContainer => ({
  Id: CID,
  State: { Running: true, Pid: 4242 },
  Config: { Image: 'ubuntu:24.04', Labels: {} },
  HostConfig: { NetworkMode: 'bridge' },
  NetworkSettings: { SandboxKey: SANDBOX },
  ...over,
});

const helperContainer = (running = true): FakeContainer => ({
  Id: 'he1per'.repeat(10),
  State: { Running: running, Pid: running ? 99 : 0 },
  Config: { Image: defaultHelperImage(), Labels: { [HELPER_NETNS_DIR_LABEL]: NETNS_DIR, [HELPER_CONFIG_LABEL]: configHash(NETNS_DIR) } },
  HostConfig: { NetworkMode: 'host' },
  NetworkSettings: { SandboxKey: `${NETNS_DIR}/default` },
});

const lo = { ifindex: 1, ifname: 'lo', flags: ['UP'], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [] };
const br0 = {
  ifindex: 5,
  ifname: 'br0',
  flags: ['UP'],
  mtu: 1500,
  address: '02:00:00:00:00:05',
  linkinfo: { info_kind: 'bridge' },
  addr_info: [],
};
/** pipework's host end of the pair: veth1pl<pid>, on br0. */
const pipeworkEnd = {
  ifindex: 9,
  ifname: 'veth1pl4242',
  flags: ['UP'],
  mtu: 1500,
  master: 'br0',
  address: '02:00:00:00:00:09',
  linkinfo: { info_kind: 'veth' },
  addr_info: [],
};
const eth1 = (ip: string) => ({
  ifindex: 2,
  ifname: 'eth1',
  flags: ['UP'],
  mtu: 1500,
  address: '02:00:00:00:00:02',
  link_index: 9,
  link_netnsid: 0,
  linkinfo: { info_kind: 'veth' },
  addr_info: [{ family: 'inet', local: ip, prefixlen: 24, scope: 'global' }],
});

interface NetWorld {
  hostLinks: unknown[];
  containerLinks: unknown[];
  containerRoutes: unknown[];
}

/** The runner's output for the observe program over `net` (one JSON line per batch line, then its step marker). */
function observeOutput(net: NetWorld, commands: number): string {
  const host = `${JSON.stringify(net.hostLinks)}\n[]\n@@swarmop-step 0 0@@\n`;
  const container = `${JSON.stringify(net.containerLinks)}\n${JSON.stringify(net.containerRoutes)}\n@@swarmop-step 1 0@@\n`;
  return commands === 2 ? host + container : host;
}

const pipeworkNet = (ip = '192.168.116.114'): NetWorld => ({
  hostLinks: [lo, br0, pipeworkEnd],
  containerLinks: [lo, eth1(ip)],
  containerRoutes: [{ dst: 'default', gateway: '192.168.116.1', dev: 'eth1', flags: [] }],
});

function scenario(options: {
  containers?: Record<string, FakeContainer>;
  net?: NetWorld;
  ready?: boolean;
  objects?: StaticIPAttachment[];
}) {
  const engine = readOnlyEngine({
    containers: options.containers ?? { ubuntu114: workload(), [DEFAULT_HELPER_NAME]: helperContainer() },
  });
  const programs: string[][] = [];
  const helper = new ReadOnlyNetHelper({
    exec: async (_docker, container, argv) => {
      programs.push([container, ...argv]);
      const commands = commandsOfArgv(argv);
      assert.ok(commands && isReadOnlyProgram(commands), 'only read-only programs reach the helper');
      return { exitCode: 0, stdout: observeOutput(options.net ?? pipeworkNet(), commands.length), stderr: '' };
    },
  });
  const host: HostHandle = { name: 'consul01', address: '192.168.116.112', docker: engine.docker, ready: options.ready ?? true };
  const objects = options.objects ?? [sia('ubuntu114')];
  const ctx = { hosts: { get: (n: string) => (n === 'consul01' ? host : undefined), list: () => [host] }, cache: cacheOf(objects), helper };
  return { engine, programs, ctx, objects };
}

test("a container pipework attached exactly as declared is adopt-as-is: only its host end is renamed to swarmop's name", async () => {
  const s = scenario({});
  const f = await assessAttachmentAdoption(s.objects[0]!, s.ctx);
  assert.equal(f.verdict, 'adopt-as-is', JSON.stringify(f));
  assert.equal(f.steps.length, 1);
  assert.equal(f.steps[0], 'rename the host end veth1pl4242 to swv<uid hash> (take over the pair as it is; no restart, the address stays)');
  assert.ok(
    f.found.some((x) => /^eth1 in ubuntu114: veth link, up, 192\.168\.116\.114\/24, .*host end veth1pl4242 on br0$/.test(x)),
    f.found.join('\n'),
  );
  assert.ok(f.found.some((x) => x.startsWith('InterfaceAdopted: ')));
  assert.deepEqual(s.engine.writes, []);
  assert.equal(s.programs.length, 1, 'one observe program, in the helper already there');
});

test("an object that already has a uid (read from the store) shows swarmop's veth name, which is made from it", async () => {
  const withUid = { ...sia('ubuntu114'), metadata: { name: 'ubuntu114', uid: 'uid-1' } } as StaticIPAttachment;
  const s = scenario({ objects: [withUid] });
  const f = await assessAttachmentAdoption(withUid, s.ctx);
  assert.match(f.steps[0]!, new RegExp(`^rename the host end veth1pl4242 to ${vethNames('uid-1').hostVeth} `));
});

test('the same pair holding another address is blocked with InterfaceConflict, as the controller would set it', async () => {
  const s = scenario({ net: pipeworkNet('192.168.116.200') });
  const f = await assessAttachmentAdoption(s.objects[0]!, s.ctx);
  assert.deepEqual([f.verdict, f.reason], ['blocked', 'InterfaceConflict']);
  assert.match(f.message ?? '', /host end veth1pl4242 on br0/);
  assert.deepEqual(s.engine.writes, []);
});

test('a container without the interface is would-change, with the attach steps planAttachment gives', async () => {
  const net = { hostLinks: [lo, br0], containerLinks: [lo], containerRoutes: [] };
  const s = scenario({ net });
  const f = await assessAttachmentAdoption(s.objects[0]!, s.ctx);
  assert.equal(f.verdict, 'would-change');
  assert.deepEqual(
    f.steps.map((x) => x.split(' ').slice(0, 2).join(' ')),
    ['create the', 'set 192.168.116.114/24', 'set eth1', 'default route', 'announce 192.168.116.114'],
  );
  assert.ok(f.found.includes('eth1 in ubuntu114: missing'));
  assert.deepEqual(s.engine.writes, []);
});

test('without a network helper on the host the line is unobserved: it says apply would install it, and runs nothing', async () => {
  const s = scenario({ containers: { ubuntu114: workload() } });
  const f = await assessAttachmentAdoption(s.objects[0]!, s.ctx);
  assert.equal(f.verdict, 'unobserved');
  assert.match(f.steps[0]!, /^install the network helper on consul01 \(container swarmop-nethelper, image swarmop\/nethelper:/);
  assert.match(f.message ?? '', /not running on consul01; the dry run does not start it/);
  assert.deepEqual(s.programs, []);
  assert.deepEqual(s.engine.writes, []);
});

test('a stopped helper is not started either: unobserved, with "start the network helper" as apply\'s first step', async () => {
  const s = scenario({ containers: { ubuntu114: workload(), [DEFAULT_HELPER_NAME]: helperContainer(false) } });
  const f = await assessAttachmentAdoption(s.objects[0]!, s.ctx);
  assert.deepEqual([f.verdict, f.steps[0]], ['unobserved', 'start the network helper on consul01']);
  assert.deepEqual(s.engine.writes, []);
});

test('blocked cases carry the reason the controller sets: no container, not running, no netns of its own, a shared address', async () => {
  const missing = scenario({ containers: { [DEFAULT_HELPER_NAME]: helperContainer() } });
  const a = await assessAttachmentAdoption(missing.objects[0]!, missing.ctx);
  assert.deepEqual([a.verdict, a.reason], ['blocked', 'ContainerNotFound']);

  const stopped = scenario({ containers: { ubuntu114: workload({ State: { Running: false, Pid: 0 } }) } });
  const b = await assessAttachmentAdoption(stopped.objects[0]!, stopped.ctx);
  assert.deepEqual([b.verdict, b.reason], ['blocked', 'ContainerNotRunning']);

  const hostNet = scenario({ containers: { ubuntu114: workload({ HostConfig: { NetworkMode: 'host' } }) } });
  const c = await assessAttachmentAdoption(hostNet.objects[0]!, hostNet.ctx);
  assert.deepEqual([c.verdict, c.reason], ['blocked', 'NoOwnNetworkNamespace']);

  const twice = [sia('first'), sia('second', { container: 'other' })];
  const shared = scenario({ objects: twice });
  const verdicts = await Promise.all(twice.map((o) => assessAttachmentAdoption(o, shared.ctx)));
  assert.deepEqual(
    verdicts.map((v) => v.reason ?? v.verdict),
    ['adopt-as-is', 'AddressConflict'],
  );
  for (const s of [missing, stopped, hostNet, shared]) assert.deepEqual(s.engine.writes, []);
});

test('a host that did not answer its probe is unreachable and is not called at all', async () => {
  const s = scenario({ ready: false });
  const f = await assessAttachmentAdoption(s.objects[0]!, s.ctx);
  assert.deepEqual([f.verdict, f.reason], ['unreachable', 'HostUnreachable']);
  assert.deepEqual([s.engine.reads, s.engine.writes], [[], []]);
});

test('the observe program is read-only and every program that repairs is refused by the read-only helper before any call', async () => {
  const ns = helperNetnsPath(SANDBOX, NETNS_DIR);
  assert.ok(isReadOnlyProgram(observeProgram(ns)) && isReadOnlyProgram(observeProgram(undefined)));
  const d = desiredFor(sia('ubuntu114'));
  const plan = planAttachment({
    desired: d,
    obs: { host: { links: [], defaultRoutes: [] }, container: { links: [], routes: [] } },
    pid: 4242,
    netns: ns,
    containerId: CID,
  });
  const repair = applyProgram(plan.steps);
  assert.ok(repair.length > 0);
  assert.equal(isReadOnlyProgram(repair), false);
  const s = scenario({});
  const host = s.ctx.hosts.get('consul01')!;
  await assert.rejects(s.ctx.helper.run(host, repair), /refused a program that is not read-only/);
  assert.deepEqual([s.programs, s.engine.writes, s.engine.reads], [[], [], []]);
});
