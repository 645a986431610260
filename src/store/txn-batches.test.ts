import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TXN_BODY_BUDGET, txnBatches, txnOpBytes } from './txn-batches.js';

test('small writes are batched 64 operations at a time', () => {
  const batches = txnBatches(
    Array.from({ length: 130 }, (_, i) => i),
    () => 100,
  );
  assert.deepEqual(
    batches.map((b) => b.length),
    [64, 64, 2],
  );
});

test('large writes are split so no request body exceeds the budget', () => {
  const value = 'x'.repeat(100 * 1024);
  const items = Array.from({ length: 10 }, (_, i) => ({ key: `swarmop/objects/dockerhosts/h${i}`, value }));
  const batches = txnBatches(items, (w) => txnOpBytes(w.key, w.value));
  assert.ok(batches.length > 1);
  for (const b of batches) assert.ok(b.reduce((n, w) => n + txnOpBytes(w.key, w.value), 0) <= TXN_BODY_BUDGET);
  assert.equal(batches.flat().length, 10);
});

test('a value is counted base64-encoded', () => {
  assert.equal(txnOpBytes('k', 'abc'), 96 + 1 + 4);
  assert.equal(txnOpBytes('k', undefined), 97);
});

test('a reserve leaves room for operations added to every transaction', () => {
  const batches = txnBatches(
    Array.from({ length: 130 }, (_, i) => i),
    () => 100,
    { ops: 2, bytes: 0 },
  );
  assert.deepEqual(
    batches.map((b) => b.length),
    [62, 62, 6],
  );
  const big = txnBatches(
    Array.from({ length: 4 }, (_, i) => i),
    () => TXN_BODY_BUDGET / 4,
    { ops: 0, bytes: 1 },
  );
  assert.deepEqual(
    big.map((b) => b.length),
    [3, 1],
  );
});
