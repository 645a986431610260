import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { KindName, Resource, StaticIPAttachment } from '../../crds/index.js';
import type { KindTypes, ObjectCache, KindReconcileContext, Repair } from '../kind-reconciler.js';
import type { HelperCommand, ProgramResult } from '../../nethelper/helper-program.js';
import type { NetHelper } from '../../nethelper/net-helper.js';
import { createStaticIPAttachmentReconciler } from './index.js';
import { scanByIndex } from '../kind-indexes.js';
import { createSilentLogger } from '../../runtime/logger.js';
import { vethNames } from './desired.js';
import { helperNetnsPath } from '../../nethelper/netns-file.js';

/** The fakes' engine keeps its netns files where Docker does by default. */
const ENGINE_NETNS = '/var/run/docker/netns';
const sandboxOf = (pid: number) => `${ENGINE_NETNS}/${String(pid).padStart(12, '0')}`;
const helperNs = (pid: number) => helperNetnsPath(sandboxOf(pid), ENGINE_NETNS);

function sia(
  name: string,
  spec: Record<string, unknown>,
  extra: Partial<Resource['metadata']> = {},
  status?: Resource['status'],
): StaticIPAttachment {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: '2024-01-01T00:00:00Z', ...extra },
    spec: { host: 'consul01', container: name, bridge: 'br0', address: '192.168.116.114/24', interface: 'eth1', ...spec },
    ...(status ? { status } : {}),
  };
}

function cacheOf(objs: StaticIPAttachment[]): ObjectCache {
  return {
    get: <K extends KindName>(_k: K, n: string) => objs.find((o) => o.metadata.name === n) as unknown as KindTypes[K] | undefined,
    list: <K extends KindName>(k: K) => objs.filter((o) => o.kind === k) as unknown as KindTypes[K][],
    byIndex: <K extends KindName>(k: K, index: string, value: string) =>
      scanByIndex(k, index, value, objs.filter((o) => o.kind === k) as unknown as KindTypes[K][]),
  };
}

/** A helper that must never be called: the cases below decide before touching a host. */
class NoHelper implements NetHelper {
  calls: HelperCommand[][] = [];
  async run(_h: unknown, cmds: readonly HelperCommand[]): Promise<ProgramResult> {
    this.calls.push([...cmds]);
    throw new Error('helper must not run');
  }
  async netnsPath(_h: unknown, key: unknown): Promise<string> {
    return helperNetnsPath(key, ENGINE_NETNS);
  }
}

/** A reconciler whose helper must never run, and that helper (to check it was not called). */
function reconcilerWithoutHelper(options: { retryAfterMs?: number } = {}) {
  const helper = new NoHelper();
  return { helper, r: createStaticIPAttachmentReconciler({ helper, ...options }) };
}

function ctx(objs: StaticIPAttachment[], hosts: string[] = []): KindReconcileContext & { repairs: Repair[] } {
  const repairs: Repair[] = [];
  return {
    log: undefined as never,
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts: { get: (n) => (hosts.includes(n) ? ({ name: n } as never) : undefined), list: () => [] },
    cache: cacheOf(objs),
    repairs,
    async repaired(r) {
      repairs.push(r);
    },
    async event() {},
    now: () => new Date('2024-01-01T00:00:00Z'),
  };
}

test('the newer of two attachments on one address is refused with AddressConflict before any host is touched', async () => {
  const { helper, r } = reconcilerWithoutHelper();
  const old = sia('a', {});
  const young = sia('b', {}, { creationTimestamp: '2024-02-01T00:00:00Z' });
  const out = await r.reconcile(young, ctx([old, young], ['consul01']));
  assert.equal(out.conditions[0]?.status, 'False');
  assert.equal(out.conditions[0]?.reason, 'AddressConflict');
  assert.deepEqual(helper.calls, []);
});

test('an unknown host is Ready=False HostNotFound with a planned re-check', async () => {
  const { r } = reconcilerWithoutHelper({ retryAfterMs: 5000 });
  const o = sia('a', { host: 'nowhere' });
  const out = await r.reconcile(o, ctx([o]));
  assert.equal(out.conditions[0]?.reason, 'HostNotFound');
  assert.equal(out.requeueAfter, 5000);
});

