import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KindName, Resource, ServiceAddresses, StaticIPAttachment, SwarmCluster } from '../../crds/index.js';
import type { KindReconcileContext, KindTypes, ObjectCache, ReconcileOutcome, Repair } from '../kind-reconciler.js';
import { scanByIndex } from '../kind-indexes.js';
import type { AttachmentObserved } from '../staticipattachment/index.js';
import type { ServiceTasksApi, SwarmNodeInfo, SwarmTask } from './observe.js';
import { ServiceAddressesReconciler } from './reconciler.js';

const NODES: SwarmNodeInfo[] = [
  { id: 'n1', hostname: 'consul01', address: '10.0.0.11' },
  { id: 'n2', hostname: 'consul02', address: '10.0.0.12' },
  { id: 'n3', hostname: 'consul03', address: '10.0.0.13' },
];

const swarm: SwarmCluster = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'SwarmCluster',
  metadata: { name: 'lab' },
  spec: { managers: ['consul01'], workers: ['consul02', 'consul03'], availability: 'active', prune: false },
};

function web(status?: ServiceAddresses['status'], addresses = ['10.0.0.50/24', '10.0.0.51/24']): ServiceAddresses {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ServiceAddresses',
    metadata: { name: 'web', uid: 'u1', creationTimestamp: '2024-01-02T00:00:00Z' },
    spec: { swarmCluster: 'lab', service: 'web', bridge: 'br0', interface: 'eth1', addresses },
    ...(status ? { status } : {}),
  };
}

function task(id: string, slot: number, nodeID: string, state = 'running', createdAt = '2024-01-01T00:00:00Z'): SwarmTask {
  return { id, slot, nodeID, state, desiredState: state === 'running' ? 'running' : 'shutdown', containerID: `c-${id}`, createdAt };
}

class FakeTasks implements ServiceTasksApi {
  tasksList: SwarmTask[] = [];
  calls: string[] = [];
  /** The service's desired replicas (undefined: not reported). */
  replicas: number | undefined;
  async service(name: string) {
    this.calls.push(`service ${name}`);
    if (name !== 'web') return undefined;
    return { id: 'svc1', name: 'web', mode: 'replicated' as const, ...(this.replicas === undefined ? {} : { replicas: this.replicas }) };
  }
  async tasks() {
    return this.tasksList;
  }
  async nodes() {
    return NODES;
  }
}

/** Records every attach and release in order; answers Attached unless told otherwise per container. */
class FakeAttacher {
  log: string[] = [];
  notRunning = new Set<string>();
  failRelease = new Set<string>();
  async reconcile(a: StaticIPAttachment, ctx: KindReconcileContext): Promise<ReconcileOutcome<AttachmentObserved>> {
    this.log.push(`attach ${a.spec.address} ${a.spec.container}@${a.spec.host}${a.status?.containerID ? ' (known)' : ''}`);
    if (this.notRunning.has(a.spec.container))
      return { observed: {}, conditions: [{ type: 'Ready', status: 'False', reason: 'ContainerNotRunning', message: 'not running' }] };
    if (!a.status?.containerID) await ctx.event('Normal', 'Attached', `attached ${a.spec.address} to ${a.spec.container}`);
    return {
      observed: { containerID: `id-${a.spec.container}`, pid: 42 },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Attached', message: 'ok' }],
    };
  }
  async finalize(a: StaticIPAttachment, ctx: KindReconcileContext) {
    this.log.push(`release ${a.spec.container}@${a.spec.host}`);
    if (this.failRelease.has(a.spec.container)) throw new Error('helper failed');
    await ctx.event('Normal', 'Detached', `removed from ${a.spec.container}`);
    return { done: true };
  }
}

function cacheOf(objs: readonly Resource<any, any>[]): ObjectCache {
  return {
    get: <K extends KindName>(k: K, n: string) =>
      objs.find((o) => o.kind === k && o.metadata.name === n) as unknown as KindTypes[K] | undefined,
    list: <K extends KindName>(k: K) => objs.filter((o) => o.kind === k) as unknown as KindTypes[K][],
    byIndex: <K extends KindName>(k: K, index: string, value: string) =>
      scanByIndex(k, index, value, objs.filter((o) => o.kind === k) as unknown as KindTypes[K][]),
  };
}

