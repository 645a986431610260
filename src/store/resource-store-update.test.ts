import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { ResourceStore } from './resource-store.js';
import type { Resource } from '../crds/meta.js';

const HOST: Resource = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name: 'h1', labels: { role: 'worker' } },
  spec: { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1' },
};

async function setup() {
  const store = new ResourceStore({ kv: new MemoryKv(), prefix: 'u/' });
  await store.apply([HOST]);
  return store;
}

test('update writes spec and metadata compare-and-set; generation moves only with the spec; status is kept', async () => {
  const store = await setup();
  const live = (await store.get('DockerHost', 'h1'))!;
  await store.updateStatus(live, { observedGeneration: 1 });
  assert.equal(await store.update({ ...live, metadata: { ...live.metadata, labels: { role: 'manager' } } }), 'configured');
  let now = (await store.get('DockerHost', 'h1'))!;
  assert.equal(now.metadata.generation, 1);
  assert.deepEqual(now.metadata.labels, { role: 'manager' });
  assert.deepEqual(now.status, { observedGeneration: 1 });
  assert.equal(now.metadata.uid, live.metadata.uid);
  assert.equal(await store.update({ ...now, spec: { ...now.spec, address: '10.0.0.2' } }), 'configured');
  now = (await store.get('DockerHost', 'h1'))!;
  assert.equal(now.metadata.generation, 2);
  assert.equal(await store.update(now), 'unchanged');
  await assert.rejects(store.update(live), { code: 'Conflict', message: /has resourceVersion \d+, the document was read at \d+/ });
  const { resourceVersion: _rv, ...noVersion } = now.metadata;
  await assert.rejects(store.update({ ...now, metadata: noVersion }), { code: 'Invalid', message: /resourceVersion is required/ });
  await assert.rejects(store.update({ ...now, spec: { ...now.spec, address: 'not-an-ip' } }), { code: 'Invalid' });
  await assert.rejects(store.update({ ...now, metadata: { ...now.metadata, name: 'h2' } }), { code: 'NotFound' });
});

test('update can set and clear finalizers; clearing the last one of an object being deleted deletes it', async () => {
  const store = await setup();
  await store.addFinalizer('DockerHost', 'h1', 'swarmop.io/a');
  let live = (await store.get('DockerHost', 'h1'))!;
  assert.equal(await store.update({ ...live, metadata: { ...live.metadata, finalizers: ['swarmop.io/a', 'swarmop.io/b'] } }), 'configured');
  assert.equal(await store.delete('DockerHost', 'h1'), 'terminating');
  live = (await store.get('DockerHost', 'h1'))!;
  assert.ok(live.metadata.deletionTimestamp);
  assert.equal(await store.update({ ...live, metadata: { ...live.metadata, finalizers: ['swarmop.io/b'] } }), 'configured');
  live = (await store.get('DockerHost', 'h1'))!;
  assert.deepEqual(live.metadata.finalizers, ['swarmop.io/b']);
  assert.equal(live.metadata.deletionTimestamp !== undefined, true, 'deletion stays requested');
  await assert.rejects(store.update({ ...live, metadata: { ...live.metadata, finalizers: [''] } }), {
    code: 'Invalid',
    message: /finalizers must be a list of non-empty strings/,
  });
  const { finalizers: _f, ...cleared } = live.metadata;
  assert.equal(await store.update({ ...live, metadata: cleared }), 'deleted');
  assert.equal(await store.get('DockerHost', 'h1'), undefined);
});
