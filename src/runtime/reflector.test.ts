import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reflector, type ReflectorEvent } from './reflector.js';
import type { KvPair } from '../store/kv.js';

interface Doc {
  name: string;
  value: string;
  version: number;
}

const pair = (name: string, value: string, modifyIndex: number): KvPair => ({
  key: `p/objects/things/${name}`,
  value,
  createIndex: 1,
  modifyIndex,
});

function reflector() {
  const r = new Reflector<Doc>({
    decode: (pairs) =>
      pairs.map((p) => {
        const name = p.key.split('/').at(-1)!;
        return [name, { name, value: p.value, version: p.modifyIndex }] as const;
      }),
    identity: (d) => String(d.version),
  });
  const seen: ReflectorEvent<Doc>[][] = [];
  r.subscribe((events) => seen.push([...events]));
  return { r, seen };
}

const summary = (events: readonly ReflectorEvent<Doc>[]) => events.map((e) => `${e.type}:${e.key}`).sort();

test('is not synced until the first listing, which is announced even when empty', () => {
  const { r, seen } = reflector();
  assert.equal(r.hasSynced(), false);
  r.apply([], 3);
  assert.equal(r.hasSynced(), true);
  assert.deepEqual(seen, [[]]);
});

test('reports added, changed and removed keys by identity and serves get/list', () => {
  const { r, seen } = reflector();
  r.apply([pair('a', '1', 5), pair('b', '1', 6)], 6);
  assert.deepEqual(summary(seen[0]!), ['added:a', 'added:b']);
  r.apply([pair('a', '2', 7), pair('c', '1', 8)], 8);
  assert.deepEqual(summary(seen[1]!), ['added:c', 'changed:a', 'removed:b']);
  const changed = seen[1]!.find((e) => e.type === 'changed')!;
  assert.equal(changed.old?.value, '1');
  assert.equal(changed.new?.value, '2');
  assert.equal(r.get('a')?.value, '2');
  assert.equal(r.get('b'), undefined);
  assert.deepEqual(r.keys().sort(), ['a', 'c']);
  assert.equal(r.list().length, 2);
  assert.equal(r.index, 8);
});

test('the same listing delivered twice notifies nobody', () => {
  const { r, seen } = reflector();
  r.apply([pair('a', '1', 5)], 5);
  r.apply([pair('a', '1', 5)], 9);
  assert.equal(seen.length, 1);
});

test('an unsubscribed listener hears nothing more', () => {
  const r = new Reflector<string>({ decode: (pairs) => pairs.map((p) => [p.key, p.value] as const) });
  let calls = 0;
  const off = r.subscribe(() => calls++);
  r.apply([pair('a', '1', 1)], 1);
  off();
  r.apply([pair('a', '2', 2)], 2);
  assert.equal(calls, 1);
  assert.equal(r.get('p/objects/things/a'), '2', 'default identity compares the item itself');
});
