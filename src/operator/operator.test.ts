import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatus } from './operator.js';

test('a stored status that is not a JSON object counts as no status', () => {
  for (const bad of ['', 'not json', '[]', 'null', '42', '{"a":']) assert.equal(parseStatus(bad), undefined, bad);
  assert.deepEqual(parseStatus('{"observedGeneration":2}'), { observedGeneration: 2 });
});

test("cache.list builds a kind's list once per change of that kind: the same array until a document of it changes", async () => {
  const { MemoryKv } = await import('../../testing/fakes/memory-kv.js');
  const { ResourceStore } = await import('../store/resource-store.js');
  const { waitUntil } = await import('../../testing/util/wait-until.js');
  const { Operator } = await import('./operator.js');
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 'oc/' });
  const host = (name: string, address: string) =>
    ({ apiVersion: 'swarmop.io/v1alpha1', kind: 'DockerHost', metadata: { name }, spec: { endpoint: 'unix:///x.sock', address } }) as never;
  await store.apply([host('a', '10.0.0.1'), host('b', '10.0.0.2')]);
  const operator = new Operator({
    kv,
    store,
    reconcilers: [
      {
        kind: 'DockerHost',
        reconcile: async () => ({ observed: {}, conditions: [{ type: 'Ready', status: 'True', reason: 'NoOp', message: 'test' }] }),
      },
    ],
    hostEvents: false,
    resyncMs: 3_600_000,
  });
  const ac = new AbortController();
  const running = operator.start(ac.signal);
  try {
    const names = () => operator.cache.list('DockerHost').map((h) => h.metadata.name);
    await waitUntil('first listing', () => names().length === 2, 5000, 5);
    const first = operator.cache.list('DockerHost');
    assert.equal(operator.cache.list('DockerHost'), first, 'unchanged kind: the same list');
    await store.apply([host('c', '10.0.0.3')]);
    await waitUntil('the new document', () => names().length === 3, 5000, 5);
    assert.notEqual(operator.cache.list('DockerHost'), first);
    assert.deepEqual(names().sort(), ['a', 'b', 'c']);
    assert.deepEqual(first.map((h) => h.metadata.name).sort(), ['a', 'b'], 'a list handed out earlier is never changed afterwards');
    await store.apply([host('c', '10.0.0.4')]);
    await waitUntil(
      'the edited document',
      () => operator.cache.list('DockerHost').find((h) => h.metadata.name === 'c')?.spec.address === '10.0.0.4',
      5000,
      5,
    );
  } finally {
    ac.abort();
    await running;
  }
});
