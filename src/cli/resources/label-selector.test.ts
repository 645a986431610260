import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesSelector, parseLabelSelector, selectorToEqualityMap } from './label-selector.js';
import { isSwarmopError } from '../../errors.js';

test('equality, inequality and existence terms filter labels like kubectl', () => {
  const labels = { role: 'server', zone: 'a' };
  assert.equal(matchesSelector(labels, parseLabelSelector('role=server')), true);
  assert.equal(matchesSelector(labels, parseLabelSelector('role==server,zone=a')), true);
  assert.equal(matchesSelector(labels, parseLabelSelector('role=client')), false);
  assert.equal(matchesSelector(labels, parseLabelSelector('role!=client')), true);
  assert.equal(matchesSelector(labels, parseLabelSelector('zone')), true);
  assert.equal(matchesSelector(labels, parseLabelSelector('!zone')), false);
  assert.equal(matchesSelector(undefined, parseLabelSelector('missing!=x')), true);
});

test('only pure equality selectors convert to a plain map', () => {
  assert.deepEqual(selectorToEqualityMap(parseLabelSelector('a=1,b=2')), { a: '1', b: '2' });
  assert.equal(selectorToEqualityMap(parseLabelSelector('a!=1')), undefined);
});

test('an unparsable selector is invalid input', () => {
  assert.throws(() => parseLabelSelector('a=b=c'), (e) => isSwarmopError(e, 'Invalid'));
});
