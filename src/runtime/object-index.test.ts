import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CacheEvent } from './cache.js';
import { ObjectIndex } from './object-index.js';

interface Doc {
  name: string;
  value: string;
  version: number;
}

const doc = (name: string, value: string, version: number) => [name, { name, value, version }] as const;

function objectIndex() {
  const r = new ObjectIndex<Doc>({ identity: (d) => String(d.version) });
  const seen: CacheEvent<Doc>[][] = [];
  r.subscribe((events) => seen.push([...events]));
  return { r, seen };
}

const summary = (events: readonly CacheEvent<Doc>[]) => events.map((e) => `${e.type}:${e.key}`).sort();

test('is not synced until the first listing, which is announced even when empty', () => {
  const { r, seen } = objectIndex();
  assert.equal(r.hasSynced(), false);
  r.replace([], 3);
  assert.equal(r.hasSynced(), true);
  assert.deepEqual(seen, [[]]);
});

test('a first patch also counts as the first listing and is announced even when it changes nothing', () => {
  const { r, seen } = objectIndex();
  r.patch([['gone', undefined]], 2);
  assert.equal(r.hasSynced(), true);
  assert.deepEqual(seen, [[]]);
});

test('replace reports added, changed and removed keys by identity and serves get/list', () => {
  const { r, seen } = objectIndex();
  r.replace([doc('a', '1', 5), doc('b', '1', 6)], 6);
  assert.deepEqual(summary(seen[0]!), ['added:a', 'added:b']);
  r.replace([doc('a', '2', 7), doc('c', '1', 8)], 8);
  assert.deepEqual(summary(seen[1]!), ['added:c', 'changed:a', 'removed:b']);
  const changed = seen[1]!.find((e) => e.type === 'changed')!;
  assert.equal(changed.old?.value, '1');
  assert.equal(changed.new?.value, '2');
  assert.equal(r.get('a')?.value, '2');
  assert.equal(r.get('b'), undefined);
  assert.equal(r.has('b'), false);
  assert.deepEqual(r.keys().sort(), ['a', 'c']);
  assert.equal(r.list().length, 2);
  assert.equal(r.size, 2);
  assert.equal(r.index, 8);
});

test('patch upserts and removes only the named keys and leaves the others alone', () => {
  const { r, seen } = objectIndex();
  r.replace([doc('a', '1', 5), doc('b', '1', 6), doc('c', '1', 7)], 7);
  const events = r.patch([doc('a', '2', 8), doc('d', '1', 9), ['b', undefined], ['nope', undefined]], 9);
  assert.deepEqual(summary(events), ['added:d', 'changed:a', 'removed:b']);
  assert.deepEqual(summary(seen[1]!), ['added:d', 'changed:a', 'removed:b']);
  assert.deepEqual(r.keys().sort(), ['a', 'c', 'd']);
  assert.equal(r.get('a')?.value, '2');
  assert.equal(r.get('c')?.value, '1', 'a key the patch does not name is kept');
  assert.equal(r.index, 9);
});

test('a patch or listing with the same identities notifies nobody', () => {
  const { r, seen } = objectIndex();
  r.replace([doc('a', '1', 5)], 5);
  r.replace([doc('a', 'other text, same version', 5)], 9);
  r.patch([doc('a', '1', 5), ['missing', undefined]], 10);
  assert.equal(seen.length, 1);
  assert.equal(r.get('a')?.value, '1', 'an item of the same identity is not replaced');
});

test('an unsubscribed listener hears nothing more', () => {
  const r = new ObjectIndex<string>();
  let calls = 0;
  const off = r.subscribe(() => calls++);
  r.replace([['a', '1']], 1);
  off();
  r.replace([['a', '2']], 2);
  assert.equal(calls, 1);
  assert.equal(r.get('a'), '2', 'default identity compares the item itself');
});

test('an index finds items by each of their values and follows replace and patch', () => {
  const r = new ObjectIndex<Doc>({
    identity: (d) => String(d.version),
    indexers: { value: (d) => (d.value === '' ? [] : d.value.split(',')) },
  });
  const names = (value: string) =>
    r
      .byIndex('value', value)
      .map((d) => d.name)
      .sort();
  r.replace([doc('a', 'x', 1), doc('b', 'x,y', 1), doc('c', '', 1)], 1);
  assert.deepEqual(names('x'), ['a', 'b']);
  assert.deepEqual(names('y'), ['b']);
  assert.deepEqual(names(''), []);
  r.patch([doc('a', 'y', 2), ['b', undefined], doc('d', 'z', 1)], 2);
  assert.deepEqual(names('x'), []);
  assert.deepEqual(names('y'), ['a']);
  assert.deepEqual(names('z'), ['d']);
  // A re-delivery with the same identity changes nothing; a listing drops what it no longer holds.
  r.patch([doc('a', 'y', 2)], 3);
  assert.deepEqual(names('y'), ['a']);
  r.replace([doc('c', 'x', 2), doc('d', 'z', 1)], 4);
  assert.deepEqual(names('y'), []);
  assert.deepEqual(names('x'), ['c']);
  assert.deepEqual(names('z'), ['d']);
  assert.throws(() => r.byIndex('nope', 'x'), /no index named nope/);
});

test('an index agrees with a scan of the list after any sequence of replaces and patches', () => {
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const r = new ObjectIndex<Doc>({ identity: (d) => String(d.version), indexers: { value: (d) => [...new Set(d.value.split(','))] } });
  let version = 0;
  const randomDoc = () => doc(`k${random(30)}`, Array.from({ length: 1 + random(2) }, () => `v${random(8)}`).join(','), ++version);
  for (let step = 0; step < 500; step++) {
    if (random(10) === 0) r.replace(Array.from({ length: random(30) }, randomDoc), step);
    else
      r.patch(
        Array.from({ length: 1 + random(4) }, () => (random(4) === 0 ? ([`k${random(30)}`, undefined] as const) : randomDoc())),
        step,
      );
    for (let v = 0; v < 8; v++) {
      const scanned = r
        .list()
        .filter((d) => d.value.split(',').includes(`v${v}`))
        .map((d) => d.name)
        .sort();
      assert.deepEqual(
        r
          .byIndex('value', `v${v}`)
          .map((d) => d.name)
          .sort(),
        scanned,
        `step ${step}, v${v}`,
      );
    }
  }
});