function setup(objs: Resource<any, any>[] = [], down: string[] = []) {
  const tasks = new FakeTasks();
  const attacher = new FakeAttacher();
  const r = new ServiceAddressesReconciler({ attacher, tasksApi: () => tasks });
  const repairs: Repair[] = [];
  const events: string[] = [];
  const ctx = (): KindReconcileContext => ({
    log: undefined as never,
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts: {
      get: (n) =>
        ['consul01', 'consul02', 'consul03'].includes(n)
          ? ({ name: n, address: `10.0.0.1${n.slice(-1)}`, ready: !down.includes(n) } as never)
          : undefined,
      list: () => [],
    },
    cache: cacheOf([swarm, ...objs]),
    async repaired(x) {
      repairs.push(x);
    },
    async event(_t, reason, message) {
      events.push(`${reason}: ${message}`);
    },
    now: () => new Date('2024-01-03T00:00:00Z'),
  });
  return { tasks, attacher, r, repairs, events, ctx };
}

test('each running task gets its slot address; first attaches are events, not repairs; status lists the slots', async () => {
  const s = setup();
  s.tasks.tasksList = [task('a', 1, 'n1'), task('b', 2, 'n2')];
  const out = await s.r.reconcile(web(), s.ctx());
  assert.deepEqual(s.attacher.log.sort(), ['attach 10.0.0.50/24 web.1.a@consul01', 'attach 10.0.0.51/24 web.2.b@consul02']);
  assert.deepEqual(s.repairs, []);
  assert.deepEqual(s.events.sort(), [
    'Attached: slot 1: attached 10.0.0.50/24 to web.1.a',
    'Attached: slot 2: attached 10.0.0.51/24 to web.2.b',
  ]);
  assert.deepEqual(out.conditions, [
    { type: 'Ready', status: 'True', reason: 'Attached', message: '2 tasks of service web hold their addresses' },
  ]);
  assert.deepEqual(out.observed, {
    mode: 'replicated',
    attached: 2,
    tasks: 2,
    lastAppliedTime: '2024-01-03T00:00:00.000Z',
    slots: [
      {
        slot: '1',
        address: '10.0.0.50/24',
        attached: true,
        taskID: 'a',
        node: 'consul01',
        host: 'consul01',
        containerID: 'id-web.1.a',
        container: 'web.1.a',
        pid: 42,
      },
      {
        slot: '2',
        address: '10.0.0.51/24',
        attached: true,
        taskID: 'b',
        node: 'consul02',
        host: 'consul02',
        containerID: 'id-web.2.b',
        container: 'web.2.b',
        pid: 42,
      },
    ],
  });
});

const attachedStatus = (): ServiceAddresses['status'] => ({
  slots: [
    { slot: '1', address: '10.0.0.50/24', attached: true, taskID: 'a', node: 'consul01', host: 'consul01', containerID: 'c-a', pid: 7 },
    { slot: '2', address: '10.0.0.51/24', attached: true, taskID: 'b', node: 'consul02', host: 'consul02', containerID: 'c-b', pid: 8 },
  ],
});

test('a converged object attaches with what it knew (a restart is told apart) and records nothing', async () => {
  const s = setup();
  s.tasks.tasksList = [task('a', 1, 'n1'), task('b', 2, 'n2')];
  const out = await s.r.reconcile(web(attachedStatus()), s.ctx());
  assert.deepEqual(s.attacher.log.sort(), ['attach 10.0.0.50/24 web.1.a@consul01 (known)', 'attach 10.0.0.51/24 web.2.b@consul02 (known)']);
  assert.deepEqual([s.repairs, s.events], [[], []]);
  assert.equal(out.requeueAfter, 30_000);
});

