import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { SwarmopError } from '../errors.js';
import { isLeadershipLost, leadershipLost } from './fence.js';
import { changedBy, Controller, type ReconcileContext } from './controller.js';
import { FakeClock, flushMicrotasks } from '../../testing/fakes/fake-clock.js';
import { createLogger } from './logger.js';
import { RuntimeMetrics } from './metrics.js';
import { ObjectIndex } from './object-index.js';

interface Item {
  name: string;
  generation: number;
  status: string;
}

const entry = (item: Item) => [item.name, item] as const;

function setup(
  options: {
    reconcile?: (key: string, ctx: ReconcileContext<Item>) => Promise<{ requeueAfter?: number } | void>;
    filter?: 'generation';
    policy?: 'terminal';
  } = {},
) {
  const clock = new FakeClock();
  const objectIndex = new ObjectIndex<Item>();
  const metrics = new RuntimeMetrics({ processMetrics: false });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    format: 'json',
    level: 'debug',
    stream: new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    }),
  });
  const runs: { key: string; ctx: ReconcileContext<Item> }[] = [];
  const controller = new Controller<Item>({
    name: 'things',
    cache: objectIndex,
    clock,
    metrics,
    log,
    resyncMs: 1000,
    backoff: { baseMs: 100, capMs: 1000 },
    filter: options.filter === 'generation' ? changedBy((i) => i.generation) : undefined,
    errorPolicy: options.policy === 'terminal' ? () => ({ type: 'terminal' }) : undefined,
    reconcile: async (key, ctx) => {
      runs.push({ key, ctx });
      return options.reconcile?.(key, ctx);
    },
  });
  const ac = new AbortController();
  const done = controller.start(ac.signal);
  const stop = async (reason?: unknown) => {
    ac.abort(reason);
    await done;
  };
  return { clock, objectIndex, metrics, lines, runs, controller, stop };
}

test('cache changes queue their keys; each run gets the cached object, an id and a child logger', async () => {
  const { objectIndex, runs, lines, metrics, stop } = setup({
    reconcile: async (_k, ctx) => {
      ctx.log.info('looked');
    },
  });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  assert.equal(runs.length, 1);
  const { ctx } = runs[0]!;
  assert.equal(ctx.object?.generation, 1);
  assert.match(ctx.reconcileId, /^[0-9a-f]{8}$/);
  const line = lines.find((l) => l.message === 'looked')!;
  assert.deepEqual([line.controller, line.name, line.reconcileId], ['things', 'a', ctx.reconcileId]);
  // controller-runtime's keys for the same line.
  assert.deepEqual([line.msg, line.reconcileID, typeof line.ts], ['looked', ctx.reconcileId, 'string']);
  assert.match(await metrics.text(), /swarmop_reconcile_total\{controller="things",result="success"\} 1/);
  await stop();
});

test('a generation filter ignores status-only changes but not spec changes', async () => {
  const { objectIndex, runs, stop } = setup({ filter: 'generation' });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  objectIndex.replace([entry({ name: 'a', generation: 1, status: 'Ready' })], 6);
  await flushMicrotasks();
  assert.equal(runs.length, 1, 'status-only change is filtered');
  objectIndex.replace([entry({ name: 'a', generation: 2, status: 'Ready' })], 7);
  await flushMicrotasks();
  assert.equal(runs.length, 2);
  await stop();
});

test('failed runs are retried with backoff and counted as errors', async () => {
  let fail = true;
  const { objectIndex, runs, clock, metrics, stop } = setup({
    reconcile: async () => {
      if (fail) throw new SwarmopError('Unavailable', 'host down');
    },
  });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  fail = false;
  await clock.advance(100);
  assert.equal(runs.length, 2);
  assert.equal(runs[1]!.ctx.failures, 1);
  const text = await metrics.text();
  assert.match(text, /swarmop_reconcile_errors_total\{controller="things"\} 1/);
  assert.match(text, /swarmop_workqueue_retries_total\{controller="things"\} 1/);
  await stop();
});

test('a terminal error policy stops retries and resyncs until the object changes', async () => {
  const { objectIndex, runs, clock, stop } = setup({
    policy: 'terminal',
    reconcile: async () => {
      throw new Error('bad spec');
    },
  });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  await clock.advance(5000);
  assert.equal(runs.length, 1);
  objectIndex.replace([entry({ name: 'a', generation: 2, status: '' })], 6);
  await flushMicrotasks();
  assert.equal(runs.length, 2);
  await stop();
});

