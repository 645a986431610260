/**
 * Scrapes /metrics of a running Manager (real HTTP server, a real Controller over a ObjectIndex)
 * and checks every metric name that stock controller-runtime and Node dashboards query, with
 * exactly controller-runtime's label names, next to the swarmop_ names that existed before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller } from './controller.js';
import { Manager } from './manager.js';
import { RuntimeMetrics } from './metrics.js';
import { ObjectIndex } from './object-index.js';
import { waitUntil } from '../../testing/util/wait-until.js';
import { SwarmopError } from '../errors.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function labelSets(samples: readonly Sample[], name: string): string[] {
  return [...new Set(samples.filter((s) => s.name === name).map((s) => Object.keys(s.labels).sort().join(',')))];
}

function value(samples: readonly Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find(
    (s) =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
      Object.keys(s.labels).length === Object.keys(labels).length,
  )?.value;
}

test('/metrics serves controller-runtime names with their label names, Node process metrics unprefixed, and the swarmop_ names', async () => {
  const objectIndex = new ObjectIndex<string>();
  const metrics = new RuntimeMetrics();
  let slowRunning = false;
  let releaseSlow: () => void = () => {};
  const controller = new Controller<string>({
    name: 'staticipattachment',
    cache: objectIndex,
    metrics,
    concurrency: 3,
    resyncMs: 0,
    backoff: { baseMs: 60_000, capMs: 60_000 },
    reconcile: async (key) => {
      if (key === 'ok') return;
      if (key === 'later') return { requeueAfter: 60_000 };
      if (key === 'bad') throw new Error('boom');
      if (key === 'invalid') throw new SwarmopError('Invalid', 'spec.address: bad');
      slowRunning = true;
      await new Promise<void>((r) => (releaseSlow = r));
    },
  });
  const ac = new AbortController();
  const manager = new Manager({ handleSignals: false, leaderRunnables: [controller], metricsAddr: '127.0.0.1:0', metrics });
  const done = manager.run(ac.signal);
  try {
    await waitUntil('metrics server listening', () => manager.metricsAddress !== undefined);
    objectIndex.replace(
      ['ok', 'later', 'bad', 'invalid', 'slow'].map((key) => [key, key] as const),
      5,
    );
    metrics.setObjectReady('StaticIPAttachment', 'ok', true);
    metrics.setObjectReady('StaticIPAttachment', 'bad', false);
    metrics.setObjectReady('StaticIPAttachment', 'invalid', false);
    metrics.setObjectReady('DockerHost', 'consul01', true);
    await waitUntil(
      'four runs finished and one still running',
      () => slowRunning && controller.queue.active === 1 && controller.queue.depth === 0,
    );
    await new Promise((r) => setTimeout(r, 30)); // the slow run is now unfinished work
    const res = await fetch(`http://127.0.0.1:${manager.metricsAddress!.port}/metrics`);
    assert.equal(res.status, 200);
    const samples = parseExposition(await res.text());

    const expected: Record<string, string[]> = {
      controller_runtime_reconcile_total: ['controller,result'],
      controller_runtime_reconcile_errors_total: ['controller'],
      controller_runtime_terminal_reconcile_errors_total: ['controller'],
      controller_runtime_reconcile_time_seconds_bucket: ['controller,le'],
      controller_runtime_reconcile_time_seconds_sum: ['controller'],
      controller_runtime_reconcile_time_seconds_count: ['controller'],
      controller_runtime_max_concurrent_reconciles: ['controller'],
      controller_runtime_active_workers: ['controller'],
      workqueue_depth: ['controller,name'],
      workqueue_adds_total: ['controller,name'],
      workqueue_queue_duration_seconds_bucket: ['controller,le,name'],
      workqueue_queue_duration_seconds_count: ['controller,name'],
      workqueue_work_duration_seconds_bucket: ['controller,le,name'],
      workqueue_work_duration_seconds_count: ['controller,name'],
      workqueue_unfinished_work_seconds: ['controller,name'],
      workqueue_longest_running_processor_seconds: ['controller,name'],
      workqueue_retries_total: ['controller,name'],
      leader_election_master_status: ['name'],
      swarmop_objects_not_ready: ['kind'],
      // Node's defaults without a prefix (stock dashboards) and with swarmop_ (as before).
      process_cpu_user_seconds_total: [''],
      process_resident_memory_bytes: [''],
      process_start_time_seconds: [''],
      nodejs_heap_size_used_bytes: [''],
      nodejs_eventloop_lag_seconds: [''],
      swarmop_process_resident_memory_bytes: [''],
      // swarmop's own names are kept.
      swarmop_reconcile_total: ['controller,result'],
      swarmop_reconcile_errors_total: ['controller'],
      swarmop_reconcile_duration_seconds_count: ['controller'],
      swarmop_workqueue_depth: ['controller'],
      swarmop_workqueue_retries_total: ['controller'],
      swarmop_leader: [''],
    };
    for (const [name, sets] of Object.entries(expected)) assert.deepEqual(labelSets(samples, name), sets, name);

    const c = { controller: 'staticipattachment' };
    const q = { name: 'staticipattachment', controller: 'staticipattachment' };
    assert.equal(value(samples, 'controller_runtime_reconcile_total', { ...c, result: 'success' }), 1);
    assert.equal(value(samples, 'controller_runtime_reconcile_total', { ...c, result: 'requeue_after' }), 1);
    assert.equal(value(samples, 'controller_runtime_reconcile_total', { ...c, result: 'error' }), 2);
    assert.equal(value(samples, 'controller_runtime_reconcile_errors_total', c), 2);
    assert.equal(value(samples, 'controller_runtime_terminal_reconcile_errors_total', c), 1);
    assert.equal(value(samples, 'controller_runtime_reconcile_time_seconds_count', c), 4);
    assert.equal(value(samples, 'controller_runtime_max_concurrent_reconciles', c), 3);
    assert.equal(value(samples, 'controller_runtime_active_workers', c), 1);
    assert.equal(value(samples, 'workqueue_adds_total', q), 5);
    assert.equal(value(samples, 'workqueue_depth', q), 0);
    assert.equal(value(samples, 'workqueue_queue_duration_seconds_count', q), 5);
    assert.equal(value(samples, 'workqueue_work_duration_seconds_count', q), 4);
    assert.equal(value(samples, 'workqueue_retries_total', q), 1);
    assert.ok(value(samples, 'workqueue_unfinished_work_seconds', q)! >= 0.02, 'the slow run counts as unfinished work');
    assert.ok(value(samples, 'workqueue_longest_running_processor_seconds', q)! >= 0.02);
    assert.equal(value(samples, 'leader_election_master_status', { name: 'swarmop' }), 1);
    assert.equal(value(samples, 'swarmop_objects_not_ready', { kind: 'StaticIPAttachment' }), 2);
    assert.equal(value(samples, 'swarmop_objects_not_ready', { kind: 'DockerHost' }), 0);
    assert.equal(value(samples, 'swarmop_reconcile_total', { ...c, result: 'requeue' }), 1);
    assert.ok(value(samples, 'process_resident_memory_bytes', {})! > 0);

    metrics.forgetObject('StaticIPAttachment', 'bad');
    const after = parseExposition(await (await fetch(`http://127.0.0.1:${manager.metricsAddress!.port}/metrics`)).text());
    assert.equal(value(after, 'swarmop_objects_not_ready', { kind: 'StaticIPAttachment' }), 1);
  } finally {
    releaseSlow();
    ac.abort();
    await done;
  }
});
