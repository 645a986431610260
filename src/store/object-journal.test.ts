import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../crds/index.js';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { changesSince, readJournal, type JournalView } from './object-journal.js';
import { journalHeadKey, journalPrefixOf } from './store-keys.js';
import { ResourceStore } from './resource-store.js';

const host = (name: string, octet = 1): Resource =>
  ({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name },
    spec: { endpoint: `tcp://10.0.0.${octet}:2375`, address: `10.0.0.${octet}` },
  }) as Resource;

const at = (v: JournalView, seq: number) => ({ seq, epoch: v.epoch });

async function view(kv: MemoryKv, prefix = 'j/'): Promise<JournalView> {
  return readJournal(prefix, (await kv.list(journalPrefixOf(prefix))).pairs);
}

test('every kind of objects write appends one journal entry naming the key, numbered without gaps', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 'j/' });
  await store.apply([host('a'), host('b')]); // 1: both, one transaction
  await store.apply([host('a', 2)]); // 2
  await store.addFinalizer('DockerHost', 'a', 'f'); // 3
  await store.delete('DockerHost', 'a'); // 4: deletionTimestamp
  await store.removeFinalizer('DockerHost', 'a', 'f'); // 5: removal
  await store.delete('DockerHost', 'b'); // 6: removal without finalizers
  await store.updateStatus({ kind: 'DockerHost', metadata: { name: 'b' } }, { x: 1 }).catch(() => undefined); // status: not journaled
  const v = await view(kv);
  assert.equal(v.head, 6);
  assert.deepEqual(
    [...v.entries.values()].sort((x, y) => x.seq - y.seq).map((e) => e.keys),
    [['dockerhosts/a', 'dockerhosts/b'], ['dockerhosts/a'], ['dockerhosts/a'], ['dockerhosts/a'], ['dockerhosts/a'], ['dockerhosts/b']],
  );
  assert.deepEqual(changesSince(v, at(v, 3)), ['dockerhosts/a', 'dockerhosts/b']);
  assert.deepEqual(changesSince(v, at(v, 6)), []);
});

test('unchanged applies and refused writes add no entry', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 'j/' });
  await store.apply([host('a')]);
  await store.apply([host('a')]);
  await assert.rejects(store.apply([{ ...host('a', 3), metadata: { name: 'a', resourceVersion: '1' } } as Resource]));
  assert.equal((await view(kv)).head, 1);
});

test('writers racing through separate stores each get their own sequence number', async () => {
  const kv = new MemoryKv();
  const stores = Array.from({ length: 4 }, () => new ResourceStore({ kv, prefix: 'j/' }));
  await stores[0]!.apply([host('warm')]); // every store's journal starts with no cached head
  await Promise.all(stores.flatMap((s, i) => Array.from({ length: 5 }, (_, j) => s.apply([host(`h${i}-${j}`)]))));
  const v = await view(kv);
  assert.equal(v.head, 21);
  const keys = changesSince(v, at(v, 1));
  assert.ok(keys !== 'gap');
  assert.equal(keys.length, 20);
});

test('a batched apply journals every key and keeps each transaction within 64 operations', async () => {
  const kv = new MemoryKv(); // MemoryKv refuses transactions of more than 64 operations, like Consul
  const store = new ResourceStore({ kv, prefix: 'j/' });
  await store.apply(Array.from({ length: 150 }, (_, i) => host(`h${i}`, (i % 250) + 1)));
  const v = await view(kv);
  assert.equal(v.head, 5, '150 documents and their 150 first revisions = 62 + 62 + 62 + 62 + 52 writes');
  const keys = changesSince(v, at(v, 0));
  assert.ok(keys !== 'gap');
  assert.equal(keys.length, 150);
});

test('a reader that fell behind by more than the ring, or whose journal was reset, sees a gap', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 'j/', journalSlots: 4 });
  for (let i = 0; i < 6; i++) await store.apply([host(`h${i}`)]);
  const v = await view(kv);
  assert.equal(v.head, 6);
  assert.equal(changesSince(v, at(v, 1)), 'gap', 'seq 2 was overwritten by seq 6');
  assert.deepEqual(changesSince(v, at(v, 2)), ['dockerhosts/h2', 'dockerhosts/h3', 'dockerhosts/h4', 'dockerhosts/h5']);
  kv.resetIndex();
  assert.equal(changesSince(await view(kv), at(v, 6)), 'gap', 'head 0 is below the reader');
  await new ResourceStore({ kv, prefix: 'j/', journalSlots: 4 }).apply([host('x')]);
  await store.apply([host('y')]); // its cached head is stale: it re-reads and continues at 2
  for (let i = 0; i < 8; i++) await store.apply([host(`z${i}`)]);
  const after = await view(kv);
  assert.equal(after.head, 10);
  assert.notEqual(after.epoch, v.epoch, 'the new journal has a new epoch');
  assert.equal(changesSince(after, at(v, 6)), 'gap', 'a higher head of another epoch is a gap too');
  assert.deepEqual(changesSince(after, at(after, 8)), ['dockerhosts/z6', 'dockerhosts/z7']);

  // Only the head deleted by hand: the old slots stay, but belong to the old epoch.
  await kv.delete(journalHeadKey('j/'));
  await store.apply([host('fresh')]);
  const restarted = await view(kv);
  assert.equal(restarted.head, 1);
  assert.deepEqual(changesSince(restarted, { seq: 0, epoch: '' }), ['dockerhosts/fresh']);
  assert.equal(restarted.entries.size, 1, 'entries of the old epoch do not count');
});
