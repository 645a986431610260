/**
 * /metrics of a running operator: the in-process Operator under the runtime Manager with its
 * metrics server, a REAL Consul agent, the real DockerHost reconciler and one host that cannot be
 * reached and one whose document is invalid. Scrapes over HTTP and checks the controller-runtime
 * series of the dockerhost controller, leader status with leader election on the real Consul,
 * and the objects-not-Ready gauge.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDockerHostReconciler } from '../controllers/dockerhost/index.js';
import { Manager } from '../runtime/manager.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { waitUntil } from '../../testing/util/wait-until.js';
import type { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { leaderKey } from '../store/store-keys.js';
import { useRealConsul } from '../../testing/harness/real-consul.js';
import { Operator } from './operator.js';

let kv: ConsulKv;
useRealConsul((_a, k) => (kv = k));

function series(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

test('a running operator serves controller-runtime metrics, leader_election_master_status and objects not Ready per kind', async () => {
  const store = new ResourceStore({ kv, prefix: 'op-metrics/' });
  await store.apply([
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'gone' },
      spec: { endpoint: 'tcp://127.0.0.1:1', address: '127.0.0.1' },
    },
  ]);
  await kv.set(
    store.objectKey('DockerHost', 'broken'),
    '{"apiVersion":"swarmop.io/v1alpha1","kind":"DockerHost","metadata":{"name":"broken"},"spec":{}}',
  );
  const metrics = new RuntimeMetrics();
  const operator = new Operator({
    kv,
    store,
    reconcilers: [createDockerHostReconciler({ unreachableRecheckMs: 60_000, probeTimeoutMs: 1_000 })],
    hostEvents: false,
    metrics,
    resyncMs: 60_000,
    concurrency: 2,
  });
  const key = leaderKey(store.prefix);
  const manager = new Manager({
    handleSignals: false,
    sources: operator.sources,
    leaderRunnables: operator.leaderRunnables,
    leaderElection: { kv, key, identity: 'metrics-test', ttlSeconds: 10, lockDelaySeconds: 0 },
    metricsAddr: '127.0.0.1:0',
    metrics,
  });
  const ac = new AbortController();
  const done = manager.run(ac.signal);
  try {
    await waitUntil('metrics server listening', () => manager.metricsAddress !== undefined, 10_000);
    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${manager.metricsAddress!.port}/metrics`)).text();
    await waitUntil(
      'both hosts reconciled',
      async () => /^swarmop_objects_not_ready\{kind="DockerHost"\} 2$/m.test(await scrape()),
      30_000,
      100,
    );
    const text = await scrape();
    assert.deepEqual(series(text, 'leader_election_master_status'), [`leader_election_master_status{name="${key}"} 1`]);
    assert.deepEqual(series(text, 'controller_runtime_max_concurrent_reconciles'), [
      'controller_runtime_max_concurrent_reconciles{controller="dockerhost"} 2',
    ]);
    assert.match(text, /^controller_runtime_reconcile_total\{controller="dockerhost",result="(success|requeue_after)"\} [1-9]\d*$/m);
    assert.match(text, /^controller_runtime_reconcile_time_seconds_count\{controller="dockerhost"\} [1-9]\d*$/m);
    assert.match(text, /^workqueue_adds_total\{name="dockerhost",controller="dockerhost"\} [1-9]\d*$/m);
    assert.match(text, /^workqueue_depth\{name="dockerhost",controller="dockerhost"\} 0$/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.match(text, /^swarmop_leader 1$/m);
  } finally {
    ac.abort();
    await done;
  }
});
