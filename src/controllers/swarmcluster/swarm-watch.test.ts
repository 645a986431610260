import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import winston from 'winston';
import type { SwarmCluster } from '../../crds/swarm-cluster.js';
import { FakeSwarm } from '../../../testing/fakes/fake-swarm.js';
import type { HostHandle, HostWatchContext, KindReconcileContext } from '../kind-reconciler.js';
import type { SwarmNode, SwarmWorld } from './model.js';
import { SwarmClusterReconciler } from './reconciler.js';
import { carryOver, sameView, swarmView } from './swarm-watch.js';

const ADDR: Record<string, string> = { mgr: '10.0.0.1', w1: '10.0.0.2', w2: '10.0.0.3' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function node(id: string, extra: Partial<SwarmNode> = {}): SwarmNode {
  return { id, version: 1, hostname: id, role: 'worker', availability: 'active', state: 'ready', labels: {}, spec: {}, ...extra };
}

function world(nodes: SwarmNode[], w1State: 'active' | 'inactive' = 'active'): SwarmWorld {
  return {
    engines: new Map([
      ['mgr', { host: 'mgr', reachable: true, swarm: { localNodeState: 'active', nodeID: 'n1', controlAvailable: true, clusterID: 'C' } }],
      [
        'w1',
        {
          host: 'w1',
          reachable: true,
          swarm:
            w1State === 'active'
              ? { localNodeState: 'active', nodeID: 'n2', controlAvailable: false }
              : { localNodeState: 'inactive', controlAvailable: false },
        },
      ],
    ]),
    cluster: { kind: 'ok', clusterID: 'C', managerHost: 'mgr', nodes },
  };
}

test('the swarm view changes with what no event reports (engine state, node state, raft membership), not with spec fields, versions or timestamps', () => {
  const steady = [node('n1', { role: 'manager', reachability: 'reachable', leader: true }), node('n2')];
  const base = swarmView(world(steady));
  const same = (w: SwarmWorld) => sameView(swarmView(w), base);
  assert.ok(same(world(steady.map((n) => ({ ...n, version: 9, updatedAt: '2030-01-01T00:00:00Z' })))));
  // The node list in another order is the same swarm.
  assert.ok(same(world([...steady].reverse())));
  // A worker that left: its engine says inactive while the manager still lists it ready.
  assert.ok(!same(world(steady, 'inactive')));
  // Promoted by hand: the spec change has its own node event; the raft join is what the watch reports.
  assert.ok(same(world([steady[0]!, node('n2', { role: 'manager' })])));
  assert.ok(!same(world([steady[0]!, node('n2', { role: 'manager', reachability: 'reachable' })])));
  assert.ok(same(world([steady[0]!, node('n2', { availability: 'drain' })])));
  assert.ok(!same(world([steady[0]!, node('n2', { state: 'down' })])));
});

test('an engine that does not answer keeps its last known state in the view (a busy engine is no news)', () => {
  const steady = [node('n1', { role: 'manager', reachability: 'reachable', leader: true }), node('n2')];
  const before = swarmView(world(steady));
  const busy = world(steady);
  busy.engines.set('w1', { host: 'w1', reachable: false, error: 'w1: info: no answer within 800 ms' });
  assert.ok(!sameView(swarmView(busy), before));
  assert.ok(sameView(carryOver(swarmView(busy), before), before));
  // Never seen answering: nothing to carry over.
  assert.equal(carryOver(swarmView(busy), undefined).engines.get('w1'), undefined);
});

/** A formed fake swarm (mgr manager, w1/w2 workers), the reconciler with a 20 ms watch, and what the watch queued. */
async function formed() {
  const swarm = new FakeSwarm();
  for (const [h, a] of Object.entries(ADDR)) swarm.addHost(h, a);
  const handles = new Map<string, HostHandle>(
    Object.entries(ADDR).map(([name, address]) => [name, { name, address, docker: {} as Docker, ready: true }]),
  );
  const infoAsked: string[] = [];
  const reconciler = new SwarmClusterReconciler({
    watchIntervalMs: 20,
    apiFor: (h) => {
      const api = swarm.api(h.name);
      return { ...api, info: () => (infoAsked.push(h.name), api.info()) };
    },
  });
  const cluster = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'SwarmCluster',
    metadata: { name: 'swarm' },
    spec: { managers: ['mgr'], workers: ['w1', 'w2'] },
  } as SwarmCluster;
  const hosts = { get: (n: string) => handles.get(n), list: () => [...handles.values()] };
  const cache = {
    get: () => undefined,
    list: (k: string) => (k === 'SwarmCluster' ? [cluster] : []),
  } as unknown as KindReconcileContext['cache'];
  const log = winston.createLogger({ silent: true });
  const rctx: KindReconcileContext = {
    log,
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts,
    cache,
    repaired: async () => undefined,
    event: async () => undefined,
    now: () => new Date(),
  };
  const formedStatus = await reconciler.reconcile(cluster, rctx);
  assert.equal(formedStatus.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  const queued: string[] = [];
  const ctx: HostWatchContext = { hosts, cache, enqueue: (n) => void queued.push(n), log };
  const ac = new AbortController();
  let done: Promise<void> = Promise.resolve();
  const start = () => void (done = reconciler.watchHosts(ctx, ac.signal));
  const queuedWithin = async (ms: number): Promise<number> => {
    const t0 = Date.now();
    const before = queued.length;
    while (queued.length === before && Date.now() - t0 < ms) await sleep(5);
    return queued.length - before;
  };
  const reconcileNow = () => reconciler.reconcile(cluster, rctx);
  return { swarm, handles, infoAsked, queued, queuedWithin, start, reconcileNow, stop: async () => (ac.abort(), await done) };
}

/** formed(), with the watch started and its first look (which queues the cluster once) taken. */
async function watched() {
  const w = await formed();
  w.start();
  assert.equal(await w.queuedWithin(1_000), 1, 'the first look queues the cluster once');
  w.queued.length = 0;
  return w;
}

test('the watch queues a cluster within an interval when a worker leaves by hand, and nothing while the swarm is steady', async () => {
  const w = await watched();
  try {
    await sleep(150);
    assert.deepEqual(w.queued, [], 'steady swarm: nothing queued');
    await w.swarm.api('w1').leave(true);
    assert.equal(await w.queuedWithin(1_000), 1);
    assert.deepEqual(w.queued, ['swarm']);
    // The leave is queued once (as a change), not on every poll while it lasts.
    await sleep(150);
    assert.deepEqual(w.queued, ['swarm']);
  } finally {
    await w.stop();
  }
});

test('a worker promoted by hand is queued when it joins the raft', async () => {
  const w = await watched();
  try {
    await sleep(100);
    const id = w.swarm.nodeOf('w2')!.id;
    w.swarm.promoteOutsideRaft(id);
    // The fake's engine reports ControlAvailable as soon as the spec says manager (a real one only
    // once it runs as one): that may be queued once; the spec change itself is not the watch's.
    await sleep(150);
    const afterPromotion = w.queued.length;
    assert.ok(afterPromotion <= 1, `queued ${afterPromotion} times after the promotion`);
    await sleep(100);
    assert.equal(w.queued.length, afterPromotion, 'still outside the raft: nothing more queued');
    Object.assign(w.swarm.nodes.get(id)!, { reachability: 'reachable' });
    assert.equal(await w.queuedWithin(1_000), 1, 'the raft join');
  } finally {
    await w.stop();
  }
});

test('the watch does not ask an engine whose event stream is down, and a manager that stops answering is a change', async () => {
  const w = await watched();
  try {
    w.handles.get('w2')!.ready = false;
    await sleep(100);
    w.infoAsked.length = 0;
    await sleep(100);
    assert.ok(w.infoAsked.includes('mgr') && w.infoAsked.includes('w1'), `asked: ${w.infoAsked.join(',')}`);
    assert.ok(!w.infoAsked.includes('w2'), 'w2 is not asked while its stream is down');
    const before = w.queued.length;
    w.swarm.engines.get('mgr')!.up = false;
    assert.equal(await w.queuedWithin(1_000), 1);
    assert.equal(w.queued.length, before + 1);
  } finally {
    await w.stop();
  }
});

test("a worker that left between the last reconcile and the watch's first look is queued (not taken as the baseline)", async () => {
  const w = await formed();
  try {
    await w.swarm.api('w1').leave(true);
    w.start();
    assert.equal(await w.queuedWithin(1_000), 1);
    await w.reconcileNow();
    assert.equal(w.swarm.nodeOf('w1')?.state, 'ready', 'the reconcile it queued joins w1 again');
  } finally {
    await w.stop();
  }
});
