import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeObject } from './stored-document.js';

const doc = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'StaticIPAttachment',
  metadata: { name: 'web', uid: 'u1', generation: 1 },
  spec: { host: 'consul01', container: 'web', bridge: 'br0', address: '10.0.0.14/24' },
};
const pair = (key: string, value: unknown, modifyIndex: number) => ({
  key,
  value: JSON.stringify(value),
  createIndex: modifyIndex,
  modifyIndex,
});
const ready = { type: 'Ready', status: 'True', reason: 'Attached', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' };

test('a stored status is validated on read like spec: a hostile service address is dropped, valid fields kept', () => {
  const status = {
    conditions: [ready],
    pid: 42,
    service: { serviceID: 'web', agent: 'consul01', agentAddress: 'evil/x#', consulCluster: 'dc', health: 'passing' },
  };
  const d = decodeObject(
    'StaticIPAttachment',
    'web',
    pair('p/objects/staticipattachments/web', doc, 5),
    pair('p/status/staticipattachments/web', status, 6),
  );
  assert.deepEqual(d.errors, []);
  assert.deepEqual(d.resource?.status, { conditions: [ready], pid: 42 });
});

test('a stored status of the wrong shape is no status', () => {
  const d = decodeObject(
    'StaticIPAttachment',
    'web',
    pair('p/objects/staticipattachments/web', doc, 5),
    pair('p/status/staticipattachments/web', { pid: 'x', conditions: 'y' }, 6),
  );
  assert.deepEqual(d.resource?.status, {});
});
