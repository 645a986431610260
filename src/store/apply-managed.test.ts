import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { ResourceStore } from './resource-store.js';
import type { Resource } from '../crds/meta.js';
import {
  LAST_APPLIED_ANNOTATION,
  LAST_APPLIED_MANAGER_ANNOTATION,
  threeWayMerge,
  fieldConflicts,
  changedPaths,
} from './three-way-merge.js';

const host = (labels: Record<string, string>, spec: Record<string, unknown> = {}, name = 'h1'): Resource => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name, labels },
  spec: { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1', ...spec },
});
const TLS = { caFile: '/etc/ca.pem', certFile: '/etc/cert.pem', keyFile: '/etc/key.pem' };

function setup(now = () => new Date('2026-01-02T03:04:05Z')) {
  return new ResourceStore({ kv: new MemoryKv(), prefix: 'm/', now, revisionLimit: 3 });
}

test('threeWayMerge removes what the last apply set and the manifest dropped, keeps what it never set, replaces lists whole', () => {
  const last = { a: 1, b: { c: 1, d: 2 }, l: [1, 2] };
  const desired = { b: { c: 5 }, l: [3] };
  const live = { a: 1, b: { c: 1, d: 2, e: 'theirs' }, l: [1, 2], f: 'theirs' };
  assert.deepEqual(threeWayMerge(last, desired, live), { b: { c: 5, e: 'theirs' }, l: [3], f: 'theirs' });
  assert.deepEqual(threeWayMerge(undefined, { a: 2 }, { a: 1, x: 1 }), { a: 2, x: 1 }, 'no last apply: nothing removed');
  assert.deepEqual(fieldConflicts({ spec: { a: 1, l: [1] } }, { spec: { a: 2, l: [1], b: 1 } }, { spec: { a: 1, l: [1] } }), ['.spec.a']);
  assert.deepEqual(changedPaths({ a: 1, b: { c: 1 } }, { a: 1, b: { c: 2 }, d: true }), ['.b.c', '.d']);
});

