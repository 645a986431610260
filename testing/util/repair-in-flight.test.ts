import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repairsInFlight } from './repair-in-flight.js';

const line = (message: string, reconcileId: string, host = 'h1') => ({ message, reconcileId, host });

test('a plan applied and then nothing: that reconcile was cut short', () => {
  assert.deepEqual(repairsInFlight([line('cache synced, starting controllers', ''), line('applying plan', 'r1')], 'h1'), ['r1']);
});

test('a plan followed by its drift repaired, or by its reconcile failing, was not in flight', () => {
  assert.deepEqual(repairsInFlight([line('applying plan', 'r1'), line('drift repaired', 'r1')], 'h1'), []);
  assert.deepEqual(repairsInFlight([line('applying plan', 'r1'), line('reconcile failed, will retry', 'r1')], 'h1'), []);
  assert.deepEqual(repairsInFlight([line('applying plan', 'r1'), line('reconcile done', 'r1')], 'h1'), []);
});

test('only the same reconcile ends it, and only plans on the host asked for count', () => {
  const lines = [
    line('applying plan', 'r1'),
    line('drift repaired', 'r2'),
    line('applying plan', 'r3', 'h2'),
    line('applying plan', 'r4'),
    line('event recorded', 'r4'),
  ];
  assert.deepEqual(repairsInFlight(lines, 'h1'), ['r1', 'r4']);
  assert.deepEqual(repairsInFlight(lines, 'h2'), ['r3']);
});
