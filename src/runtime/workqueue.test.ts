import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, flushMicrotasks } from '../../testing/fakes/fake-clock.js';
import { WorkQueue, type WorkOutcome } from './workqueue.js';

/** A process function whose runs the test finishes by hand. */
class ManualProcess {
  runs: string[] = [];
  #pending = new Map<string, ((o: WorkOutcome) => void)[]>();

  process = (key: string): Promise<WorkOutcome> => {
    this.runs.push(key);
    return new Promise((resolve) => {
      const list = this.#pending.get(key) ?? [];
      list.push(resolve);
      this.#pending.set(key, list);
    });
  };

  running(key: string): number {
    return this.#pending.get(key)?.length ?? 0;
  }

  async finish(key: string, outcome: WorkOutcome = { type: 'success' }): Promise<void> {
    await flushMicrotasks();
    const resolve = this.#pending.get(key)?.shift();
    assert.ok(resolve, `${key} is not running`);
    resolve(outcome);
    await flushMicrotasks();
  }
}

function setup(options: { concurrency?: number; resyncMs?: number } = {}) {
  const clock = new FakeClock();
  const p = new ManualProcess();
  const retries: number[] = [];
  const q = new WorkQueue({
    process: p.process,
    clock,
    concurrency: options.concurrency ?? 4,
    resyncMs: options.resyncMs ?? 0,
    backoff: { baseMs: 200, capMs: 1000 },
    hooks: { onRetry: (_k, _f, delay) => retries.push(delay) },
  });
  return { clock, p, q, retries };
}

test('a key added many times while waiting is processed once', async () => {
  const { p, q } = setup({ concurrency: 1 });
  q.add('blocker');
  await flushMicrotasks();
  for (let i = 0; i < 5; i++) q.add('a');
  assert.equal(q.depth, 1);
  await p.finish('blocker');
  await p.finish('a');
  assert.deepEqual(p.runs, ['blocker', 'a']);
});

test('a key added while processing runs exactly once more afterwards, never concurrently', async () => {
  const { p, q } = setup();
  q.add('a');
  await flushMicrotasks();
  q.add('a');
  q.add('a');
  await flushMicrotasks();
  assert.equal(p.running('a'), 1, 'the second add does not start a parallel run');
  await p.finish('a');
  assert.equal(p.running('a'), 1, 'it runs again after the first run');
  await p.finish('a');
  assert.deepEqual(p.runs, ['a', 'a']);
  assert.equal(q.depth + q.active, 0);
});

test('concurrency caps the number of keys processed at once', async () => {
  const { p, q } = setup({ concurrency: 2 });
  for (const k of ['a', 'b', 'c']) q.add(k);
  await flushMicrotasks();
  assert.deepEqual(p.runs, ['a', 'b']);
  assert.equal(q.depth, 1);
  await p.finish('a');
  assert.deepEqual(p.runs, ['a', 'b', 'c']);
});

test('retries back off exponentially per key up to the cap and reset on success', async () => {
  const { p, q, clock, retries } = setup();
  q.add('a');
  for (const delay of [200, 400, 800, 1000]) {
    await p.finish('a', { type: 'retry' });
    await clock.advance(delay - 1);
    assert.equal(p.running('a'), 0, `not retried before ${delay} ms`);
    await clock.advance(1);
    assert.equal(p.running('a'), 1, `retried after ${delay} ms`);
  }
  assert.deepEqual(retries, [200, 400, 800, 1000]);
  await p.finish('a');
  assert.equal(q.failures('a'), 0);
  q.add('a');
  await p.finish('a', { type: 'retry' });
  assert.equal(retries.at(-1), 200, 'backoff starts over after a success');
});

test('requeueAfter re-runs the key after the delay', async () => {
  const { p, q, clock } = setup();
  q.add('a');
  await p.finish('a', { type: 'success', requeueAfterMs: 5000 });
  await clock.advance(4999);
  assert.equal(p.runs.length, 1);
  await clock.advance(1);
  assert.equal(p.runs.length, 2);
});

test('an add cancels a pending delayed add; the new run decides the next delay', async () => {
  const { p, q, clock } = setup();
  q.add('a');
  await p.finish('a', { type: 'success', requeueAfterMs: 5000 });
  q.add('a');
  await p.finish('a');
  await clock.advance(10_000);
  assert.equal(p.runs.length, 2);
});

test('a terminal outcome stops retries and resyncs until the key is added again', async () => {
  const { p, q, clock } = setup({ resyncMs: 1000 });
  const ac = new AbortController();
  const started = q.start(ac.signal);
  q.add('a');
  await p.finish('a', { type: 'terminal', error: new Error('invalid spec') });
  assert.equal(q.isTerminal('a'), true);
  await clock.advance(5000);
  assert.equal(p.runs.length, 1);
  q.add('a');
  await p.finish('a');
  assert.equal(q.isTerminal('a'), false);
  ac.abort();
  await started;
});

test('resync re-adds every known key periodically but skips keys in backoff', async () => {
  const { p, q, clock } = setup({ resyncMs: 1000 });
  const ac = new AbortController();
  const started = q.start(ac.signal);
  q.add('ok');
  q.add('failing');
  await p.finish('ok');
  await p.finish('failing', { type: 'retry', afterMs: 10_000 });
  await clock.advance(1000);
  assert.deepEqual(p.runs.slice(2), ['ok']);
  await p.finish('ok');
  await clock.advance(1000);
  assert.deepEqual(p.runs.slice(2), ['ok', 'ok']);
  await p.finish('ok');
  ac.abort();
  await started;
});

