import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConditionInput, KindReconciler, ObjectCache } from '../controllers/kind-reconciler.js';
import type { Resource } from '../crds/index.js';
import { isSwarmopError } from '../errors.js';
import { createSilentLogger } from '../runtime/logger.js';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { ResourceStore, type DecodedObject } from '../store/resource-store.js';
import { createReconcileDriver } from './reconcile-driver.js';

const emptyCache: ObjectCache = { get: () => undefined, list: () => [], byIndex: () => [] };

/** A driver over an in-memory store whose reconciler reports whatever `ready` holds. */
async function setup() {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 't/' });
  await store.apply([
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'h1' },
      spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' },
    } as Resource,
  ]);
  let ready: ConditionInput = { type: 'Ready', status: 'True', reason: 'Reachable', message: 'answers' };
  const reconciler: KindReconciler = { kind: 'DockerHost', reconcile: async () => ({ observed: {}, conditions: [ready] }) };
  const drive = createReconcileDriver({
    kind: 'DockerHost',
    reconciler,
    store,
    hosts: { get: () => undefined, list: () => [] },
    cache: emptyCache,
  });
  const run = async (cached?: DecodedObject) => {
    const object = cached ?? store.decode((await kv.list('t/')).pairs).find((d) => d.name === 'h1');
    await drive(object?.name ?? 'h1', {
      key: 'h1',
      object,
      reconcileId: 'r',
      log: createSilentLogger(),
      signal: new AbortController().signal,
      failures: 0,
    });
  };
  const events = async (name = 'h1') =>
    (await store.listEvents({ kind: 'DockerHost', name })).map((e) => `${e.type}/${e.reason}/${e.count}`);
  return { kv, store, run, events, setReady: (c: ConditionInput) => (ready = c) };
}

test('a Ready transition is recorded as an event on the object, once per transition', async () => {
  const s = await setup();
  await s.run();
  await s.run(); // unchanged: no new event
  assert.deepEqual(await s.events(), ['Normal/Reachable/1']);
  s.setReady({ type: 'Ready', status: 'False', reason: 'Unreachable', message: 'gone' });
  await s.run();
  await s.run();
  assert.deepEqual(await s.events(), ['Normal/Reachable/1', 'Warning/Unreachable/1']);
});

test('a stored document that fails validation gets an InvalidSpec warning event once', async () => {
  const s = await setup();
  const object: DecodedObject = {
    kind: 'DockerHost',
    name: 'bad',
    key: 't/objects/dockerhosts/bad',
    errors: ['spec.address: required'],
    specIndex: 5,
    statusIndex: 0,
  };
  await s.kv.set(object.key, '{}');
  await s.run(object);
  await s.run(object);
  assert.deepEqual(await s.events('bad'), ['Warning/InvalidSpec/1']);
});

test('the reconciler is given the stored status although the cache holds objects only', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 't/' });
  await store.apply([
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'h1' },
      spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' },
    } as Resource,
  ]);
  const seen: unknown[] = [];
  const reconciler: KindReconciler = {
    kind: 'DockerHost',
    reconcile: async (res) => {
      // A field of DockerHost's status schema: stored status is read back through it.
      seen.push((res.status as { engineVersion?: string } | undefined)?.engineVersion);
      return {
        observed: { engineVersion: 'c1' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'Reachable', message: 'answers' }],
      };
    },
  };
  const drive = createReconcileDriver({
    kind: 'DockerHost',
    reconciler,
    store,
    hosts: { get: () => undefined, list: () => [] },
    cache: emptyCache,
  });
  // What the operator's object index holds: the objects key decoded without its status key.
  const object = store.decode((await kv.list('t/objects/')).pairs).find((d) => d.name === 'h1');
  for (let i = 0; i < 2; i++)
    await drive('h1', {
      key: 'h1',
      object,
      reconcileId: 'r',
      log: createSilentLogger(),
      signal: new AbortController().signal,
      failures: 0,
    });
  assert.deepEqual(seen, [undefined, 'c1']);
});

