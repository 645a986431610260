import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { resourceStoreContract } from '../../testing/contracts/resource-store-contract.js';
import { eventsKey, normalizePrefix, objectKey, parseKey, statusKey } from './store-keys.js';

const kv = new MemoryKv();
resourceStoreContract('ResourceStore over MemoryKv', () => ({ kv }));

test('prefixes are normalized to end with one slash', () => {
  assert.equal(normalizePrefix(undefined), 'swarmop/');
  assert.equal(normalizePrefix('tenant-a'), 'tenant-a/');
  assert.equal(normalizePrefix('tenant-a//'), 'tenant-a/');
  assert.equal(normalizePrefix('/x/y'), 'x/y/');
  assert.equal(normalizePrefix(''), '');
});

test('keys follow the documented layout and parse back', () => {
  assert.equal(objectKey('swarmop/', 'StaticIPAttachment', 'ubuntu114'), 'swarmop/objects/staticipattachments/ubuntu114');
  assert.equal(statusKey('swarmop/', 'DockerHost', 'consul01'), 'swarmop/status/dockerhosts/consul01');
  assert.equal(eventsKey('p/', 'SwarmCluster', 'swarm'), 'p/events/swarmclusters/swarm');
  assert.deepEqual(parseKey('swarmop/', 'swarmop/status/dockerhosts/consul01'), {
    section: 'status',
    kind: 'DockerHost',
    plural: 'dockerhosts',
    name: 'consul01',
  });
  assert.equal(parseKey('swarmop/', 'swarmop/leader'), undefined);
  assert.equal(parseKey('swarmop/', 'swarmop/objects/unknowns/x'), undefined);
  assert.equal(parseKey('swarmop/', 'other/objects/dockerhosts/x'), undefined);
  assert.throws(() => objectKey('p/', 'Nope', 'x'), /unknown kind/);
});

test('getStatus returns the stored status object, and undefined for none or one that is not a JSON object', async () => {
  const { ResourceStore } = await import('./resource-store.js');
  const memory = new MemoryKv();
  const store = new ResourceStore({ kv: memory, prefix: 'gs/' });
  await store.apply([{ apiVersion: 'swarmop.io/v1alpha1', kind: 'DockerHost', metadata: { name: 'h1' }, spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' } } as never]);
  assert.equal(await store.getStatus('DockerHost', 'h1'), undefined);
  await store.updateStatus({ kind: 'DockerHost', metadata: { name: 'h1' } }, { observedGeneration: 1, conditions: [] });
  assert.deepEqual(await store.getStatus('DockerHost', 'h1'), { observedGeneration: 1, conditions: [] });
  for (const bad of ['[1]', 'null', 'not json']) {
    await memory.set(statusKey('gs/', 'DockerHost', 'h1'), bad);
    assert.equal(await store.getStatus('DockerHost', 'h1'), undefined, bad);
  }
});
