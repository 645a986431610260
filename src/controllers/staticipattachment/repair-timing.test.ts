import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PhaseClock, RecentContainerEvents } from './repair-timing.js';

test("a start event's prefetch is taken once, by the first reconcile after it", async () => {
  const ev = new RecentContainerEvents<number>();
  let calls = 0;
  ev.note('h', 'c', { action: 'start', receivedMs: 1_000, engineMs: 990 }, async () => ++calls * 100);
  assert.equal(calls, 1, 'started when the event arrived');
  assert.deepEqual(await ev.takePrefetch('h', 'c', 1_050), { ok: true, value: 100 });
  assert.equal(ev.takePrefetch('h', 'c', 1_060), undefined);
  assert.equal(ev.get('h', 'c')?.action, 'start');
});

test("the restart event that follows a start keeps the start's clock and prefetch; a die drops them", async () => {
  const ev = new RecentContainerEvents<string>();
  ev.note('h', 'c', { action: 'start', receivedMs: 1_000, engineMs: 990 }, async () => 'pid-7');
  ev.note('h', 'c', { action: 'restart', receivedMs: 1_020, engineMs: 1_010 });
  assert.deepEqual(ev.get('h', 'c'), { action: 'start', receivedMs: 1_000, engineMs: 990 });
  assert.deepEqual(await ev.takePrefetch('h', 'c', 1_030), { ok: true, value: 'pid-7' });

  ev.note('h', 'c', { action: 'start', receivedMs: 2_000 }, async () => 'pid-8');
  ev.note('h', 'c', { action: 'die', receivedMs: 2_010 });
  assert.equal(ev.takePrefetch('h', 'c', 2_020), undefined);
  assert.equal(ev.get('h', 'c')?.action, 'die');
});

test('an old or failed prefetch is not used', async () => {
  const ev = new RecentContainerEvents<string>();
  ev.note('h', 'c', { action: 'start', receivedMs: 1_000 }, async () => 'stale');
  assert.equal(ev.takePrefetch('h', 'c', 3_001), undefined);
  ev.note('h', 'c', { action: 'start', receivedMs: 5_000 }, async () => {
    throw new Error('engine down');
  });
  assert.deepEqual(await ev.takePrefetch('h', 'c', 5_010), { ok: false });
});

test('bounded: the oldest container is forgotten first; containers on other hosts are apart', () => {
  const ev = new RecentContainerEvents({ max: 2 });
  ev.note('h1', 'a', { action: 'start', receivedMs: 1 });
  ev.note('h2', 'a', { action: 'die', receivedMs: 2 });
  ev.note('h1', 'b', { action: 'start', receivedMs: 3 });
  assert.equal(ev.get('h1', 'a'), undefined);
  assert.equal(ev.get('h2', 'a')?.action, 'die');
  assert.equal(ev.get('h1', 'b')?.action, 'start');
});

test('phase durations follow each other; a recent event is placed before the run, or after its start (negative)', () => {
  const clock = new PhaseClock(1_000);
  const f = clock.fields({ action: 'start', receivedMs: 990, engineMs: 985 });
  assert.deepEqual(Object.keys(f), ['event', 'eventEngineMs', 'engineToReceivedMs', 'eventToStartMs']);
  assert.equal(f.event, 'start');
  assert.equal(f.eventToStartMs, 10);
  assert.equal(f.engineToReceivedMs, 5);
  assert.equal(f.eventEngineMs, 985);
  assert.equal(clock.fields({ action: 'start', receivedMs: 1_030 }).eventToStartMs, -30);
  assert.deepEqual(clock.fields({ action: 'start', receivedMs: 1_000 - 60_001 }), {});
  clock.mark('inspect');
  clock.mark('observe');
  const g = clock.fields();
  assert.deepEqual(Object.keys(g), ['inspectMs', 'observeMs']);
  assert.ok((g.inspectMs as number) > 0 && (g.observeMs as number) >= 0);
});
