import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDescribe, renderEventsTable } from './describe-printer.js';
import type { Resource } from '../../crds/meta.js';

const now = Date.parse('2026-01-01T01:00:00Z');
const obj: Resource = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'StaticIPAttachment',
  metadata: { name: 'ubuntu114', labels: { app: 'web' }, generation: 2, resourceVersion: '42', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { host: 'consul01', address: '192.168.116.114/24' },
  status: {
    observedGeneration: 2,
    conditions: [{ type: 'Ready', status: 'True', reason: 'Attached', message: 'eth1 up', lastTransitionTime: '2026-01-01T00:55:00Z' }],
  },
};

test('describe shows metadata, spec, status, a conditions table and events', () => {
  const out = renderDescribe(
    obj,
    [
      {
        type: 'Normal',
        reason: 'Attached',
        message: 'added eth1',
        lastTimestamp: '2026-01-01T00:59:00Z',
        object: 'staticipattachment/ubuntu114',
        source: 'staticipattachment-controller',
      },
    ],
    now,
  );
  assert.match(out, /^Name: +ubuntu114$/m);
  assert.match(out, /^Labels: +app=web$/m);
  assert.match(out, /^Annotations: +<none>$/m);
  assert.match(out, /^Created: +2026-01-01T00:00:00Z \(60m ago\)$/m);
  assert.match(out, /^Spec:\n {2}host: consul01\n {2}address: 192\.168\.116\.114\/24$/m);
  assert.match(out, /^Status:\n {2}observedGeneration: 2$/m);
  assert.match(out, /^ {2}TYPE +STATUS +REASON +AGE +MESSAGE\n {2}Ready +True +Attached +5m +eth1 up$/m);
  assert.match(
    out,
    /^Events:\n {2}TYPE +REASON +AGE +FROM +MESSAGE\n {2}Normal +Attached +60s +staticipattachment-controller +added eth1$/m,
  );
});

test('describe says <none> for missing status, conditions and events', () => {
  const { status: _s, ...bare } = obj;
  const out = renderDescribe(bare, [], now);
  assert.match(out, /^Status:\n {2}<none>$/m);
  assert.match(out, /^Conditions:\n {2}<none>$/m);
  assert.match(out, /^Events: {2}<none>$/m);
});

test('the events table shows repeat counts next to the age', () => {
  const out = renderEventsTable(
    [
      {
        type: 'Warning',
        reason: 'Unreachable',
        message: 'dial tcp',
        lastTimestamp: '2026-01-01T00:58:00Z',
        count: 3,
        object: 'dockerhost/h1',
      },
    ],
    now,
    true,
  );
  assert.equal(
    out,
    'LAST SEEN   TYPE      REASON        OBJECT          MESSAGE\n2m (x3)     Warning   Unreachable   dockerhost/h1   dial tcp\n',
  );
});
