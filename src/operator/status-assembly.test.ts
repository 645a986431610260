import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStatus, invalidSpecConditions, mergeConditions, withRepairFailing } from './status-assembly.js';

const t0 = new Date('2026-11-26T10:00:00Z');
const t1 = new Date('2026-11-26T10:05:00Z');

test('a condition that keeps its status keeps its transition time', () => {
  const first = mergeConditions(undefined, [{ type: 'Ready', status: 'True', reason: 'A', message: 'm1' }], 1, t0);
  const second = mergeConditions(first, [{ type: 'Ready', status: 'True', reason: 'B', message: 'm2' }], 2, t1);
  assert.equal(second[0]?.lastTransitionTime, t0.toISOString());
  assert.equal(second[0]?.reason, 'B');
  assert.equal(second[0]?.observedGeneration, 2);
});

test('a condition that flips gets a new transition time', () => {
  const first = mergeConditions(undefined, [{ type: 'Ready', status: 'True', reason: 'A', message: '' }], 1, t0);
  const second = mergeConditions(first, [{ type: 'Ready', status: 'False', reason: 'Unreachable', message: '' }], 1, t1);
  assert.equal(second[0]?.lastTransitionTime, t1.toISOString());
});

test('rebuilding status from the same observations is deep-equal (the write can be skipped)', () => {
  const obs = { reachable: true, engineVersion: '20.10.24' };
  const conds = [{ type: 'Ready', status: 'True' as const, reason: 'Reachable', message: 'ok' }];
  const a = buildStatus(undefined, obs, conds, 3, t0);
  const b = buildStatus(a, obs, conds, 3, t1);
  assert.deepEqual(b, a);
  assert.equal(b.observedGeneration, 3);
});

test('InvalidSpec lists the first errors with their paths', () => {
  const errs = Array.from({ length: 7 }, (_, i) => `spec.servers[${i}].host: bad`);
  const [c] = invalidSpecConditions(errs);
  assert.equal(c?.reason, 'InvalidSpec');
  assert.equal(c?.status, 'False');
  assert.match(c?.message ?? '', /spec\.servers\[0\]\.host: bad/);
  assert.match(c?.message ?? '', /and 2 more$/);
});

test('a failing repair shows its error in Degraded cut to 1000 bytes and without control characters', () => {
  const [degraded] = withRepairFailing([], `engine said:\u001b[2J\n${'x'.repeat(50_000)}`, 3);
  assert.ok(Buffer.byteLength(degraded!.message) <= 1000 + 'attempt 3: '.length);
  assert.match(degraded!.message, /^attempt 3: engine said: \[2J x+…$/);
});
