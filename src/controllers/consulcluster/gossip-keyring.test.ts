import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyringIsCurrent, staleKeys, type KeyringPool } from './gossip-keyring.js';

const pool = (keys: Record<string, number>, wan = false): KeyringPool => ({ wan, keys, numNodes: 3 });

test('the keyring is current only when every pool holds exactly the wanted key', () => {
  assert.equal(keyringIsCurrent([pool({ A: 3 }, true), pool({ A: 3 })], 'A'), true);
  assert.equal(keyringIsCurrent([pool({ A: 3 }, true), pool({ B: 3 })], 'A'), false, 'LAN still on the old key');
  assert.equal(keyringIsCurrent([pool({ A: 3, B: 3 })], 'A'), false, 'old key not removed yet');
  assert.equal(keyringIsCurrent([], 'A'), false, 'an empty answer proves nothing');
});

test('stale keys are every other key in any pool, once each', () => {
  assert.deepEqual(staleKeys([pool({ A: 3, B: 3 }, true), pool({ B: 3, C: 1 })], 'A'), ['B', 'C']);
  assert.deepEqual(staleKeys([pool({ A: 3 })], 'A'), []);
});