test('a host known not to answer is Ready=False HostUnreachable with a planned re-check, not an error retried with backoff', async () => {
  const { r } = reconcilerWithoutHelper({ retryAfterMs: 5000 });
  const o = sia('a', {});
  const c = ctx([o]);
  // Any Docker call would throw: the reconcile must decide before touching the engine.
  const docker = new Proxy(
    {},
    {
      get: () => () => {
        throw new Error('docker must not be called');
      },
    },
  );
  c.hosts = { get: (n) => ({ name: n, address: '10.0.0.1', docker: docker as never, ready: false }), list: () => [] };
  const out = await r.reconcile(o, c);
  assert.deepEqual([out.conditions[0]?.status, out.conditions[0]?.reason], ['False', 'HostUnreachable']);
  assert.equal(
    out.conditions[0]?.message,
    'DockerHost consul01 does not answer (its latest probe or event stream); re-checked when it does',
  );
  assert.equal(out.requeueAfter, 5000);
});

test('container events on the right host with the right name map to the attachment', () => {
  const { r } = reconcilerWithoutHelper();
  const cache = cacheOf([sia('ubuntu114', {}), sia('ubuntu119', { host: 'consul02', address: '192.168.116.119/24' })]);
  const ev = (Action: string, name: string, Type = 'container') => ({ Type, Action, Actor: { ID: 'x', Attributes: { name } } });
  for (const a of ['start', 'create', 'destroy', 'die', 'restart'])
    assert.deepEqual(r.mapHostEvent('consul01', ev(a, 'ubuntu114'), cache), ['ubuntu114'], a);
  assert.deepEqual(r.mapHostEvent('consul02', ev('start', 'ubuntu114'), cache), [], 'other host');
  assert.deepEqual(r.mapHostEvent('consul01', ev('start', 'other'), cache), [], 'other container');
  assert.deepEqual(r.mapHostEvent('consul01', ev('exec_start: ip -j addr', 'ubuntu114'), cache), [], 'exec noise');
  assert.deepEqual(r.mapHostEvent('consul01', ev('start', 'ubuntu114', 'network'), cache), [], 'not a container event');
});

test('a reconnected host re-triggers its attachments; a refused attachment is retried when another one changes', async () => {
  const { r } = reconcilerWithoutHelper();
  // c claims a's address: its reconcile refuses it, and only it is retried when another attachment changes.
  const objs = [
    sia('a', {}),
    sia('b', { host: 'consul02', address: '192.168.116.119/24' }),
    sia('c', {}, { creationTimestamp: '2024-02-01T00:00:00Z' }),
  ];
  const cache = cacheOf(objs);
  assert.deepEqual(r.mapObjectChange?.('StaticIPAttachment', 'a', cache), [], 'nothing refused yet');
  const outcome = await r.reconcile(objs[2]!, ctx(objs));
  assert.equal(outcome.conditions?.find((c) => c.type === 'Ready')?.reason, 'AddressConflict');
  assert.deepEqual(r.mapHostConnectivity?.('consul01', true, cache), ['a', 'c']);
  assert.deepEqual(r.mapHostConnectivity?.('consul01', false, cache), []);
  assert.deepEqual(r.mapObjectChange?.('StaticIPAttachment', 'a', cache), ['c']);
  assert.deepEqual(r.mapObjectChange?.('StaticIPAttachment', 'c', cache), [], 'not for its own change');
  assert.deepEqual(r.mapObjectChange?.('DockerHost', 'consul02', cache), ['b']);
  // Once its reconcile no longer finds the conflict (a is gone), c is not retried for others' changes.
  await r.reconcile(objs[2]!, ctx([objs[1]!, objs[2]!]));
  assert.deepEqual(r.mapObjectChange?.('StaticIPAttachment', 'b', cache), []);
});

// --- a restarted container: attached from its start event, without looking first ---------------

const PID_OLD = 4242;
const PID_NEW = 5151;
const HOST_VETH = vethNames('uid-ubuntu114').hostVeth;

