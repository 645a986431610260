import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unifiedDiff } from './unified-diff.js';

const labels = { oldLabel: 'live', newLabel: 'file' };

test('equal texts produce no diff', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', labels), '');
});

test('a changed line shows as removal then addition inside one hunk with context', () => {
  const out = unifiedDiff('a\nb\nc\nd\n', 'a\nB\nc\nd\n', labels);
  assert.equal(out, '--- live\n+++ file\n@@ -1,4 +1,4 @@\n a\n-b\n+B\n c\n d\n');
});

test('distant changes make separate hunks with correct line numbers', () => {
  const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
  const b = a.replace('l1\n', 'x1\n').replace('l18', 'x18');
  const out = unifiedDiff(a, b, labels);
  const hunks = out.split('\n').filter((l) => l.startsWith('@@'));
  assert.deepEqual(hunks, ['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
});

test('diff against empty text adds every line', () => {
  assert.equal(unifiedDiff('', 'x\ny\n', labels), '--- live\n+++ file\n@@ -0,0 +1,2 @@\n+x\n+y\n');
});
