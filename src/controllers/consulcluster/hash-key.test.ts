import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeHashKey } from './hash-key.js';

function fakeKv(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  const calls: string[] = [];
  return {
    data,
    calls,
    get: async (k: string) => {
      calls.push(`get ${k}`);
      const v = data.get(k);
      return v === undefined ? undefined : { key: k, value: v, modifyIndex: 1, createIndex: 1, flags: 0 };
    },
    cas: async (k: string, v: string, index: number) => {
      calls.push(`cas ${k} ${index}`);
      if (index !== 0 || data.has(k)) return false;
      data.set(k, v);
      return true;
    },
  };
}

test('a cluster without a key gets 32 random bytes, created only if absent, and keeps it', async () => {
  const kv = fakeKv();
  const key = storeHashKey(kv as never, (c) => `p/hashkeys/consulclusters/${c}`);
  const k1 = await key('a');
  assert.equal(Buffer.from(k1, 'base64').length, 32);
  assert.equal(kv.data.get('p/hashkeys/consulclusters/a'), k1);
  assert.equal(await key('a'), k1);
  assert.deepEqual(kv.calls, ['get p/hashkeys/consulclusters/a', 'cas p/hashkeys/consulclusters/a 0']);
  assert.notEqual(await key('b'), k1);
});

test('a key already in the store is used; one made by another instance first wins the race', async () => {
  const kept = fakeKv({ 'p/a': 'stored' });
  assert.equal(await storeHashKey(kept as never, () => 'p/a')('a'), 'stored');
  const raced = fakeKv();
  const realCas = raced.cas;
  raced.cas = async (k, _v, i) => {
    raced.data.set(k, 'theirs');
    return realCas(k, 'mine', i);
  };
  assert.equal(await storeHashKey(raced as never, () => 'p/a')('a'), 'theirs');
});
