import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSwarmopError } from '../errors.js';
import { conditionOf, explain, KINDS, resolveKind, type JsonSchemaObject, type Resource } from './index.js';

test('kinds resolve from kind, singular, plural and short names in any case', () => {
  for (const [alias, kind] of [
    ['sia', 'StaticIPAttachment'],
    ['StaticIPAttachment', 'StaticIPAttachment'],
    ['staticipattachments', 'StaticIPAttachment'],
    ['DH', 'DockerHost'],
    ['dockerhosts', 'DockerHost'],
    ['cc', 'ConsulCluster'],
    ['consulcluster', 'ConsulCluster'],
    ['sc', 'SwarmCluster'],
    ['SwarmClusters', 'SwarmCluster'],
  ] as const)
    assert.equal(resolveKind(alias)?.kind, kind, alias);
  assert.equal(resolveKind('pods'), undefined);
});

function walk(s: JsonSchemaObject, path: string, visit: (s: JsonSchemaObject, path: string) => void): void {
  visit(s, path);
  for (const [k, child] of Object.entries(s.properties ?? {})) walk(child, `${path}.${k}`, visit);
  if (s.items) walk(s.items, `${path}[]`, visit);
  if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}{}`, visit);
}

test('every schema field has a description and every object rejects unknown fields', () => {
  for (const k of KINDS) {
    walk(k.schema, k.kind, (s, path) => {
      assert.ok(s.description && s.description.length > 3, `${path} has no description`);
      if (s.type === 'object') assert.ok(s.additionalProperties !== undefined && s.additionalProperties !== true, `${path} is open`);
    });
  }
});

test('printer columns render strings for a resource with and without status', () => {
  const bare = { apiVersion: 'swarmop.io/v1alpha1', kind: 'X', metadata: { name: 'n' }, spec: {} } as Resource;
  for (const k of KINDS) for (const c of k.printerColumns) assert.equal(typeof c.value(bare), 'string', `${k.kind} ${c.name}`);
  const sc = KINDS.find((k) => k.kind === 'SwarmCluster');
  const withStatus = {
    ...bare,
    spec: { managers: ['a'], workers: ['b', 'c'] },
    status: { nodes: [{ state: 'ready' }, { state: 'down' }] },
  } as Resource;
  assert.deepEqual(
    sc?.printerColumns.map((c) => c.value(withStatus)),
    ['1', '2', '1/2', '<none>'],
  );
});

test('explain of a kind lists its top-level fields with the kind description', () => {
  const out = explain('sia');
  assert.match(out, /^KIND: {5}StaticIPAttachment$/m);
  assert.match(out, /^ {3}spec\t<Object> -required-$/m);
  assert.match(out, /SHORT NAMES: sia/);
});

test('explain of a field shows its type, description, format and default', () => {
  const out = explain('staticipattachment.spec.interface');
  assert.match(out, /^FIELD: {4}interface <string>$/m);
  assert.match(out, /Default eth1/);
  assert.match(explain('StaticIPAttachment.spec.address'), /FIELD: {4}address <string> -required-/);
});

test('explain walks through arrays into their item fields', () => {
  assert.match(explain('cc.spec.servers'), /^ {3}node\t<string> -required-$/m);
  assert.match(explain('cc.spec.servers.bindAddress'), /FIELD: {4}bindAddress <string>/);
  assert.match(explain('dh.metadata.labels'), /<map\[string\]string>/);
});

test('explain of an unknown kind or field is a NotFound error naming it', () => {
  assert.throws(
    () => explain('pods'),
    (e: unknown) => isSwarmopError(e, 'NotFound') && /pods/.test(e.message),
  );
  assert.throws(
    () => explain('sia.spec.nope'),
    (e: unknown) => isSwarmopError(e, 'NotFound') && /"nope" does not exist in StaticIPAttachment.spec/.test(e.message),
  );
});

test('conditionOf finds a condition by type', () => {
  const r = {
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'Converged', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' }],
    },
  } as Resource;
  assert.equal(conditionOf(r, 'Ready')?.status, 'True');
  assert.equal(conditionOf(r, 'Degraded'), undefined);
  assert.equal(conditionOf({ status: undefined }, 'Ready'), undefined);
});