test('a moved task: the old container lets go first, the new one gets the address, one TaskMoved repair', async () => {
  const s = setup();
  s.tasks.tasksList = [task('a', 1, 'n1', 'shutdown'), task('c', 1, 'n3'), task('b', 2, 'n2')];
  const out = await s.r.reconcile(web(attachedStatus()), s.ctx());
  const slot1 = s.attacher.log.filter((l) => l.includes('@consul01') || l.includes('web.1.'));
  assert.deepEqual(slot1, ['release c-a@consul01', 'attach 10.0.0.50/24 web.1.c@consul03']);
  assert.deepEqual(s.repairs, [
    {
      reason: 'TaskMoved',
      found: 'slot 1 of service web: task a on consul01 was replaced by task c on consul03',
      action: 'removed 10.0.0.50/24 from the old task on consul01; attached 10.0.0.50/24 to eth1 of web.1.c on consul03',
      host: 'consul03',
    },
  ]);
  assert.deepEqual(s.events, []);
  assert.equal(out.conditions[0]?.status, 'True');
});

test('a move seen in two passes (old task gone, then its replacement running) is still one TaskMoved repair', async () => {
  const s = setup();
  // Pass 1: slot 1's task was shut down (a drained node) and no replacement runs yet.
  s.tasks.tasksList = [task('a', 1, 'n1', 'shutdown'), task('b', 2, 'n2')];
  const first = await s.r.reconcile(web(attachedStatus()), s.ctx());
  assert.equal(s.repairs.length, 0, 'no replacement yet, nothing moved');
  // Pass 2: the replacement runs on another node; the status the first pass wrote is what it knows.
  s.tasks.tasksList = [task('a', 1, 'n1', 'shutdown'), task('c', 1, 'n3'), task('b', 2, 'n2')];
  await s.r.reconcile(web({ ...first.observed, conditions: [] } as never), s.ctx());
  assert.deepEqual(
    s.repairs.map((r) => `${r.reason}: ${r.found}`),
    ['TaskMoved: slot 1 of service web: task a on consul01 was replaced by task c on consul03'],
  );
  assert.deepEqual(
    s.events.filter((e) => e.startsWith('Attached')),
    [],
  );
});

test('a drained node as the lab shows it (the old task first seen not running, then its replacement running) is one TaskMoved', async () => {
  const s = setup();
  s.attacher.notRunning.add('web.1.a');
  s.tasks.tasksList = [task('a', 1, 'n1'), task('b', 2, 'n2')];
  const first = await s.r.reconcile(web(attachedStatus()), s.ctx());
  assert.equal(s.repairs.length, 0, 'not running yet: nothing moved');
  s.tasks.tasksList = [task('a', 1, 'n1', 'shutdown'), task('c', 1, 'n3'), task('b', 2, 'n2')];
  await s.r.reconcile(web({ ...first.observed, conditions: [] } as never), s.ctx());
  assert.deepEqual(
    s.repairs.map((r) => `${r.reason}: ${r.found}`),
    ['TaskMoved: slot 1 of service web: task a on consul01 was replaced by task c on consul03'],
  );
});

test('a moved task whose old host does not answer: nothing is asked of that host, the new task gets the address', async () => {
  const s = setup([], ['consul02']);
  s.tasks.tasksList = [task('a', 1, 'n1'), task('c', 2, 'n3')];
  await s.r.reconcile(web(attachedStatus()), s.ctx());
  assert.deepEqual(
    s.attacher.log.filter((l) => l.includes('consul02') || l.includes('web.2.')),
    ['attach 10.0.0.51/24 web.2.c@consul03'],
  );
  assert.deepEqual(
    s.repairs.map((r) => [r.reason, r.action]),
    [['TaskMoved', 'attached 10.0.0.51/24 to eth1 of web.2.c on consul03']],
  );
});

test('a release that fails on a host that answers: the new task waits (never two holders), the run fails', async () => {
  const s = setup();
  s.attacher.failRelease.add('c-a');
  s.tasks.tasksList = [task('c', 1, 'n3'), task('b', 2, 'n2')];
  const out = await s.r.reconcile(web(attachedStatus()), s.ctx());
  assert.equal(
    s.attacher.log.some((l) => l.includes('web.1.c')),
    false,
  );
  assert.match(out.repairFailed ?? '', /^slot 1: 10\.0\.0\.50\/24 is still on task a on consul01 and could not be removed: helper failed$/);
  assert.equal(out.conditions[0]?.reason, 'ReleasePending');
});

