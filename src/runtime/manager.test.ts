import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Manager, type Runnable, type Source } from './manager.js';
import { RuntimeMetrics } from './metrics.js';
import { waitUntil } from '../../testing/util/wait-until.js';

function untilAbort(signal: AbortSignal): Promise<void> {
  return new Promise((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
}

function source(): Source & { synced: boolean } {
  const s = {
    name: 'watcher swarmop/',
    synced: false,
    hasSynced: () => s.synced,
    start: untilAbort,
  };
  return s;
}

test('runs sources and controllers, serves readiness, and drains on SIGTERM', async () => {
  const src = source();
  let drained = false;
  let running = false;
  const controller: Runnable = {
    name: 'things',
    start: async (signal) => {
      running = true;
      await untilAbort(signal);
      await new Promise((r) => setTimeout(r, 20)); // an in-flight reconcile finishing
      drained = true;
    },
  };
  const metrics = new RuntimeMetrics({ processMetrics: false });
  const m = new Manager({ sources: [src], leaderRunnables: [controller], metricsAddr: '127.0.0.1:0', metrics });
  const done = m.run();
  await waitUntil('controller running and server listening', () => running && m.metricsAddress !== undefined);
  const base = `http://127.0.0.1:${m.metricsAddress!.port}`;
  assert.equal((await fetch(`${base}/readyz`)).status, 503);
  src.synced = true;
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /swarmop_leader 1/);
  process.emit('SIGTERM');
  await done;
  assert.equal(drained, true, 'run resolved only after the controller drained');
  assert.equal(process.listenerCount('SIGTERM'), 0, 'signal handlers removed');
});

test('a part that ends before the stop signal stops everything and fails the run', async () => {
  let stopped = false;
  const m = new Manager({
    handleSignals: false,
    metrics: new RuntimeMetrics({ processMetrics: false }),
    sources: [{ ...source(), start: async (signal) => (await untilAbort(signal), void (stopped = true)) }],
    leaderRunnables: [
      {
        name: 'broken',
        start: async () => {
          throw new Error('boom');
        },
      },
    ],
  });
  await assert.rejects(m.run(), /boom/);
  assert.equal(stopped, true);
});

test("a running manager keeps the process alive while every part only waits (no socket, no ref'd timer), and lets it exit once stopped", async () => {
  const { spawn } = await import('node:child_process');
  // A process whose only work is the manager: parts that wait for the stop signal and nothing else
  // (what the operator is while the store has no leader and no metrics server is configured).
  const script = `
    import { Manager } from ${JSON.stringify(new URL('./manager.ts', import.meta.url).href)};
    import { RuntimeMetrics } from ${JSON.stringify(new URL('./metrics.ts', import.meta.url).href)};
    const wait = (s) => new Promise((r) => s.addEventListener('abort', () => r(), { once: true }));
    const m = new Manager({ metrics: new RuntimeMetrics({ processMetrics: false }), sources: [{ name: 's', hasSynced: () => true, start: wait }], leaderRunnables: [{ name: 'c', start: wait }] });
    process.stdout.write('running\\n');
    await m.run();
    process.stdout.write('stopped\\n');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitUntil('child running', () => out.includes('running'), 20_000);
  const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r('alive'), 500))]);
  assert.equal(early, 'alive', `the process ended on its own (exit ${String(early)})`);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(out, /stopped/);
});
