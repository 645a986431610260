import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatus } from './operator.js';

test('a stored status that is not a JSON object counts as no status', () => {
  for (const bad of ['', 'not json', '[]', 'null', '42', '{"a":']) assert.equal(parseStatus(bad), undefined, bad);
  assert.deepEqual(parseStatus('{"observedGeneration":2}'), { observedGeneration: 2 });
});
