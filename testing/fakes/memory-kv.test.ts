import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSwarmopError } from '../../src/errors.js';
import { kvContract } from '../contracts/kv-contract.js';
import { MemoryKv } from './memory-kv.js';

const kv = new MemoryKv();
kvContract('MemoryKv', () => ({ kv }));

test('MemoryKv: failNext makes exactly the next call fail', async () => {
  const store = new MemoryKv();
  store.failNext();
  await assert.rejects(store.get('a'), (err) => isSwarmopError(err, 'Unavailable'));
  assert.equal(await store.get('a'), undefined);
});

test('MemoryKv: resetIndex empties the store and makes its index go backwards', async () => {
  const store = new MemoryKv();
  await store.set('p/a', '1');
  await store.set('p/b', '2');
  const before = await store.list('p/');
  store.resetIndex();
  const after = await store.list('p/');
  assert.deepEqual(after.pairs, []);
  assert.ok(after.index < before.index);
});

test('MemoryKv: after a reset a blocking list wakes once the new index passes the old one', async () => {
  const store = new MemoryKv();
  await store.set('p/a', '1');
  const first = await store.list('p/');
  const blocked = store.list('p/', { index: first.index, wait: '5s' });
  store.resetIndex();
  // Each write runs synchronously, so all three land before the blocked list resumes.
  void store.set('p/new1', '1');
  void store.set('p/new2', '1');
  void store.set('p/new3', '1');
  const next = await blocked;
  assert.deepEqual(
    next.pairs.map((p) => p.key),
    ['p/new1', 'p/new2', 'p/new3'],
  );
  assert.ok(next.index > first.index);
});

test('MemoryKv: the lock delay ends on the injected clock', async () => {
  let now = 1_000;
  const store = new MemoryKv({ now: () => now });
  const s1 = await store.createSession({ name: 'a', ttl: '10s', lockDelay: '15s', behavior: 'release' });
  const s2 = await store.createSession({ name: 'b', ttl: '10s', lockDelay: '15s', behavior: 'release' });
  assert.equal(await store.acquire('lock', 'a', s1), true);
  await store.invalidateSession(s1);
  assert.equal(await store.acquire('lock', 'b', s2), false);
  now += 15_001;
  assert.equal(await store.acquire('lock', 'b', s2), true);
});