test('forget stops resync and pending retries of a key', async () => {
  const { p, q, clock } = setup({ resyncMs: 1000 });
  const ac = new AbortController();
  const started = q.start(ac.signal);
  q.add('gone');
  await p.finish('gone', { type: 'retry' });
  q.forget('gone');
  await clock.advance(5000);
  assert.deepEqual(p.runs, ['gone']);
  ac.abort();
  await started;
});

test('a process function that throws is retried with backoff', async () => {
  const clock = new FakeClock();
  let runs = 0;
  const q = new WorkQueue({
    clock,
    resyncMs: 0,
    backoff: { baseMs: 200, capMs: 1000 },
    process: async () => {
      runs++;
      throw new Error('boom');
    },
  });
  q.add('a');
  await flushMicrotasks();
  await clock.advance(200);
  assert.equal(runs, 2);
  await q.shutdown();
});

test('shutdown waits for in-flight work, drops waiting keys and accepts no more', async () => {
  const { p, q } = setup({ concurrency: 1 });
  q.add('a');
  q.add('b');
  await flushMicrotasks();
  let closed = false;
  const done = q.shutdown().then(() => (closed = true));
  await flushMicrotasks();
  assert.equal(closed, false, 'still waiting for a');
  await p.finish('a');
  await done;
  q.add('c');
  await flushMicrotasks();
  assert.deepEqual(p.runs, ['a']);
});

test('randomized: concurrent producers never cause parallel runs of a key and every add is followed by a run', async () => {
  let seq = 0;
  const lastAdd = new Map<string, number>();
  const runStarts = new Map<string, number[]>();
  const running = new Set<string>();
  let violations = 0;
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const q = new WorkQueue({
    concurrency: 8,
    resyncMs: 0,
    process: async (key) => {
      if (running.has(key)) violations++;
      running.add(key);
      runStarts.set(key, [...(runStarts.get(key) ?? []), ++seq]);
      for (let i = rand(5); i > 0; i--) await new Promise((r) => setImmediate(r));
      running.delete(key);
      return { type: 'success' };
    },
  });
  const producers = Array.from({ length: 20 }, async () => {
    for (let i = 0; i < 200; i++) {
      const key = `k${rand(30)}`;
      lastAdd.set(key, ++seq);
      q.add(key);
      if (rand(3) === 0) await new Promise((r) => setImmediate(r));
    }
  });
  await Promise.all(producers);
  await q.idle();
  assert.equal(violations, 0, 'a key ran on two workers at once');
  for (const [key, added] of lastAdd) {
    const starts = runStarts.get(key) ?? [];
    assert.ok(
      starts.some((s) => s > added),
      `${key} was not processed after its last add`,
    );
  }
  const totalRuns = [...runStarts.values()].reduce((n, s) => n + s.length, 0);
  assert.ok(totalRuns < 4000, `adds were coalesced (${totalRuns} runs for 4000 adds)`);
});

test('an add during backoff does not run the key before its backoff allows; addChanged does and starts the backoff over', async () => {
  const { p, q, clock, retries } = setup();
  q.add('a');
  await p.finish('a', { type: 'retry' });
  q.add('a');
  q.add('a');
  await flushMicrotasks();
  assert.equal(p.running('a'), 0, 'an event does not cut the backoff short');
  assert.equal(q.inBackoff('a'), true);
  await clock.advance(199);
  assert.equal(p.running('a'), 0);
  await clock.advance(1);
  assert.equal(p.running('a'), 1, 'the retry timer runs it');
  await p.finish('a', { type: 'retry' });
  assert.deepEqual(retries, [200, 400]);
  q.addChanged('a');
  await flushMicrotasks();
  assert.equal(p.running('a'), 1, 'a changed object runs at once');
  assert.equal(q.failures('a'), 0);
  await p.finish('a', { type: 'retry' });
  assert.deepEqual(retries, [200, 400, 200], 'its backoff starts over');
});

test('an add while a failing run is in flight waits for the backoff; a change during the run runs it again at once', async () => {
  const { p, q, clock } = setup();
  q.add('a');
  await flushMicrotasks();
  q.add('a'); // e.g. the node event the failing action itself caused
  await p.finish('a', { type: 'retry' });
  assert.equal(p.running('a'), 0, 'no immediate re-run after the failure');
  await clock.advance(200);
  assert.equal(p.running('a'), 1);
  q.addChanged('a');
  await p.finish('a', { type: 'retry' });
  assert.equal(p.running('a'), 1, 'the spec changed while it ran: it runs again now');
  assert.equal(q.failures('a'), 0, 'the failure on the old spec does not count');
  await p.finish('a');
  assert.deepEqual(p.runs, ['a', 'a', 'a']);
});

test('many waiting keys run in arrival order, `concurrency` at a time, each once', async () => {
  const { p, q } = setup({ concurrency: 3 });
  const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
  for (const k of keys) q.add(k);
  await flushMicrotasks();
  for (const k of keys.slice(3).reverse()) q.add(k); // re-adds of waiting keys change nothing
  assert.deepEqual(p.runs, ['k0', 'k1', 'k2']);
  for (const k of keys) {
    assert.ok(q.active <= 3);
    await p.finish(k);
  }
  assert.deepEqual(p.runs, keys);
  assert.equal(q.depth + q.active, 0);
  q.add('again');
  await flushMicrotasks();
  assert.deepEqual(p.runs.at(-1), 'again', 'the pool still takes work after draining');
  await p.finish('again');
});
