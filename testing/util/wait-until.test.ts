import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, timeUntil, waitUntil } from './wait-until.js';
import { isSwarmopError } from '../../src/errors.js';

test('eventually returns the first value that is not undefined/false/null, retrying probes that throw', async () => {
  let n = 0;
  const v = await eventually(
    'the third try',
    () => {
      n += 1;
      if (n === 1) throw new Error('refused');
      return n === 2 ? false : { n };
    },
    { intervalMs: 1 },
  );
  assert.deepEqual(v, { n: 3 });
});

test('eventually times out naming what it waited for, the last thing seen and the context', async () => {
  await assert.rejects(
    eventually(
      'a miracle',
      () => {
        throw new Error('still refused');
      },
      { timeoutMs: 30, intervalMs: 5, context: () => 'log: nothing' },
    ),
    (e) => isSwarmopError(e, 'Timeout') && /waiting for a miracle; last seen: "error: still refused"\nlog: nothing$/.test(e.message),
  );
});

test('eventually stops at once when stopIf gives a reason', async () => {
  let probes = 0;
  const began = Date.now();
  await assert.rejects(
    eventually(
      'an answer',
      () => {
        probes += 1;
        return undefined;
      },
      { timeoutMs: 10_000, stopIf: () => (probes >= 2 ? 'the agent exited' : undefined) },
    ),
    (e) => isSwarmopError(e, 'Unavailable') && e.message === 'the agent exited while waiting for an answer',
  );
  assert.equal(probes, 2);
  assert.ok(Date.now() - began < 5_000);
});

test('waitUntil resolves on yes and rejects with a Timeout after its bound', async () => {
  let yes = false;
  setTimeout(() => (yes = true), 20);
  await waitUntil('yes', () => yes, 2_000, 5);
  await assert.rejects(
    waitUntil('never', () => false, 30, 5),
    (e) => isSwarmopError(e, 'Timeout'),
  );
});

test('timeUntil measures from the call to the first yes', async () => {
  const at = Date.now() + 60;
  const ms = await timeUntil('a moment', () => Date.now() >= at, { intervalMs: 5 });
  assert.ok(ms >= 55 && ms < 2_000, String(ms));
});
