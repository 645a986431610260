import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyLimit } from './concurrency-limit.js';

test('holders beyond the limit wait in arrival order; an aborted waiter leaves the line holding nothing', async () => {
  const limit = new ConcurrencyLimit(2);
  const a = await limit.acquire();
  const b = await limit.acquire();
  const order: string[] = [];
  const ac = new AbortController();
  const c = limit.acquire().then((r) => (order.push('c'), r));
  const d = limit.acquire(ac.signal).then((r) => (order.push(r ? 'd' : 'd aborted'), r));
  const e = limit.acquire().then((r) => (order.push('e'), r));
  assert.equal(limit.active, 2);
  ac.abort();
  await d;
  a!();
  a!(); // a second release of the same slot gives nothing back twice
  await c;
  assert.equal(limit.active, 2);
  b!();
  (await e)!();
  (await c)!();
  assert.deepEqual(order, ['d aborted', 'c', 'e']);
  assert.equal(limit.active, 0);
  assert.equal(await limit.acquire(AbortSignal.abort()), undefined);
  assert.throws(() => new ConcurrencyLimit(0), /max must be an integer >= 1, got 0/);
});
