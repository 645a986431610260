import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leaderOverlaps, leaderSpans } from './leader-spans.js';

const line = (msg: string, ms: number) => ({ ts: new Date(ms).toISOString(), level: 'info', msg });

test('a clean hand-over and a kill: spans end at stopped leading or at the process end, no overlap', () => {
  const procs = [
    { name: 'a', lines: [line('operator starting', 0), line('started leading', 100), line('stopped leading', 500)], endedAt: 600 },
    { name: 'b', lines: [line('started leading', 510)], endedAt: 2000 },
    { name: 'c', lines: [line('started leading', 5000)] },
  ];
  assert.deepEqual(leaderSpans(procs), [
    { name: 'a', from: 100, to: 500 },
    { name: 'b', from: 510, to: 2000 },
    { name: 'c', from: 5000, to: Infinity },
  ]);
  assert.deepEqual(leaderOverlaps(procs), []);
});

test('a standby that starts leading before the old leader stopped, or while a killed one still ran, is an overlap', () => {
  const early = [
    { name: 'a', lines: [line('started leading', 100), line('stopped leading', 500)] },
    { name: 'b', lines: [line('started leading', 499)] },
  ];
  assert.deepEqual(leaderOverlaps(early), [
    'a led 1970-01-01T00:00:00.100Z..1970-01-01T00:00:00.500Z while b led 1970-01-01T00:00:00.499Z..still',
  ]);
  const killed = [
    { name: 'a', lines: [line('started leading', 100)], endedAt: 3000 },
    { name: 'b', lines: [line('started leading', 2999), line('stopped leading', 4000)] },
  ];
  assert.equal(leaderOverlaps(killed).length, 1);
});

test('a line without a parsable ts is an error, not a silent gap', () => {
  assert.throws(() => leaderSpans([{ name: 'a', lines: [{ msg: 'started leading' }] }]), /a: "started leading" line without a parsable ts/);
});