const jsonLine = (v: unknown) => `${JSON.stringify(v)}\n`;
const hostLinks = (withVeth: boolean) => [
  { ifindex: 1, ifname: 'lo', flags: ['UP'], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [] },
  { ifindex: 5, ifname: 'br0', flags: ['UP'], mtu: 1450, address: '02:00:00:00:00:05', linkinfo: { info_kind: 'bridge' }, addr_info: [] },
  ...(withVeth
    ? [
        {
          ifindex: 9,
          ifname: HOST_VETH,
          flags: ['UP'],
          mtu: 1450,
          master: 'br0',
          address: '02:00:00:00:00:09',
          linkinfo: { info_kind: 'veth' },
          addr_info: [],
        },
      ]
    : []),
];
const attachedContainer = [
  { ifindex: 1, ifname: 'lo', flags: ['UP'], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [] },
  {
    ifindex: 2,
    ifname: 'eth1',
    flags: ['UP'],
    mtu: 1450,
    address: '02:00:00:00:00:02',
    link_index: 9,
    link_netnsid: 0,
    linkinfo: { info_kind: 'veth' },
    addr_info: [{ family: 'inet', local: '192.168.116.114', prefixlen: 24, scope: 'global' }],
  },
];
const gatewayRoute = [{ dst: 'default', gateway: '192.168.116.1', dev: 'eth1', flags: [] }];

/** Observe programs list links and routes as JSON; every other program applies. */
const isObserve = (program: readonly HelperCommand[]) => program[0]?.argv.includes('-j') === true;
/** What each helper call did, in order: 'observe' or 'apply'. */
const steps = (calls: readonly HelperCommand[][]) => calls.map((p) => (isObserve(p) ? 'observe' : 'apply'));

/** A helper over a scripted world: observe programs see `world`, apply programs succeed unless `failAt` says otherwise. */
class ScriptedHelper implements NetHelper {
  calls: HelperCommand[][] = [];
  world = { hostVeth: false, attached: false };
  failApplyAt: number | undefined;
  async run(_h: unknown, cmds: readonly HelperCommand[]): Promise<ProgramResult> {
    this.calls.push([...cmds]);
    if (isObserve(cmds)) {
      return {
        results: [
          { exitCode: 0, stdout: jsonLine(hostLinks(this.world.hostVeth)) + jsonLine([]) },
          {
            exitCode: 0,
            stdout:
              jsonLine(this.world.attached ? attachedContainer : attachedContainer.slice(0, 1)) +
              jsonLine(this.world.attached ? gatewayRoute : []),
          },
        ],
        stderr: '',
      };
    }
    if (this.failApplyAt !== undefined) {
      const at = this.failApplyAt;
      this.failApplyAt = undefined;
      return {
        results: cmds.slice(0, at + 1).map((_, i) => ({ exitCode: i === at ? 2 : 0, stdout: '' })),
        failedAt: at,
        stderr: 'RTNETLINK answers: No such device\nCommand failed -:1\n',
      };
    }
    this.world = { hostVeth: true, attached: true };
    return { results: cmds.map(() => ({ exitCode: 0, stdout: '' })), stderr: '' };
  }
  async netnsPath(_h: unknown, key: unknown): Promise<string> {
    return helperNetnsPath(key, ENGINE_NETNS);
  }
}

function dockerWith(pid: () => number, sandboxKey: (pid: number) => string = sandboxOf) {
  return {
    getContainer: () => ({
      inspect: async () => ({
        Id: 'c1',
        State: { Running: true, Pid: pid() },
        HostConfig: { NetworkMode: 'default' },
        NetworkSettings: { SandboxKey: sandboxKey(pid()) },
      }),
    }),
  };
}

function liveCtx(objs: StaticIPAttachment[], docker: unknown): KindReconcileContext & { repairs: Repair[] } {
  const base = ctx(objs);
  const host = { name: 'consul01', address: '192.168.116.112', docker, ready: true };
  return {
    ...base,
    log: createSilentLogger(),
    hosts: { get: (n) => (n === 'consul01' ? (host as never) : undefined), list: () => [host as never] },
  };
}

