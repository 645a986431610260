import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuntimeMetrics } from './metrics.js';

test('exposes the operator metrics with their labels on its own registry', async () => {
  const m = new RuntimeMetrics({ processMetrics: false });
  m.reconcileTotal.inc({ controller: 'dockerhost', result: 'success' });
  m.reconcileDuration.observe({ controller: 'dockerhost' }, 0.02);
  m.reconcileErrors.inc({ controller: 'dockerhost' });
  m.workqueueDepth.set({ controller: 'dockerhost' }, 3);
  m.workqueueRetries.inc({ controller: 'dockerhost' });
  m.leader.set(1);
  m.recordDriftRepair('StaticIPAttachment', 'ContainerRestarted');
  const text = await m.text();
  assert.match(text, /swarmop_reconcile_total\{controller="dockerhost",result="success"\} 1/);
  assert.match(text, /swarmop_reconcile_duration_seconds_bucket\{le="0\.025",controller="dockerhost"\} 1/);
  assert.match(text, /swarmop_reconcile_errors_total\{controller="dockerhost"\} 1/);
  assert.match(text, /swarmop_workqueue_depth\{controller="dockerhost"\} 3/);
  assert.match(text, /swarmop_workqueue_retries_total\{controller="dockerhost"\} 1/);
  assert.match(text, /swarmop_leader 1/);
  assert.match(text, /swarmop_drift_repairs_total\{kind="StaticIPAttachment",reason="ContainerRestarted"\} 1/);
});

test('two instances do not share a registry', async () => {
  const a = new RuntimeMetrics({ processMetrics: false });
  const b = new RuntimeMetrics({ processMetrics: false });
  a.leader.set(1);
  assert.match(await b.text(), /swarmop_leader 0/);
});

test('process metrics are included by default', async () => {
  const m = new RuntimeMetrics();
  assert.match(await m.text(), /swarmop_process_resident_memory_bytes/);
});

test('a registered controller has every controller-runtime reconcile result at zero before its first reconcile, as controller-runtime does', async () => {
  const m = new RuntimeMetrics({ processMetrics: false });
  m.registerController('dockerhost', { concurrency: 2, probe: { inFlightSince: () => [], now: () => 0 } });
  const lines = (await m.text()).split('\n').filter((l) => l.startsWith('controller_runtime_reconcile_total{'));
  assert.deepEqual(lines.sort(), [
    'controller_runtime_reconcile_total{controller="dockerhost",result="error"} 0',
    'controller_runtime_reconcile_total{controller="dockerhost",result="requeue"} 0',
    'controller_runtime_reconcile_total{controller="dockerhost",result="requeue_after"} 0',
    'controller_runtime_reconcile_total{controller="dockerhost",result="success"} 0',
  ]);
  m.recordReconcile('dockerhost', 'error', 0.01);
  assert.match(await m.text(), /^controller_runtime_reconcile_total\{controller="dockerhost",result="error"\} 1$/m);
});
