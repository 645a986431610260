import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, flushMicrotasks } from '../../testing/fakes/fake-clock.js';
import { PrefixWatcher, type WatcherState } from './watcher.js';
import type { KvListOptions, KvListResult, KvPair } from './kv.js';

const pair = (key: string, modifyIndex: number): KvPair => ({ key, value: 'v', createIndex: modifyIndex, modifyIndex });

/** A list() whose answers the test hands out one by one; records the index of every call. */
class ScriptedList {
  calls: (number | undefined)[] = [];
  #waiting: { resolve: (r: KvListResult) => void; reject: (e: Error) => void }[] = [];

  list = (_prefix: string, options?: KvListOptions): Promise<KvListResult> => {
    this.calls.push(options?.index);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      options?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  };

  async answer(result: KvListResult | Error): Promise<void> {
    await flushMicrotasks();
    const next = this.#waiting.shift();
    assert.ok(next, 'watcher has no call in flight');
    if (result instanceof Error) next.reject(result);
    else next.resolve(result);
    await flushMicrotasks();
  }
}

function setup(opts: { onSnapshot?: (pairs: KvPair[], index: number) => void } = {}) {
  const clock = new FakeClock();
  const kv = new ScriptedList();
  const snapshots: { keys: string[]; index: number }[] = [];
  const states: WatcherState[] = [];
  const watcher = new PrefixWatcher({
    kv,
    prefix: 'swarmop/',
    clock,
    minIntervalMs: 1000,
    backoff: { baseMs: 250, capMs: 1000 },
    onSnapshot: (pairs, index) => {
      opts.onSnapshot?.(pairs, index);
      snapshots.push({ keys: pairs.map((p) => p.key), index });
    },
    onStateChange: (s) => states.push(s),
  });
  const ac = new AbortController();
  const done = watcher.start(ac.signal);
  return { clock, kv, watcher, snapshots, states, ac, done };
}

test('first call lists without blocking, then blocks on the last index and delivers changes', async () => {
  const { kv, watcher, snapshots, ac, done } = setup();
  assert.equal(watcher.state.phase, 'syncing');
  await kv.answer({ index: 10, pairs: [pair('swarmop/a', 10)] });
  assert.equal(watcher.hasSynced(), true);
  assert.equal(watcher.state.phase, 'watching');
  await kv.answer({ index: 12, pairs: [pair('swarmop/a', 10), pair('swarmop/b', 12)] });
  assert.deepEqual(kv.calls.slice(0, 3), [0, 10, 12]);
  assert.deepEqual(snapshots, [
    { keys: ['swarmop/a'], index: 10 },
    { keys: ['swarmop/a', 'swarmop/b'], index: 12 },
  ]);
  ac.abort();
  await done;
});

test('an index that goes backwards resets to a plain list whose answer is delivered', async () => {
  const { kv, snapshots, ac, done, watcher } = setup();
  await kv.answer({ index: 100, pairs: [pair('swarmop/a', 100)] });
  await kv.answer({ index: 7, pairs: [pair('swarmop/a', 5)] });
  assert.equal(watcher.state.phase, 'syncing');
  await kv.answer({ index: 7, pairs: [pair('swarmop/a', 5)] });
  assert.deepEqual(kv.calls.slice(0, 4), [0, 100, 0, 7]);
  assert.deepEqual(
    snapshots.map((s) => s.index),
    [100, 7],
  );
  ac.abort();
  await done;
});

test('an index of 0 from Consul is followed by a query on index 1, not a hot loop on 0', async () => {
  const { kv, ac, done } = setup();
  await kv.answer({ index: 0, pairs: [] });
  assert.deepEqual(kv.calls, [0, 1]);
  ac.abort();
  await done;
});

test('a fast answer with an unchanged index is rate-limited', async () => {
  const { kv, clock, snapshots, ac, done } = setup();
  await kv.answer({ index: 5, pairs: [] });
  await kv.answer({ index: 5, pairs: [] });
  assert.equal(kv.calls.length, 2, 'the next query waits for the rate limit');
  await clock.advance(999);
  assert.equal(kv.calls.length, 2);
  await clock.advance(1);
  assert.equal(kv.calls.length, 3);
  assert.equal(snapshots.length, 2, 'every answer is delivered; the object index dedups');
  ac.abort();
  await done;
});

test('errors back off exponentially up to the cap, re-list from index 0, and reset on success', async () => {
  const { kv, clock, watcher, states, ac, done } = setup();
  await kv.answer({ index: 5, pairs: [] });
  for (const expected of [250, 500, 1000, 1000]) {
    await kv.answer(new Error('connect ECONNREFUSED'));
    assert.equal(watcher.state.phase, 'backoff');
    assert.equal(watcher.state.lastError, 'connect ECONNREFUSED');
    const calls = kv.calls.length;
    await clock.advance(expected - 1);
    assert.equal(kv.calls.length, calls, `still waiting before ${expected} ms`);
    await clock.advance(1);
    assert.equal(kv.calls.length, calls + 1, `retried after ${expected} ms`);
  }
  assert.ok(
    kv.calls.slice(2).every((i) => i === 0),
    'a retry is a plain list: the agent may have restarted',
  );
  await kv.answer({ index: 6, pairs: [] });
  assert.equal(watcher.state.phase, 'watching');
  assert.equal(watcher.state.consecutiveFailures, 0);
  assert.deepEqual(
    states.map((s) => s.phase),
    ['watching', 'backoff', 'watching'],
  );
  ac.abort();
  await done;
});

test('a listing whose onSnapshot threw is delivered again after the backoff', async () => {
  let fail = true;
  const { kv, clock, snapshots, ac, done } = setup({
    onSnapshot: () => {
      if (fail) {
        fail = false;
        throw new Error('decode failed');
      }
    },
  });
  await kv.answer({ index: 9, pairs: [pair('swarmop/a', 9)] });
  await clock.advance(250);
  assert.equal(kv.calls.at(-1), 0, 'retry lists again');
  await kv.answer({ index: 9, pairs: [pair('swarmop/a', 9)] });
  assert.deepEqual(
    snapshots.map((s) => s.index),
    [9],
  );
  ac.abort();
  await done;
});

test('start resolves only when the signal aborts, even with a call in flight', async () => {
  const { kv, ac, done } = setup();
  await kv.answer({ index: 3, pairs: [] });
  let finished = false;
  void done.then(() => (finished = true));
  await flushMicrotasks();
  assert.equal(finished, false);
  ac.abort();
  await done;
  assert.equal(finished, true);
});