test('start-first overlap: the older task keeps the address while it runs; once it stops the newer gets it', async () => {
  const s = setup();
  s.tasks.tasksList = [task('a', 1, 'n1'), task('a2', 1, 'n2', 'running', '2024-01-01T00:01:00Z'), task('b', 2, 'n2')];
  const out = await s.r.reconcile(web(attachedStatus()), s.ctx());
  assert.equal(
    s.attacher.log.some((l) => l.includes('web.1.a2')),
    false,
  );
  assert.equal(out.requeueAfter, 500);
  assert.match((out.observed.slots ?? [])[0]?.message ?? '', /newer task a2 gets the address once this one stops/);
  // The manager still says the older runs, but its container has stopped: the newer takes over in the same run.
  const s2 = setup();
  s2.attacher.notRunning.add('web.1.a');
  s2.tasks.tasksList = s.tasks.tasksList;
  const out2 = await s2.r.reconcile(web(attachedStatus()), s2.ctx());
  assert.deepEqual(
    s2.attacher.log.filter((l) => l.includes('web.1.')),
    ['attach 10.0.0.50/24 web.1.a@consul01 (known)', 'attach 10.0.0.50/24 web.1.a2@consul02'],
  );
  assert.equal(out2.observed.slots?.[0]?.taskID, 'a2');
  assert.equal(out2.observed.slots?.[0]?.attached, true);
});

test('more tasks than addresses: AddressesExhausted, 2 of 3 attached, the third task gets nothing', async () => {
  const s = setup();
  s.tasks.tasksList = [task('a', 1, 'n1'), task('b', 2, 'n2'), task('c', 3, 'n3')];
  const out = await s.r.reconcile(web(attachedStatus()), s.ctx());
  assert.equal(
    s.attacher.log.some((l) => l.includes('web.3.c')),
    false,
  );
  assert.equal(out.conditions[0]?.reason, 'AddressesExhausted');
  assert.equal(out.conditions[0]?.status, 'False');
  assert.deepEqual([out.observed.attached, out.observed.tasks], [2, 3]);
  assert.deepEqual(out.observed.slots?.[2], {
    slot: '3',
    address: '',
    attached: false,
    taskID: 'c',
    node: 'consul03',
    host: 'consul03',
    containerID: 'c-c',
    container: 'web.3.c',
    reason: 'AddressesExhausted',
    message: 'more tasks than addresses',
  });
});

test('scale down releases the slot without a task', async () => {
  const s = setup();
  s.tasks.tasksList = [task('a', 1, 'n1')];
  const out = await s.r.reconcile(web(attachedStatus()), s.ctx());
  assert.ok(s.attacher.log.includes('release c-b@consul02'));
  assert.deepEqual(s.events, ['Released: slot 2: removed 10.0.0.51/24 from task b on consul02']);
  assert.equal(out.conditions[0]?.status, 'True');
});

test('a replicated service whose tasks are not running yet is not Ready: TasksStarting until as many as it asks for hold their addresses', async () => {
  const s = setup();
  s.tasks.replicas = 2;
  s.tasks.tasksList = [];
  const none = await s.r.reconcile(web(), s.ctx());
  assert.deepEqual(none.conditions, [
    {
      type: 'Ready',
      status: 'False',
      reason: 'TasksStarting',
      message: '0 of 2 tasks of service web hold their addresses; waiting for the others to run',
    },
  ]);
  assert.equal(none.requeueAfter, 2_000);
  s.tasks.tasksList = [task('a', 1, 'n1')];
  const one = await s.r.reconcile(web(), s.ctx());
  assert.equal(one.conditions[0]?.reason, 'TasksStarting');
  s.tasks.tasksList = [task('a', 1, 'n1'), task('b', 2, 'n2')];
  const both = await s.r.reconcile(web(), s.ctx());
  assert.deepEqual(both.conditions[0], {
    type: 'Ready',
    status: 'True',
    reason: 'Attached',
    message: '2 tasks of service web hold their addresses',
  });
  // Scaled past the addresses (replicas 3, 2 addresses): Ready counts up to the addresses only; the third task is AddressesExhausted.
  s.tasks.replicas = 3;
  assert.equal((await s.r.reconcile(web(), s.ctx())).conditions[0]?.status, 'True');
});

