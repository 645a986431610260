import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDurationMs, parseGoDuration } from './go-duration.js';
import { isSwarmopError } from './errors.js';

test('goDurationMs reads every Go unit and sums the parts', () => {
  assert.equal(goDurationMs('10s'), 10_000);
  assert.equal(goDurationMs('1m30s'), 90_000);
  assert.equal(goDurationMs('500ms'), 500);
  assert.equal(goDurationMs('2h'), 7_200_000);
  assert.equal(goDurationMs('1.5s'), 1500);
  assert.equal(goDurationMs('250us'), 0.25);
  assert.equal(goDurationMs('250µs'), 0.25);
  assert.equal(goDurationMs('1000000ns'), 1);
  assert.equal(goDurationMs('0'), 0);
});

test('goDurationMs is undefined for anything that is not a whole duration', () => {
  for (const bad of ['', 'often', '10', '10x', '5s later', ' 5s', '-1s']) assert.equal(goDurationMs(bad), undefined, bad);
});

test('parseGoDuration trims, and takes bare seconds only when asked (kubectl --timeout)', () => {
  assert.equal(parseGoDuration(' 10s '), 10_000);
  assert.equal(parseGoDuration('5', { bareSeconds: true }), 5000);
  assert.equal(parseGoDuration('1.5', { bareSeconds: true }), 1500);
  assert.throws(
    () => parseGoDuration('5'),
    (e) => isSwarmopError(e, 'Invalid') && /invalid duration "5"/.test(e.message),
  );
});

test('parseGoDuration rejects garbage as invalid input, naming it', () => {
  for (const bad of ['', 'soon', '10x', '5s later']) {
    assert.throws(
      () => parseGoDuration(bad, { bareSeconds: true }),
      (e) => isSwarmopError(e, 'Invalid') && e.message.includes(`"${bad}"`),
      bad,
    );
  }
});
