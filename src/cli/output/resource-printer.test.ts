import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOutputFormat, readyOf, renderDocuments, renderResourceTable } from './resource-printer.js';
import { resolveKind } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';

const now = Date.parse('2026-01-01T00:05:00Z');
const sia: Resource = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'StaticIPAttachment',
  metadata: { name: 'ubuntu114', creationTimestamp: '2026-01-01T00:00:00Z', resourceVersion: '7' },
  spec: {
    host: 'consul01',
    container: 'ubuntu114',
    bridge: 'br0',
    address: '192.168.116.114/24',
    gateway: '192.168.116.1',
    interface: 'eth1',
  },
};

test('READY is True, or the status with its reason when not True, or Unknown before any controller reported', () => {
  assert.equal(readyOf(sia), 'Unknown');
  const ready = {
    ...sia,
    status: { conditions: [{ type: 'Ready', status: 'False' as const, reason: 'NoContainer', message: '', lastTransitionTime: '' }] },
  };
  assert.equal(readyOf(ready), 'False (NoContainer)');
  const fine = {
    ...sia,
    status: { conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Attached', message: '', lastTransitionTime: '' }] },
  };
  assert.equal(readyOf(fine), 'True');
  const going = {
    ...fine,
    metadata: { ...fine.metadata, deletionTimestamp: '2026-01-01T00:01:00Z', finalizers: ['swarmop.io/staticip-cleanup'] },
  };
  assert.equal(readyOf(going), 'Terminating', 'deleted, waiting on finalizers');
});

test('the table has NAME, the kind columns, READY and AGE; wide adds the wide columns', () => {
  const kind = resolveKind('sia')!;
  const narrow = renderResourceTable(kind, [sia], { wide: false, now }).split('\n');
  assert.match(narrow[0]!, /^NAME +HOST +CONTAINER +ADDRESS +READY +AGE$/);
  assert.match(narrow[1]!, /^ubuntu114 +consul01 +ubuntu114 +192\.168\.116\.114\/24 +Unknown +5m$/);
  const wide = renderResourceTable(kind, [sia], { wide: true, now }).split('\n');
  assert.ok(wide[0]!.split(/ +/).length > narrow[0]!.split(/ +/).length, wide[0]);
});

test('one object prints as itself, several as a List, in kubectl key order', () => {
  const one = JSON.parse(renderDocuments([sia], 'json', true));
  assert.deepEqual(Object.keys(one), ['apiVersion', 'kind', 'metadata', 'spec']);
  const list = JSON.parse(renderDocuments([sia, sia], 'json', false));
  assert.equal(list.kind, 'List');
  assert.equal(list.items.length, 2);
  assert.match(renderDocuments([sia], 'yaml', true), /^apiVersion: swarmop\.io\/v1alpha1\nkind: StaticIPAttachment\n/);
});

test('only the four output formats are accepted', () => {
  assert.equal(parseOutputFormat(undefined), 'table');
  assert.equal(parseOutputFormat('wide'), 'wide');
  assert.equal(parseOutputFormat('xml'), undefined);
});
