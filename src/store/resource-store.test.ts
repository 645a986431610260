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

test('readStatus returns the stored status object with its index, and no status for none or one that is not a JSON object', async () => {
  const { ResourceStore } = await import('./resource-store.js');
  const memory = new MemoryKv();
  const store = new ResourceStore({ kv: memory, prefix: 'gs/' });
  const h1 = { kind: 'DockerHost', metadata: { name: 'h1' } };
  await store.apply([{ apiVersion: 'swarmop.io/v1alpha1', ...h1, spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' } } as never]);
  assert.deepEqual(await store.readStatus('DockerHost', 'h1'), { status: undefined, index: 0 });
  await store.updateStatus(h1, { observedGeneration: 1, conditions: [] });
  const index = (await memory.get(statusKey('gs/', 'DockerHost', 'h1')))!.modifyIndex;
  assert.deepEqual(await store.readStatus('DockerHost', 'h1'), { status: { observedGeneration: 1, conditions: [] }, index });
  for (const bad of ['[1]', 'null', 'not json']) {
    await memory.set(statusKey('gs/', 'DockerHost', 'h1'), bad);
    assert.equal((await store.readStatus('DockerHost', 'h1')).status, undefined, bad);
  }
});

test('updateStatusWith on a given read writes compare-and-set on it: unchanged is not written, a newer status is a Conflict and stays', async () => {
  const { ResourceStore } = await import('./resource-store.js');
  const memory = new MemoryKv();
  const store = new ResourceStore({ kv: memory, prefix: 'us/' });
  const h1 = { kind: 'DockerHost', metadata: { name: 'h1' } };
  await store.apply([{ apiVersion: 'swarmop.io/v1alpha1', ...h1, spec: { endpoint: 'unix:///x.sock', address: '10.0.0.1' } } as never]);
  const none = await store.readStatus('DockerHost', 'h1');
  assert.equal((await store.updateStatusWith(h1, () => ({ observedGeneration: 1 }), none)).written, true);
  const one = await store.readStatus('DockerHost', 'h1');
  const reads: string[] = [];
  const get = memory.get.bind(memory);
  memory.get = async (key, options) => (reads.push(key), get(key, options));
  assert.deepEqual(await store.updateStatusWith(h1, (previous) => ({ ...previous }), one), {
    written: false,
    previous: { observedGeneration: 1 },
    status: { observedGeneration: 1 },
  });
  assert.deepEqual(reads, [], 'the given read is used, the status key is not read again');
  await store.updateStatus(h1, { observedGeneration: 2 });
  await assert.rejects(
    store.updateStatusWith(h1, () => ({ observedGeneration: 3 }), one),
    /status of dockerhost\/h1 was written by someone else since it was read/,
  );
  await assert.rejects(
    store.updateStatusWith(h1, () => ({ observedGeneration: 3 }), none),
    /status of dockerhost\/h1 was written by someone else since it was read/,
  );
  assert.deepEqual((await store.readStatus('DockerHost', 'h1')).status, { observedGeneration: 2 });
});