test('a managed apply keeps a label and a spec field added by hand, removes what the manifest dropped', async () => {
  const store = setup();
  assert.deepEqual(await store.apply([host({ role: 'worker', zone: 'a' })], { fieldManager: 'ci' }), [
    { kind: 'DockerHost', name: 'h1', action: 'created' },
  ]);
  const live = (await store.get('DockerHost', 'h1'))!;
  assert.equal(live.metadata.annotations?.[LAST_APPLIED_MANAGER_ANNOTATION], 'ci');
  assert.deepEqual(JSON.parse(live.metadata.annotations![LAST_APPLIED_ANNOTATION]!), {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name: 'h1', labels: { role: 'worker', zone: 'a' } },
    spec: { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1' },
  });
  // By hand: a label, an annotation and a spec field the manifest never set.
  await store.update({
    ...live,
    metadata: {
      ...live.metadata,
      labels: { ...live.metadata.labels, rack: 'r2' },
      annotations: { ...live.metadata.annotations, note: 'x' },
    },
    spec: { ...live.spec, tls: TLS },
  });
  // The manifest drops zone and changes the address.
  assert.deepEqual(await store.apply([host({ role: 'worker' }, { address: '10.0.0.9' })], { fieldManager: 'ci' }), [
    { kind: 'DockerHost', name: 'h1', action: 'configured' },
  ]);
  const now = (await store.get('DockerHost', 'h1'))!;
  assert.deepEqual(now.metadata.labels, { role: 'worker', rack: 'r2' });
  assert.equal(now.metadata.annotations?.note, 'x');
  assert.deepEqual(now.spec, { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.9', tls: TLS });
  assert.deepEqual(await store.apply([host({ role: 'worker' }, { address: '10.0.0.9' })], { fieldManager: 'ci' }), [
    { kind: 'DockerHost', name: 'h1', action: 'unchanged' },
  ]);
});

test('two managers applying one field: a Conflict naming the field and the other manager, nothing written; --force-conflicts takes it', async () => {
  const store = setup();
  await store.apply([host({ role: 'worker' })], { fieldManager: 'ci' });
  const before = (await store.get('DockerHost', 'h1'))!.metadata.resourceVersion;
  await assert.rejects(store.apply([host({ role: 'manager' }), host({}, {}, 'h2')], { fieldManager: 'ops' }), {
    code: 'Conflict',
    message:
      'dockerhost/h1: conflict with "ci" (it applied these fields last): .metadata.labels.role; apply them with --force-conflicts to take them over',
  });
  assert.equal((await store.get('DockerHost', 'h1'))!.metadata.resourceVersion, before);
  assert.equal(await store.get('DockerHost', 'h2'), undefined, 'nothing of the apply was written');
  // The same value is no conflict.
  assert.deepEqual(await store.apply([host({ role: 'worker' })], { fieldManager: 'ops' }), [
    { kind: 'DockerHost', name: 'h1', action: 'configured' },
  ]);
  await store.apply([host({ role: 'worker' })], { fieldManager: 'ci' });
  await store.apply([host({ role: 'manager' })], { fieldManager: 'ops', forceConflicts: true });
  const now = (await store.get('DockerHost', 'h1'))!;
  assert.equal(now.metadata.labels?.role, 'manager');
  assert.equal(now.metadata.annotations?.[LAST_APPLIED_MANAGER_ANNOTATION], 'ops');
});

test('every spec change records a revision (bounded), with manager and change; deleting the object deletes them', async () => {
  const store = setup();
  for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'])
    await store.apply([host({}, { address })], { fieldManager: 'ci' });
  await store.apply([host({ a: 'b' }, { address: '10.0.0.4' })], { fieldManager: 'ci' }); // labels only: no revision
  const live = (await store.get('DockerHost', 'h1'))!;
  await store.update({ ...live, spec: { ...live.spec, address: '10.0.0.1' } }, { manager: 'alice@box', change: 'rollback to revision 1' });
  const revs = await store.revisions('DockerHost', 'h1');
  assert.deepEqual(
    revs.map((r) => [r.revision, r.manager, r.change, r.spec.address, r.time]),
    [
      [3, 'ci', 'spec.address', '10.0.0.3', '2026-01-02T03:04:05.000Z'],
      [4, 'ci', 'spec.address', '10.0.0.4', '2026-01-02T03:04:05.000Z'],
      [5, 'alice@box', 'rollback to revision 1', '10.0.0.1', '2026-01-02T03:04:05.000Z'],
    ],
  );
  assert.equal(await store.delete('DockerHost', 'h1'), 'deleted');
  assert.deepEqual(await store.revisions('DockerHost', 'h1'), []);
});

test('apply with prune deletes the set members the documents no longer declare, in the same write; others are never touched', async () => {
  const store = setup();
  const set = { 'applyset.swarmop.io/part-of': 'web' };
  await store.apply([host(set, {}, 'a'), host(set, {}, 'b'), host({}, {}, 'outside')], { fieldManager: 'ci' });
  const inSet = { matches: (_kind: string, labels: Readonly<Record<string, string>>) => labels['applyset.swarmop.io/part-of'] === 'web' };
  assert.deepEqual(await store.apply([host(set, {}, 'a')], { fieldManager: 'ci', prune: inSet, dryRun: true }), [
    { kind: 'DockerHost', name: 'a', action: 'unchanged' },
    { kind: 'DockerHost', name: 'b', action: 'pruned' },
  ]);
  assert.ok(await store.get('DockerHost', 'b'), 'a dry run deletes nothing');
  await store.addFinalizer('DockerHost', 'a', 'x/y');
  const c = host(set, {}, 'c');
  assert.deepEqual(await store.apply([c], { fieldManager: 'ci', prune: inSet }), [
    { kind: 'DockerHost', name: 'c', action: 'created' },
    { kind: 'DockerHost', name: 'a', action: 'terminating' },
    { kind: 'DockerHost', name: 'b', action: 'pruned' },
  ]);
  assert.equal(await store.get('DockerHost', 'b'), undefined);
  assert.deepEqual(await store.revisions('DockerHost', 'b'), []);
  assert.ok((await store.get('DockerHost', 'a'))!.metadata.deletionTimestamp);
  assert.ok(await store.get('DockerHost', 'outside'));
  const nothing = { matches: () => false };
  assert.deepEqual(await store.apply([c], { fieldManager: 'ci', prune: nothing }), [
    { kind: 'DockerHost', name: 'c', action: 'unchanged' },
  ]);
});

test('a bad document in a managed apply with prune writes nothing, prunes nothing', async () => {
  const store = setup();
  await store.apply([host({}, {}, 'a'), host({}, {}, 'b')], { fieldManager: 'ci' });
  const bad = host({}, { address: 'not-an-ip' }, 'a');
  await assert.rejects(store.apply([bad], { fieldManager: 'ci', prune: { matches: () => true } }), { code: 'Invalid' });
  assert.ok(await store.get('DockerHost', 'b'));
  assert.equal((await store.get('DockerHost', 'a'))!.spec.address, '10.0.0.1');
});

test('a default the store filled in is not a field someone set: a ConsulCluster shrunk from 3 to 2 servers gets bootstrapExpect 2, not the stale 3', async () => {
  const store = setup();
  const cc = (servers: string[]): Resource => ({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name: 'dc1' },
    spec: { datacenter: 'dc1', image: 'hashicorp/consul:1.8.7', servers: servers.map((host) => ({ host, node: host })) },
  });
  for (const h of ['a', 'b', 'c']) await store.apply([host({}, { address: `10.0.0.1${h.charCodeAt(0) - 96}` }, h)], { fieldManager: 'ci' });
  await store.apply([cc(['a', 'b', 'c'])], { fieldManager: 'ci' });
  assert.equal((await store.get('ConsulCluster', 'dc1'))!.spec.bootstrapExpect, 3, 'defaulted to the server count');
  await store.apply([cc(['a', 'b'])], { fieldManager: 'ci' });
  const after = (await store.get('ConsulCluster', 'dc1'))!;
  assert.deepEqual(
    (after.spec.servers as { host: string }[]).map((x) => x.host),
    ['a', 'b'],
  );
  assert.equal(after.spec.bootstrapExpect, 2);
});
