/**
 * ResourceStore behaviour, run over the in-memory fake (resource-store.test.ts) and over a real
 * Consul agent (resource-store.int.test.ts). Each case uses its own key prefix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_VERSION, type Resource } from '../../src/crds/meta.js';
import { isSwarmopError } from '../../src/errors.js';
import type { KvStore, KvTxnOp, KvTxnResult } from '../../src/store/kv.js';
import { ResourceStore } from '../../src/store/resource-store.js';
import { objectKey, statusKey } from '../../src/store/store-keys.js';

let counter = 0;
function freshPrefix(): string {
  counter += 1;
  return `rs-${process.pid}-${Date.now()}-${counter}/`;
}

export function dockerHost(name: string, octet = 111, extra: { labels?: Record<string, string> } = {}): Resource {
  return {
    apiVersion: API_VERSION,
    kind: 'DockerHost',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { endpoint: `tcp://192.168.116.${octet}:2375`, address: `192.168.116.${octet}` },
  };
}

/**
 * Passes everything to the real store, but runs `before` ahead of the n-th transaction: a way
 * to make another writer win a race at a chosen point of a multi-batch apply.
 */
export function raceBeforeTxn(kv: KvStore, n: number, before: () => Promise<void>): KvStore {
  let calls = 0;
  return new Proxy(kv, {
    get(target, prop, receiver) {
      if (prop === 'txn') {
        return async (ops: readonly KvTxnOp[]): Promise<KvTxnResult> => {
          calls += 1;
          if (calls === n) await before();
          return target.txn(ops);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export function resourceStoreContract(name: string, fixture: () => { kv: KvStore }): void {
  const open = (opts: { now?: () => Date; eventLimit?: number; eventMaxAgeMs?: number } = {}): ResourceStore =>
    new ResourceStore({ kv: fixture().kv, prefix: freshPrefix(), ...opts });

  test(`${name}: apply creates objects with uid, generation 1 and a resourceVersion, then reports unchanged`, async () => {
    const store = open();
    assert.deepEqual(await store.apply([dockerHost('consulsvr', 111), dockerHost('consul01', 112)]), [
      { kind: 'DockerHost', name: 'consulsvr', action: 'created' },
      { kind: 'DockerHost', name: 'consul01', action: 'created' },
    ]);
    const got = await store.get('DockerHost', 'consulsvr');
    assert.ok(got);
    assert.match(got.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(got.metadata.generation, 1);
    assert.match(got.metadata.resourceVersion ?? '', /^\d+$/);
    assert.ok(got.metadata.creationTimestamp);
    assert.deepEqual(got.spec, dockerHost('consulsvr').spec);
    assert.equal(got.status, undefined);
    const before = got.metadata.resourceVersion;
    assert.deepEqual(await store.apply([dockerHost('consulsvr', 111)]), [{ kind: 'DockerHost', name: 'consulsvr', action: 'unchanged' }]);
    assert.equal((await store.get('DockerHost', 'consulsvr'))?.metadata.resourceVersion, before, 'unchanged writes nothing');
    const stored = await fixture().kv.get(objectKey(store.prefix, 'DockerHost', 'consulsvr'));
    assert.equal((JSON.parse(stored!.value) as Resource).metadata.resourceVersion, undefined, 'resourceVersion is not stored');
  });

  test(`${name}: a spec change bumps generation, a label change does not, and uid stays`, async () => {
    const store = open();
    await store.apply([dockerHost('h', 111)]);
    const first = await store.get('DockerHost', 'h');
    assert.deepEqual(await store.apply([dockerHost('h', 111, { labels: { role: 'server' } })]), [
      { kind: 'DockerHost', name: 'h', action: 'configured' },
    ]);
    const labelled = await store.get('DockerHost', 'h');
    assert.equal(labelled?.metadata.generation, 1);
    assert.deepEqual(labelled?.metadata.labels, { role: 'server' });
    await store.apply([dockerHost('h', 120, { labels: { role: 'server' } })]);
    const changed = await store.get('DockerHost', 'h');
    assert.equal(changed?.metadata.generation, 2);
    assert.equal(changed?.metadata.uid, first?.metadata.uid);
    assert.equal(changed?.metadata.creationTimestamp, first?.metadata.creationTimestamp);
    assert.notEqual(changed?.metadata.resourceVersion, labelled?.metadata.resourceVersion);
  });

  test(`${name}: apply ignores status and system metadata in the documents`, async () => {
    const store = open();
    const doc = { ...dockerHost('h'), status: { observedGeneration: 9 } } as Resource;
    doc.metadata = { ...doc.metadata, uid: 'forged', generation: 42, finalizers: ['x'] };
    await store.apply([doc]);
    const got = await store.get('DockerHost', 'h');
    assert.notEqual(got?.metadata.uid, 'forged');
    assert.equal(got?.metadata.generation, 1);
    assert.equal(got?.metadata.finalizers, undefined);
    assert.equal(got?.status, undefined);
  });

  test(`${name}: an invalid document is rejected with every error and nothing is written`, async () => {
    const store = open();
    const bad = dockerHost('bad');
    (bad.spec as Record<string, unknown>).address = '300.1.1.1';
    const dup = dockerHost('good');
    await assert.rejects(store.apply([dockerHost('good'), bad, dup]), (err) => {
      assert.ok(isSwarmopError(err, 'Invalid'));
      assert.ok(err.details.some((d) => d.includes('DockerHost/bad') && d.includes('spec.address')));
      assert.ok(err.details.some((d) => d.includes('duplicate')));
      return true;
    });
    assert.deepEqual(await store.listAll(), []);
  });

  test(`${name}: a stale resourceVersion in the document is a conflict`, async () => {
    const store = open();
    await store.apply([dockerHost('h')]);
    const got = await store.get('DockerHost', 'h');
    await store.apply([dockerHost('h', 112)]);
    const stale = { ...dockerHost('h', 113), metadata: { name: 'h', resourceVersion: got!.metadata.resourceVersion! } };
    await assert.rejects(store.apply([stale]), (err) => isSwarmopError(err, 'Conflict') && /dockerhost\/h/.test(err.message));
  });

  test(`${name}: dry run reads and checks but writes nothing`, async () => {
    const store = open();
    await store.apply([dockerHost('a')]);
    const res = await store.apply([dockerHost('a', 120), dockerHost('b')], { dryRun: true });
    assert.deepEqual(
      res.map((r) => r.action),
      ['configured', 'created'],
    );
    assert.deepEqual(
      (await store.listAll()).map((r) => r.metadata.name),
      ['a'],
    );
    assert.equal((await store.get('DockerHost', 'a'))?.metadata.generation, 1);
  });

  test(`${name}: more than 64 documents are written in several transactions`, async () => {
    const store = open();
    const docs = Array.from({ length: 150 }, (_, i) => dockerHost(`h${i}`, (i % 250) + 1));
    const res = await store.apply(docs);
    assert.equal(res.filter((r) => r.action === 'created').length, 150);
    const all = await store.list('DockerHost');
    assert.equal(all.length, 150);
    const again = await store.apply(docs);
    assert.ok(again.every((r) => r.action === 'unchanged'));
  });

  test(`${name}: a conflict in a later transaction rolls the earlier ones back and names the object`, async () => {
    const inner = fixture().kv;
    const prefix = freshPrefix();
    const seed = new ResourceStore({ kv: inner, prefix });
    await seed.apply([dockerHost('h5', 5)]);
    const before = await inner.list(prefix);
    // 100 documents: batch 1 = h0..h63, batch 2 = h64..h99. Another writer creates h80 first.
    const racing = new ResourceStore({
      kv: raceBeforeTxn(inner, 2, async () => {
        await seed.apply([dockerHost('h80', 80)]);
      }),
      prefix,
    });
    const docs = Array.from({ length: 100 }, (_, i) => dockerHost(`h${i}`, i + 1));
    await assert.rejects(racing.apply(docs), (err) => {
      assert.ok(isSwarmopError(err, 'Conflict'));
      assert.match(err.message, /dockerhost\/h80 was created by someone else/);
      assert.match(err.message, /nothing was applied/);
      return true;
    });
    const names = (await seed.list('DockerHost')).map((r) => r.metadata.name).sort();
    assert.deepEqual(names, ['h5', 'h80']);
    const h5 = await seed.get('DockerHost', 'h5');
    assert.deepEqual(h5?.spec, dockerHost('h5', 5).spec, 'updated object restored');
    assert.equal(h5?.metadata.generation, 1);
    assert.ok(before.pairs.length > 0);
  });

  test(`${name}: applying to an object being deleted is a conflict`, async () => {
    const store = open();
    await store.apply([dockerHost('h')]);
    await store.addFinalizer('DockerHost', 'h', 'swarmop.io/cleanup');
    assert.equal(await store.delete('DockerHost', 'h'), 'terminating');
    await assert.rejects(
      store.apply([dockerHost('h', 120)]),
      (err) => isSwarmopError(err, 'Conflict') && /being deleted/.test(err.message),
    );
  });

  test(`${name}: delete without finalizers removes spec and status, and is notfound afterwards`, async () => {
    const store = open();
    await store.apply([dockerHost('h')]);
    const h = (await store.get('DockerHost', 'h'))!;
    await store.updateStatus(h, { observedGeneration: 1 });
    assert.equal(await store.delete('DockerHost', 'h'), 'deleted');
    assert.equal(await store.get('DockerHost', 'h'), undefined);
    assert.equal(await fixture().kv.get(statusKey(store.prefix, 'DockerHost', 'h')), undefined);
    assert.equal(await store.delete('DockerHost', 'h'), 'notfound');
  });

  test(`${name}: finalizer flow: delete marks terminating, removing the last finalizer removes the object`, async () => {
    const store = open();
    await store.apply([dockerHost('h')]);
    assert.equal(await store.addFinalizer('DockerHost', 'h', 'a'), true);
    assert.equal(await store.addFinalizer('DockerHost', 'h', 'a'), false);
    assert.equal(await store.addFinalizer('DockerHost', 'h', 'b'), true);
    assert.equal(await store.delete('DockerHost', 'h'), 'terminating');
    const terminating = await store.get('DockerHost', 'h');
    assert.ok(terminating?.metadata.deletionTimestamp);
    assert.deepEqual(terminating.metadata.finalizers, ['a', 'b']);
    assert.equal(await store.delete('DockerHost', 'h'), 'terminating', 'a second delete changes nothing');
    await assert.rejects(store.addFinalizer('DockerHost', 'h', 'c'), (err) => isSwarmopError(err, 'Conflict'));
    assert.equal(await store.removeFinalizer('DockerHost', 'h', 'a'), true);
    assert.ok(await store.get('DockerHost', 'h'));
    assert.equal(await store.removeFinalizer('DockerHost', 'h', 'b'), true);
    assert.equal(await store.get('DockerHost', 'h'), undefined);
    assert.equal(await store.removeFinalizer('DockerHost', 'h', 'b'), false);
  });

  test(`${name}: updateStatus writes only changes, never bumps generation, and loses races loudly`, async () => {
    const store = open();
    await store.apply([dockerHost('h')]);
    const h = (await store.get('DockerHost', 'h'))!;
    const status = { observedGeneration: 1, reachable: true, conditions: [] };
    assert.equal(await store.updateStatus(h, status), true);
    assert.equal(await store.updateStatus(h, { conditions: [], reachable: true, observedGeneration: 1 }), false);
    const after = await store.get('DockerHost', 'h');
    assert.deepEqual(after?.status, status);
    assert.equal(after?.metadata.generation, 1);
    assert.equal(after?.metadata.resourceVersion, h.metadata.resourceVersion, 'status writes do not touch the spec key');
    assert.deepEqual(await store.apply([dockerHost('h')]), [{ kind: 'DockerHost', name: 'h', action: 'unchanged' }]);

    // A second writer changes the status between our read and our write.
    const kv = fixture().kv;
    const racing = new ResourceStore({
      kv: raceBeforeTxn(kv, 1, async () => {
        await kv.set(statusKey(store.prefix, 'DockerHost', 'h'), JSON.stringify({ observedGeneration: 7 }));
      }),
      prefix: store.prefix,
    });
    await assert.rejects(racing.updateStatus(h, { observedGeneration: 2 }), (err) => isSwarmopError(err, 'Conflict'));
    await store.delete('DockerHost', 'h');
    await assert.rejects(store.updateStatus(h, { observedGeneration: 3 }), (err) => isSwarmopError(err, 'NotFound'));
    assert.equal(await kv.get(statusKey(store.prefix, 'DockerHost', 'h')), undefined, 'no orphan status');
  });

  test(`${name}: list filters by label selector and listAll spans kinds`, async () => {
    const store = open();
    await store.apply([
      dockerHost('a', 1, { labels: { role: 'server' } }),
      dockerHost('b', 2, { labels: { role: 'worker' } }),
      {
        apiVersion: API_VERSION,
        kind: 'SwarmCluster',
        metadata: { name: 'swarm' },
        spec: { managers: ['a'], workers: ['b'] },
      },
    ]);
    assert.deepEqual(
      (await store.list('DockerHost', { labelSelector: { role: 'worker' } })).map((r) => r.metadata.name),
      ['b'],
    );
    assert.deepEqual(
      (await store.list('DockerHost')).map((r) => r.metadata.name),
      ['a', 'b'],
    );
    assert.deepEqual(
      (await store.listAll()).map((r) => `${r.kind}/${r.metadata.name}`),
      ['DockerHost/a', 'DockerHost/b', 'SwarmCluster/swarm'],
    );
  });

  test(`${name}: decode reports invalid stored documents instead of failing`, async () => {
    const store = open();
    const kv = fixture().kv;
    await store.apply([dockerHost('good')]);
    await kv.set(objectKey(store.prefix, 'DockerHost', 'broken'), '{not json');
    const wrong = { ...dockerHost('wrong'), spec: { endpoint: 'nope' } };
    await kv.set(objectKey(store.prefix, 'DockerHost', 'wrong'), JSON.stringify(wrong));
    await kv.set(statusKey(store.prefix, 'DockerHost', 'good'), JSON.stringify({ observedGeneration: 1 }));
    await kv.set(`${store.prefix}leader`, 'x');
    const listed = await kv.list(store.prefix);
    const decoded = store.decode(listed.pairs);
    assert.deepEqual(
      decoded.map((d) => [d.name, d.errors.length > 0]),
      [
        ['broken', true],
        ['good', false],
        ['wrong', true],
      ],
    );
    const good = decoded.find((d) => d.name === 'good')!;
    assert.deepEqual(good.resource?.status, { observedGeneration: 1 });
    assert.ok(good.statusIndex > 0 && good.specIndex > 0);
    assert.ok(decoded.find((d) => d.name === 'wrong')!.errors.some((e) => e.startsWith('spec')));
    await assert.rejects(store.get('DockerHost', 'broken'), (err) => isSwarmopError(err, 'Invalid'));
    assert.deepEqual(
      (await store.list('DockerHost')).map((r) => r.metadata.name),
      ['good'],
    );
    assert.equal(await store.delete('DockerHost', 'broken'), 'deleted', 'an unreadable object can still be deleted');
  });

  test(`${name}: events merge repeats into a count, stay bounded, and list oldest first`, async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const store = open({ now: () => new Date(t), eventLimit: 3, eventMaxAgeMs: 60_000 });
    const ref = { kind: 'DockerHost', name: 'h', uid: 'u1' };
    const ev = (reason: string) => ({ type: 'Normal' as const, reason, message: `m ${reason}`, source: 'test' });
    await store.recordEvent(ref, ev('A'));
    t += 1000;
    await store.recordEvent(ref, ev('B'));
    t += 1000;
    const repeated = await store.recordEvent(ref, ev('A'));
    assert.equal(repeated.count, 2);
    let events = await store.listEvents({ kind: 'DockerHost', name: 'h' });
    assert.deepEqual(
      events.map((e) => [e.reason, e.count]),
      [
        ['B', 1],
        ['A', 2],
      ],
    );
    for (const r of ['C', 'D', 'E']) {
      t += 1000;
      await store.recordEvent(ref, ev(r));
    }
    events = await store.listEvents({ kind: 'DockerHost', name: 'h' });
    assert.deepEqual(
      events.map((e) => e.reason),
      ['C', 'D', 'E'],
      'bounded to eventLimit, oldest dropped',
    );
    await store.recordEvent({ kind: 'DockerHost', name: 'other' }, ev('X'));
    assert.equal((await store.listEvents({ kind: 'DockerHost' })).length, 4);
    assert.deepEqual(
      (await store.listEvents({ name: 'other' })).map((e) => e.reason),
      ['X'],
    );
    t += 120_000;
    assert.deepEqual(await store.listEvents(), [], 'expired events are not listed');
    assert.equal(await store.pruneEvents(), 2);
    assert.deepEqual((await fixture().kv.list(`${store.prefix}events/`)).pairs, []);
  });

  test(`${name}: concurrent events on one object are all kept`, async () => {
    const store = open();
    const ref = { kind: 'DockerHost', name: 'h' };
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => store.recordEvent(ref, { type: 'Warning', reason: `R${i}`, message: 'x', source: 'test' })),
    );
    const events = await store.listEvents({ kind: 'DockerHost', name: 'h' });
    assert.deepEqual(events.map((e) => e.reason).sort(), ['R0', 'R1', 'R2', 'R3', 'R4']);
  });
}