test('a repair that keeps failing shows Degraded/RepairFailing with the attempt count, an event per new error, and fails the run', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 't/' });
  await store.apply([
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'h1' },
      spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' },
    } as Resource,
  ]);
  let failure: string | undefined = 'alpha: node update: cannot find manager in raft memberlist';
  const reconciler: KindReconciler = {
    kind: 'DockerHost',
    reconcile: async () => ({
      observed: { reachable: true },
      conditions: [
        { type: 'Ready', status: 'False', reason: 'NodeDown', message: 'alpha is down' },
        { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' },
      ],
      ...(failure === undefined ? {} : { repairFailed: failure }),
    }),
  };
  const drive = createReconcileDriver({
    kind: 'DockerHost',
    reconciler,
    store,
    hosts: { get: () => undefined, list: () => [] },
    cache: emptyCache,
  });
  const object = store.decode((await kv.list('t/objects/')).pairs).find((d) => d.name === 'h1');
  const run = (failures: number) =>
    drive('h1', { key: 'h1', object, reconcileId: 'r', log: createSilentLogger(), signal: new AbortController().signal, failures });
  const degraded = async () => {
    const c = (await store.get('DockerHost', 'h1'))?.status?.conditions?.find((x) => x.type === 'Degraded');
    return `${c?.status}/${c?.reason}/${c?.message}`;
  };
  const repairEvents = async () =>
    (await store.listEvents({ kind: 'DockerHost', name: 'h1' }))
      .filter((e) => e.reason === 'RepairFailing')
      .map((e) => `${e.message}/${e.count}`);

  await assert.rejects(run(0), /cannot find manager in raft memberlist/);
  await assert.rejects(run(1), /cannot find manager/);
  await assert.rejects(run(2), /cannot find manager/);
  assert.equal(await degraded(), 'True/RepairFailing/attempt 3: alpha: node update: cannot find manager in raft memberlist');
  assert.equal(
    ((await store.get('DockerHost', 'h1'))?.status as { reachable?: boolean } | undefined)?.reachable,
    true,
    'the observation is still written',
  );
  assert.deepEqual(
    await repairEvents(),
    ['attempt 1: alpha: node update: cannot find manager in raft memberlist/1'],
    'one event while the error stays the same',
  );
  failure = 'alpha: node remove: rpc error: quorum';
  await assert.rejects(run(3), /quorum/);
  assert.deepEqual((await repairEvents()).length, 2, 'a new error is a new event');
  assert.equal(await degraded(), 'True/RepairFailing/attempt 4: alpha: node remove: rpc error: quorum');
  failure = undefined;
  await run(4);
  assert.equal(await degraded(), 'False/AsExpected/', 'a run that repairs clears it');
});

test('a reconcile that throws also shows Degraded/RepairFailing with the attempt count', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 't/' });
  await store.apply([
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'h1' },
      spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' },
    } as Resource,
  ]);
  const reconciler: KindReconciler = {
    kind: 'DockerHost',
    reconcile: async () => {
      throw new Error('connect ECONNREFUSED');
    },
  };
  const drive = createReconcileDriver({
    kind: 'DockerHost',
    reconciler,
    store,
    hosts: { get: () => undefined, list: () => [] },
    cache: emptyCache,
  });
  const object = store.decode((await kv.list('t/objects/')).pairs).find((d) => d.name === 'h1');
  await assert.rejects(
    drive('h1', { key: 'h1', object, reconcileId: 'r', log: createSilentLogger(), signal: new AbortController().signal, failures: 6 }),
    /ECONNREFUSED/,
  );
  const conds = (await store.get('DockerHost', 'h1'))?.status?.conditions?.map((c) => `${c.type}/${c.status}/${c.reason}/${c.message}`);
  assert.deepEqual(conds, [
    'Ready/False/ReconcileError/connect ECONNREFUSED',
    'Degraded/True/RepairFailing/attempt 7: connect ECONNREFUSED',
  ]);
});

test('a run reads the stored status once and nothing else: the cached object is not read from the store again', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 't/' });
  await store.apply([
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'h1' },
      spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' },
    } as Resource,
  ]);
  const reconciler: KindReconciler = {
    kind: 'DockerHost',
    reconcile: async () => ({ observed: {}, conditions: [{ type: 'Ready', status: 'True', reason: 'Reachable', message: 'answers' }] }),
  };
  const drive = createReconcileDriver({
    kind: 'DockerHost',
    reconciler,
    store,
    hosts: { get: () => undefined, list: () => [] },
    cache: emptyCache,
  });
  const object = store.decode((await kv.list('t/objects/')).pairs).find((d) => d.name === 'h1');
  const run = () =>
    drive('h1', { key: 'h1', object, reconcileId: 'r', log: createSilentLogger(), signal: new AbortController().signal, failures: 0 });
  await run(); // first run: writes the status and its Ready event
  const reads: string[] = [];
  const get = kv.get.bind(kv);
  kv.get = async (key, options) => {
    reads.push(key);
    return get(key, options);
  };
  await run(); // nothing changed: reads only
  assert.deepEqual(reads, ['t/status/dockerhosts/h1']);
});

test('a status written by someone else while the reconciler ran fails the run with Conflict and is kept', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 't/' });
  await store.apply([
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'h1' },
      spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' },
    } as Resource,
  ]);
  const reconciler: KindReconciler = {
    kind: 'DockerHost',
    reconcile: async () => {
      await store.updateStatus({ kind: 'DockerHost', metadata: { name: 'h1' } }, { observedGeneration: 7, conditions: [] });
      return { observed: {}, conditions: [{ type: 'Ready', status: 'True', reason: 'Reachable', message: 'answers' }] };
    },
  };
  const drive = createReconcileDriver({
    kind: 'DockerHost',
    reconciler,
    store,
    hosts: { get: () => undefined, list: () => [] },
    cache: emptyCache,
  });
  const object = store.decode((await kv.list('t/objects/')).pairs).find((d) => d.name === 'h1');
  await assert.rejects(
    drive('h1', { key: 'h1', object, reconcileId: 'r', log: createSilentLogger(), signal: new AbortController().signal, failures: 0 }),
    (err: unknown) => isSwarmopError(err, 'Conflict'),
  );
  assert.deepEqual((await store.get('DockerHost', 'h1'))?.status, { observedGeneration: 7, conditions: [] });
});