const show = (cmds: HelperCommand[]) => cmds.map((c) => `${c.mode} ${c.argv.join(' ')}${c.stdin ? ` <<< ${c.stdin.join(' ; ')}` : ''}`);
const startEvent = {
  Type: 'container',
  Action: 'start',
  Actor: { ID: 'c1', Attributes: { name: 'ubuntu114' } },
  timeNano: Date.now() * 1e6,
};

/**
 * ubuntu114 (gateway .1) on consul01, attached once by a fresh reconciler over a ScriptedHelper (the
 * first attach looks first: it also learns the bridge's MTU), then restarted: a new PID in a new
 * namespace without the container's end of the veth, the helper's calls cleared. With `watchUntilEndOf`, the reconciler
 * watches the hosts from the start until that test ends, as the operator runs it.
 */
async function attachedThenRestarted({ watchUntilEndOf }: { watchUntilEndOf?: TestContext } = {}) {
  const helper = new ScriptedHelper();
  const r = createStaticIPAttachmentReconciler({ helper });
  let pid = PID_OLD;
  const res = sia('ubuntu114', { gateway: '192.168.116.1' });
  const c = liveCtx(
    [res],
    dockerWith(() => pid),
  );
  if (watchUntilEndOf) {
    const stop = new AbortController();
    const watching = r.watchHosts!({ hosts: c.hosts, cache: c.cache, enqueue: () => undefined, log: createSilentLogger() }, stop.signal);
    watchUntilEndOf.after(async () => {
      stop.abort();
      await watching;
    });
  }
  const first = await r.reconcile(res, c);
  assert.equal(first.conditions[0]?.reason, 'Attached');
  pid = PID_NEW;
  helper.world = { hostVeth: true, attached: false };
  helper.calls = [];
  return { helper, r, c, res };
}

/** The same, watched, once its start event was seen; `restarted` is its status without a PID (the die was seen). */
async function restartedSetup(t: TestContext) {
  const { helper, r, c, res } = await attachedThenRestarted({ watchUntilEndOf: t });
  const restarted = { ...res, status: { containerID: 'c1', lastAppliedTime: '2024-01-01T00:00:00Z' } } as StaticIPAttachment;
  assert.deepEqual(r.mapHostEvent('consul01', startEvent, c.cache), ['ubuntu114']);
  return { helper, r, c, restarted };
}

test('after a start event the whole attach runs first, and the one look after it is the check', async (t) => {
  const { helper, r, c, restarted } = await restartedSetup(t);
  const out = await r.reconcile(restarted, c);
  assert.equal(out.conditions[0]?.reason, 'Attached');
  assert.equal(helper.calls.length, 2, 'one apply, one observe');
  assert.deepEqual(show(helper.calls[0]!).slice(0, 3), [
    `may ip -force -batch - <<< link del ${HOST_VETH} ; link del ${vethNames('uid-ubuntu114').peerVeth}`,
    `must ip link add ${HOST_VETH} mtu 1450 master br0 up type veth peer name eth1 mtu 1450 netns ${helperNs(PID_NEW)}`,
    `must nsenter --net=${helperNs(PID_NEW)} ip -batch - <<< addr replace 192.168.116.114/24 dev eth1 ; link set eth1 up ; route replace default via 192.168.116.1 dev eth1`,
  ]);
  assert.ok(isObserve(helper.calls[1]!));
  assert.deepEqual(
    c.repairs.map((x) => x.reason),
    ['ContainerRestarted'],
  );
  assert.equal((out.observed as { pid?: number }).pid, PID_NEW);
});

test('a fresh attach that does not apply (bridge gone) falls back to looking and planning', async (t) => {
  const { helper, r, c, restarted } = await restartedSetup(t);
  helper.failApplyAt = 1;
  const out = await r.reconcile(restarted, c);
  assert.equal(out.conditions[0]?.reason, 'Attached');
  assert.deepEqual(steps(helper.calls), ['apply', 'observe', 'apply', 'observe']);
  assert.deepEqual(
    c.repairs.map((x) => x.reason),
    ['ContainerRestarted'],
  );
});

