import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateStatus } from './index.js';

const ready = { type: 'Ready', status: 'True', reason: 'Attached', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' };
const service = { serviceID: 'web', agent: 'consul01', agentAddress: '10.0.0.12:8500', consulCluster: 'dc', health: 'passing' };

test('a status that fits its kind\'s status schema is read as it is', () => {
  const status = { observedGeneration: 2, conditions: [ready], hostVeth: 'swv0123456789ab', service };
  assert.deepEqual(validateStatus('StaticIPAttachment', status), { status, dropped: [] });
});

test('a hand-written status field that does not validate is dropped; the fields that validate are kept', () => {
  const r = validateStatus('StaticIPAttachment', { conditions: [ready], service: { ...service, agentAddress: 'evil/x#' } });
  assert.deepEqual(r.status, { conditions: [ready] });
  assert.deepEqual(r.dropped, ['status.service']);
});

test('unknown status fields, and a status that is not an object, are no status at all', () => {
  assert.deepEqual(validateStatus('ConsulCluster', { leader: 'a', command: 'rm -rf /' }), { status: { leader: 'a' }, dropped: ['status.command'] });
  assert.equal(validateStatus('DockerHost', ['x']).status, undefined);
  assert.equal(validateStatus('DockerHost', 'x').status, undefined);
  assert.equal(validateStatus('DockerHost', undefined).status, undefined);
});
