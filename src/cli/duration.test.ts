import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from './duration.js';
import { isSwarmopError } from '../errors.js';

test('parseDuration accepts Go-style units and bare seconds', () => {
  assert.equal(parseDuration('60s'), 60_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('5'), 5000);
  assert.equal(parseDuration('1.5s'), 1500);
});

test('parseDuration rejects garbage as invalid input', () => {
  for (const bad of ['', 'soon', '10x', '5s later']) {
    assert.throws(() => parseDuration(bad), (e) => isSwarmopError(e, 'Invalid'), bad);
  }
});