test('the run a die event queued, finding the container running again, attaches it the same way', async (t) => {
  const { helper, r, c, restarted } = await restartedSetup(t);
  r.mapHostEvent('consul01', { ...startEvent, Action: 'die' }, c.cache); // the start event's note is replaced
  const out = await r.reconcile(restarted, c);
  assert.equal(out.conditions[0]?.reason, 'Attached');
  assert.deepEqual(steps(helper.calls), ['apply', 'observe']);
});

test('a PID the status already has, or no recent lifecycle event: the attachment is looked at first', async (t) => {
  const { helper, r, c, restarted } = await restartedSetup(t);
  const samePid = { ...restarted, status: { ...restarted.status, pid: PID_NEW } } as StaticIPAttachment;
  await r.reconcile(samePid, c);
  assert.ok(isObserve(helper.calls[0]!), 'observed first');
});

test('a new PID without any lifecycle event seen (only the resync or a netlink change brought the run): looked at first', async () => {
  const { helper, r, c, res } = await attachedThenRestarted();
  const out = await r.reconcile(
    { ...res, status: { containerID: 'c1', pid: PID_OLD, lastAppliedTime: '2024-01-01T00:00:00Z' } } as StaticIPAttachment,
    c,
  );
  assert.equal(out.conditions[0]?.reason, 'Attached');
  assert.deepEqual(steps(helper.calls), ['observe', 'apply', 'observe']);
  assert.deepEqual(
    c.repairs.map((x) => x.reason),
    ['ContainerRestarted'],
  );
});

/** A host whose engine answers one container inspect (and records every other Docker call). */
function hostWithContainer(info: { mode: string; labels?: Record<string, string>; pid?: number }, calls: string[]) {
  const inspect = async () => ({
    Id: 'c1',
    State: { Running: true, Pid: info.pid ?? 4242 },
    HostConfig: { NetworkMode: info.mode },
    Config: { Labels: info.labels ?? {} },
    NetworkSettings: { SandboxKey: `${ENGINE_NETNS}/0123456789ab` },
  });
  const docker = new Proxy(
    {},
    {
      get: (_t, prop) =>
        prop === 'getContainer'
          ? () => ({ inspect })
          : () => {
              calls.push(String(prop));
              throw new Error('unexpected docker call');
            },
    },
  );
  return { get: (n: string) => ({ name: n, address: '10.0.0.1', docker: docker as never, ready: true }), list: () => [] };
}

test('a container without its own network namespace (--net host, --net container:X) is refused on every path, with a condition naming spec.container', async () => {
  for (const mode of ['host', 'container:0123abcd']) {
    const { helper, r } = reconcilerWithoutHelper();
    const o = sia('a', {});
    const c = ctx([o]);
    const calls: string[] = [];
    c.hosts = hostWithContainer({ mode }, calls);
    // The fast path of a just-started container too: its start event is what queued this run.
    r.mapHostEvent('consul01', { Type: 'container', Action: 'start', Actor: { ID: 'c1', Attributes: { name: 'a' } } } as never, c.cache);
    const out = await r.reconcile(o, c);
    assert.deepEqual([out.conditions[0]?.status, out.conditions[0]?.reason], ['False', 'NoOwnNetworkNamespace'], mode);
    assert.match(out.conditions[0]?.message ?? '', new RegExp(`^spec\\.container: container a on consul01 has network mode ${mode}`));
    assert.deepEqual(helper.calls, [], mode);
    assert.deepEqual(calls, [], mode);
  }
});

test('deleting an attachment whose container shares the host namespace never enters that namespace', async () => {
  const programs: HelperCommand[][] = [];
  const helper: NetHelper = {
    run: async (_h, cmds) => (programs.push([...cmds]), Promise.reject(new Error('stop here'))),
    netnsPath: async (_h, key) => helperNetnsPath(key, ENGINE_NETNS),
  };
  const r = createStaticIPAttachmentReconciler({ helper });
  const o = sia('a', {}, { deletionTimestamp: '2024-01-02T00:00:00Z' });
  const c = ctx([o]);
  c.hosts = hostWithContainer({ mode: 'host', pid: 1 }, []);
  await r.finalize!(o, c).catch(() => undefined);
  assert.ok(programs.length > 0);
  for (const p of programs) for (const cmd of p) assert.ok(!cmd.argv.includes('nsenter'), cmd.argv.join(' '));
});