test('invalid input is terminal under the default policy', async () => {
  const { objectIndex, runs, clock, stop } = setup({
    reconcile: async () => {
      throw new SwarmopError('Invalid', 'spec.address: not a CIDR');
    },
  });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  await clock.advance(5000);
  assert.equal(runs.length, 1);
  await stop();
});

test('enqueue from another source runs the key; cached keys are resynced periodically', async () => {
  const { objectIndex, runs, clock, controller, stop } = setup();
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  controller.enqueue('a');
  await flushMicrotasks();
  assert.equal(runs.length, 2);
  await clock.advance(1000);
  assert.equal(runs.length, 3, 'resync');
  await stop();
});

test('a removed key is reconciled once without an object and then no longer resynced', async () => {
  const { objectIndex, runs, clock, stop } = setup();
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  objectIndex.replace([], 6);
  await flushMicrotasks();
  assert.equal(runs.length, 2);
  assert.equal(runs[1]!.ctx.object, undefined);
  await clock.advance(3000);
  assert.equal(runs.length, 2);
  await stop();
});

test('requeueAfter from the reconciler plans the next run', async () => {
  const { objectIndex, runs, clock, stop } = setup({ reconcile: async () => ({ requeueAfter: 300 }) });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  await clock.advance(300);
  assert.equal(runs.length, 2);
  await stop();
});

test('stopping waits for an in-flight reconcile to finish', async () => {
  let release!: () => void;
  let finished = false;
  const { objectIndex, stop } = setup({
    reconcile: async () => {
      await new Promise<void>((r) => (release = r));
      finished = true;
    },
  });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  const stopped = stop();
  await flushMicrotasks();
  assert.equal(finished, false);
  release();
  await stopped;
  assert.equal(finished, true);
});

test('retry timeline: a failing key flooded with events runs only when its backoff allows, one warning per attempt', async () => {
  const times: number[] = [];
  let self: Controller<Item> | undefined;
  const { objectIndex, clock, lines, controller, stop } = setup({
    reconcile: async (key) => {
      times.push(clock.now());
      self?.enqueue(key); // the failing action's own node events
      throw new Error('node update: cannot find manager in raft memberlist');
    },
  });
  self = controller;
  const start = clock.now();
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  for (let t = 0; t < 5000; t += 50) {
    controller.enqueue('a');
    await clock.advance(50);
  }
  // base 100 ms doubling to the 1 s cap; resyncs and events in between change nothing.
  assert.deepEqual(
    times.map((t) => t - start),
    [0, 100, 300, 700, 1500, 2500, 3500, 4500],
  );
  const warnings = lines.filter((l) => l.message === 'reconcile failed, will retry');
  assert.deepEqual(
    warnings.map((l) => l.attempt),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal(warnings[0]!.error, 'node update: cannot find manager in raft memberlist');
  objectIndex.replace([entry({ name: 'a', generation: 2, status: '' })], 6);
  await flushMicrotasks();
  assert.equal(times.length, 9, 'a spec change runs it at once');
  assert.equal(lines.filter((l) => l.message === 'reconcile failed, will retry').at(-1)!.attempt, 1, 'and starts the count over');
  await stop();
});

test('a stop because leadership was lost aborts in-flight reconciles at once instead of draining them', async () => {
  const seen: { abortedAt?: number; reason?: unknown } = {};
  const { clock, objectIndex, runs, stop } = setup({
    reconcile: async (_key, ctx) => {
      await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
      seen.abortedAt = clock.now();
      seen.reason = ctx.signal.reason;
    },
  });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  assert.equal(runs.length, 1);
  const t0 = clock.now();
  await stop(leadershipLost('leading', 'the leader check was not passed'));
  assert.equal(seen.abortedAt, t0, 'aborted without waiting for the drain timeout');
  assert.ok(isLeadershipLost(seen.reason));
});

test('a clean stop lets an in-flight reconcile drain until the drain timeout before aborting it', async () => {
  const seen: { abortedAt?: number } = {};
  const { clock, objectIndex, stop } = setup({
    reconcile: async (_key, ctx) => {
      await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
      seen.abortedAt = clock.now();
    },
  });
  objectIndex.replace([entry({ name: 'a', generation: 1, status: '' })], 5);
  await flushMicrotasks();
  const t0 = clock.now();
  const stopped = stop();
  await flushMicrotasks();
  assert.equal(seen.abortedAt, undefined, 'still draining');
  await clock.advance(10_000);
  await stopped;
  assert.equal(seen.abortedAt, t0 + 10_000);
});