test('an address claimed by an older StaticIPAttachment: AddressConflict before the swarm is asked', async () => {
  const older = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name: 'db', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { host: 'consul01', container: 'db', bridge: 'br0', address: '10.0.0.51/24', interface: 'eth1' },
  } as Resource;
  const s = setup([older]);
  const out = await s.r.reconcile(web(), s.ctx());
  assert.deepEqual(out.conditions, [
    {
      type: 'Ready',
      status: 'False',
      reason: 'AddressConflict',
      message: 'address 10.0.0.51 is already claimed by staticipattachment/db (older); nothing was changed',
    },
  ]);
  assert.equal(out.requeueAfter, 10_000);
  assert.deepEqual([s.tasks.calls, s.attacher.log], [[], []]);
});

test('delete releases every task: those in the status and those the manager reports', async () => {
  const s = setup();
  s.tasks.tasksList = [task('a', 1, 'n1'), task('d', 2, 'n3')];
  const out = await s.r.finalize(web(attachedStatus()), s.ctx());
  assert.deepEqual(out, { done: true });
  assert.deepEqual(s.attacher.log.sort(), ['release c-a@consul01', 'release c-b@consul02', 'release web.2.d@consul03']);
});

test('container events of a service task enqueue the ServiceAddresses of that service', () => {
  const s = setup();
  const cache = cacheOf([swarm, web()]);
  const ev = (attrs: Record<string, string>, action = 'start') => ({
    Type: 'container',
    Action: action,
    Actor: { ID: 'x', Attributes: attrs },
  });
  assert.deepEqual(s.r.mapHostEvent('consul02', ev({ name: 'web.1.a', 'com.docker.swarm.service.name': 'web' }), cache), ['web']);
  assert.deepEqual(s.r.mapHostEvent('consul02', ev({ name: 'web.1.a', 'com.docker.swarm.service.name': 'web' }, 'die'), cache), ['web']);
  assert.deepEqual(s.r.mapHostEvent('consul02', ev({ name: 'api.1.a', 'com.docker.swarm.service.name': 'api' }), cache), []);
  assert.deepEqual(s.r.mapHostEvent('consul02', ev({ name: 'web' }), cache), []);
});

test("the attachment controller's host watch sees the attached slots, and its re-queues name the ServiceAddresses", async () => {
  const seen: { names: string[][]; enqueued: string[] } = { names: [], enqueued: [] };
  const attacher = Object.assign(new FakeAttacher(), {
    async watchHosts(ctx: { cache: ObjectCache; enqueue(n: string): void }) {
      const list = ctx.cache.list('StaticIPAttachment');
      seen.names.push(list.map((a) => `${a.metadata.name} ${a.spec.container}@${a.spec.host} ${a.spec.address}`));
      assert.deepEqual(
        ctx.cache.byIndex('StaticIPAttachment', 'host', 'consul02').map((a) => a.metadata.name),
        ['web.2'],
      );
      for (const a of list) ctx.enqueue(a.metadata.name);
    },
  });
  const r = new ServiceAddressesReconciler({ attacher, tasksApi: () => new FakeTasks() });
  const status = attachedStatus()!;
  status.slots = status.slots!.map((s) => ({ ...s, container: `web.${s.slot}.${s.taskID}` }));
  // A slot not attached has nothing to watch.
  status.slots.push({
    slot: '3',
    address: '10.0.0.52/24',
    attached: false,
    taskID: 'c',
    host: 'consul03',
    container: 'web.3.c',
    reason: 'AddressesExhausted',
  });
  const cache = cacheOf([swarm, web(status)]);
  await r.watchHosts(
    { hosts: { get: () => undefined, list: () => [] }, cache, enqueue: (n) => seen.enqueued.push(n), log: undefined as never },
    new AbortController().signal,
  );
  assert.deepEqual(seen.names, [['web.1 web.1.a@consul01 10.0.0.50/24', 'web.2 web.2.b@consul02 10.0.0.51/24']]);
  assert.deepEqual(seen.enqueued, ['web', 'web']);
});
