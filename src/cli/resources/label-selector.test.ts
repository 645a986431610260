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
  assert.throws(
    () => parseLabelSelector('a=b=c'),
    (e) => isSwarmopError(e, 'Invalid'),
  );
});

test('set-based terms: in and notin, with commas inside the parentheses', () => {
  const labels = { role: 'server', zone: 'a' };
  assert.deepEqual(parseLabelSelector('role in (server, client),zone notin (b)'), [
    { key: 'role', op: 'in', values: ['server', 'client'] },
    { key: 'zone', op: 'notin', values: ['b'] },
  ]);
  assert.equal(matchesSelector(labels, parseLabelSelector('role in (server, client),zone notin (b)')), true);
  assert.equal(matchesSelector(labels, parseLabelSelector('role in (client)')), false);
  assert.equal(matchesSelector(labels, parseLabelSelector('zone notin (a,b)')), false);
  assert.equal(matchesSelector(undefined, parseLabelSelector('zone notin (a)')), true, 'notin matches objects without the key');
  assert.equal(matchesSelector(undefined, parseLabelSelector('zone in (a)')), false);
  assert.equal(selectorToEqualityMap(parseLabelSelector('a=1,b in (2)')), undefined);
  for (const bad of ['role in server', 'role in ()', 'role in (a', 'role notin (a b)']) {
    assert.throws(
      () => parseLabelSelector(bad),
      (e) => isSwarmopError(e, 'Invalid') && e.message.startsWith(`invalid label selector "${bad}"`),
      bad,
    );
  }
});
