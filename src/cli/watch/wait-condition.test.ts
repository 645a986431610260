import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWaitFor, waitSatisfied } from './wait-condition.js';
import type { Resource } from '../../crds/meta.js';
import { isSwarmopError } from '../../errors.js';

function obj(generation: number, ready: 'True' | 'False', observedGeneration?: number): Resource {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name: 'h', generation },
    spec: {},
    status: {
      conditions: [
        {
          type: 'Ready',
          status: ready,
          reason: 'r',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
          ...(observedGeneration === undefined ? {} : { observedGeneration }),
        },
      ],
    },
  };
}

test('--for parses condition with default True, explicit values and delete', () => {
  assert.deepEqual(parseWaitFor('condition=Ready'), { type: 'condition', condition: 'Ready', status: 'True' });
  assert.deepEqual(parseWaitFor('condition=Ready=false'), { type: 'condition', condition: 'Ready', status: 'False' });
  assert.deepEqual(parseWaitFor('delete'), { type: 'delete' });
  assert.throws(
    () => parseWaitFor('ready'),
    (e) => isSwarmopError(e, 'Invalid'),
  );
});

test('a missing object never satisfies a condition wait but satisfies a delete wait', () => {
  assert.equal(waitSatisfied(parseWaitFor('condition=Ready'), undefined), false);
  assert.equal(waitSatisfied(parseWaitFor('delete'), undefined), true);
  assert.equal(waitSatisfied(parseWaitFor('delete'), obj(1, 'True', 1)), false);
});

test('a condition observed for an older generation does not count', () => {
  assert.equal(waitSatisfied(parseWaitFor('condition=Ready'), obj(2, 'True', 1)), false);
  assert.equal(waitSatisfied(parseWaitFor('condition=Ready'), obj(2, 'True', 2)), true);
  assert.equal(waitSatisfied(parseWaitFor('condition=Ready=False'), obj(3, 'False', 3)), true);
  assert.equal(waitSatisfied(parseWaitFor('condition=Ready'), obj(3, 'False', 3)), false);
});

test('the status observedGeneration stands in when the condition carries none', () => {
  const o = obj(2, 'True');
  o.status = { ...o.status, observedGeneration: 2 };
  assert.equal(waitSatisfied(parseWaitFor('condition=Ready'), o), true);
  o.status.observedGeneration = 1;
  assert.equal(waitSatisfied(parseWaitFor('condition=Ready'), o), false);
});
