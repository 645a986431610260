import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KindReconciler } from '../controllers/reconciler.js';
import type { Resource } from '../crds/index.js';
import { waitUntil } from '../runtime/wait-until.js';
import { MemoryKv } from '../store/memory-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { Operator } from './operator.js';

const host = (i: number, address = `10.0.${i % 250}.1`): Resource =>
  ({ apiVersion: 'swarmop.io/v1alpha1', kind: 'DockerHost', metadata: { name: `h${i}` }, spec: { endpoint: `tcp://${address}:2375`, address } }) as Resource;

test('one changed document out of many is decoded once, not the whole listing again', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 't/' });
  await store.apply(Array.from({ length: 500 }, (_, i) => host(i)));
  // Count objects decoded (JSON parse + schema validation) through the store.
  let decoded = 0;
  const decode = store.decode.bind(store);
  store.decode = (pairs) => {
    const out = decode(pairs);
    decoded += out.length;
    return out;
  };
  const seen = new Map<string, string>();
  const reconciler: KindReconciler = {
    kind: 'DockerHost',
    reconcile: async (r) => {
      seen.set(r.metadata.name, String(r.spec.address));
      return { observed: {}, conditions: [{ type: 'Ready', status: 'True', reason: 'NoOp', message: '' }] };
    },
  };
  const operator = new Operator({ kv, store, reconcilers: [reconciler], hostEvents: false, resyncMs: 3_600_000 });
  const ac = new AbortController();
  const running = operator.start(ac.signal);
  try {
    await waitUntil('first pass', () => seen.size === 500, 20_000);
    const queue = operator.controller('DockerHost')!.queue;
    await waitUntil('statuses written', () => queue.depth === 0 && queue.active === 0, 20_000);
    await waitUntil('status listing cached', () => operator.cache.get('DockerHost', 'h499')?.status !== undefined, 20_000);
    const before = decoded;
    await store.apply([host(7, '10.9.9.9')]);
    await waitUntil('h7 reconciled with its new spec', () => seen.get('h7') === '10.9.9.9', 10_000);
    await waitUntil('idle', () => queue.depth === 0 && queue.active === 0, 10_000);
    await waitUntil('h7 status cached', () => operator.cache.get('DockerHost', 'h7')?.metadata.resourceVersion !== undefined, 10_000);
    // The spec change and h7's own status write: a handful of decodes, not 500 per listing.
    assert.ok(decoded - before <= 4, `${decoded - before} objects decoded for one change`);
  } finally {
    ac.abort();
    await running;
  }
});
