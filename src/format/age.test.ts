import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageSince, formatAge } from './age.js';

test('formatAge uses kubectl units as objects grow older', () => {
  assert.equal(formatAge(0), '0s');
  assert.equal(formatAge(45_000), '45s');
  assert.equal(formatAge(150_000), '2m30s');
  assert.equal(formatAge(5 * 60_000), '5m');
  assert.equal(formatAge(45 * 60_000), '45m');
  assert.equal(formatAge(3 * 3_600_000 + 10 * 60_000), '3h10m');
  assert.equal(formatAge(20 * 3_600_000), '20h');
  assert.equal(formatAge(2 * 86_400_000), '2d');
  assert.equal(formatAge(30 * 86_400_000), '30d');
  assert.equal(formatAge(800 * 86_400_000), '2y');
});

test('formatAge treats clock skew (future timestamps) as zero', () => {
  assert.equal(formatAge(-5000), '0s');
});

test('ageSince reports unknown for missing or unparsable timestamps', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  assert.equal(ageSince('2026-01-01T23:55:00Z', now), '5m');
  assert.equal(ageSince(undefined, now), '<unknown>');
  assert.equal(ageSince('yesterday', now), '<unknown>');
});
