import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from './table.js';

test('renderTable pads columns to the widest cell and trims trailing space', () => {
  const out = renderTable(
    ['NAME', 'READY', 'AGE'],
    [
      ['ubuntu114', 'True', '5m'],
      ['a', 'Unknown', '2d'],
    ],
  );
  assert.equal(out, 'NAME        READY     AGE\nubuntu114   True      5m\na           Unknown   2d\n');
});

test('renderTable prints only headers when there are no rows', () => {
  assert.equal(renderTable(['NAME', 'AGE'], []), 'NAME   AGE\n');
});