test('with --attach-requires-label, a container without the label is refused naming spec.container', async () => {
  const helper = new NoHelper();
  const r = createStaticIPAttachmentReconciler({ helper, attachRequiresLabel: 'io.swarmop.attach' });
  const o = sia('a', {});
  const c = ctx([o]);
  c.hosts = hostWithContainer({ mode: 'bridge' }, []);
  const out = await r.reconcile(o, c);
  assert.deepEqual(
    [out.conditions[0]?.reason, out.conditions[0]?.message],
    [
      'NotAllowed',
      'spec.container: container a on consul01 does not carry the label io.swarmop.attach that the operator requires of attached containers (--attach-requires-label)',
    ],
  );
  assert.deepEqual(helper.calls, []);
  // With the label it goes on to the helper.
  c.hosts = hostWithContainer({ mode: 'bridge', labels: { 'io.swarmop.attach': '' } }, []);
  await r.reconcile(o, c).catch(() => undefined);
  assert.equal(helper.calls.length, 1);
});

test('a uid copied from another attachment: neither touches the host, and deleting the copy removes nothing', async () => {
  const helper = new NoHelper();
  const r = createStaticIPAttachmentReconciler({ helper });
  const victim = sia('victim', { address: '192.168.116.120/24' }, { uid: 'same' });
  const copy = sia('copy', { address: '192.168.116.121/24' }, { uid: 'same', deletionTimestamp: '2024-01-02T00:00:00Z' });
  const c = ctx([victim, copy], ['consul01']);
  const out = await r.reconcile({ ...copy, metadata: { ...copy.metadata, deletionTimestamp: undefined } } as StaticIPAttachment, c);
  assert.deepEqual(
    [out.conditions[0]?.reason, out.conditions[0]?.message.split(';')[0]],
    ['NotAllowed', 'metadata.uid: same is also the uid of staticipattachment/victim'],
  );
  assert.deepEqual(await r.finalize!(copy, c), { done: true });
  assert.deepEqual(helper.calls, []);
});

test("a container whose netns file is not its own sandbox in the engine's netns folder is refused: NetnsRefused, nothing run on the host", async () => {
  for (const key of [
    '/var/run/docker/netns/default',
    '/proc/1/ns/net',
    '/var/run/docker/netns/../../../proc/1/ns/net',
    '/etc/netns/0123456789ab',
    '',
    'relative/netns/0123456789ab',
  ]) {
    const helper = new ScriptedHelper();
    const r = createStaticIPAttachmentReconciler({ helper });
    const res = sia('ubuntu114', {});
    const out = await r.reconcile(
      res,
      liveCtx(
        [res],
        dockerWith(
          () => PID_OLD,
          () => key,
        ),
      ),
    );
    assert.deepEqual([out.conditions[0]?.status, out.conditions[0]?.reason], ['False', 'NetnsRefused'], key);
    assert.deepEqual(helper.calls, [], `${key}: no program ran`);
  }
});

// --- work per change independent of how many attachments exist ------------------------------------

test("a reconcile and the reaction to another attachment's change read indexes, never the whole list (a first sync stays linear)", async () => {
  const { r } = reconcilerWithoutHelper();
  const objs = Array.from({ length: 1_000 }, (_, i) => sia(`a${i}`, { address: `10.${1 + (i >> 8)}.${i & 255}.1/8` }));
  const base = cacheOf(objs);
  let listed = 0;
  const counting: ObjectCache = {
    ...base,
    list: ((kind: KindName) => {
      listed += 1;
      return base.list(kind);
    }) as ObjectCache['list'],
  };
  const context = { ...ctx(objs), cache: counting };
  for (const o of objs.slice(0, 50)) {
    await r.reconcile(o, context);
    r.mapObjectChange?.('StaticIPAttachment', o.metadata.name, counting);
  }
  // Before: every reconcile listed all attachments for the uid check and every change listed them
  // again for the conflict-refused ones; with a list rebuilt per change, a first sync was quadratic.
  assert.equal(listed, 0);
});
