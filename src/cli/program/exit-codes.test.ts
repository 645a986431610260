import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, exitCodeForError, isUserError } from './exit-codes.js';
import { SwarmopError } from '../../errors.js';

test('each error code maps to its documented exit code', () => {
  const cases: [ConstructorParameters<typeof SwarmopError>[0], number][] = [
    ['Invalid', 2],
    ['NotFound', 3],
    ['AlreadyExists', 4],
    ['Conflict', 4],
    ['Unavailable', 5],
    ['Forbidden', 5],
    ['Timeout', 6],
    ['Internal', 7],
  ];
  for (const [code, exit] of cases) assert.equal(exitCodeForError(new SwarmopError(code, 'x')), exit, code);
});

test('unknown errors are internal failures shown with a stack, never the 1 that diff uses for "different"', () => {
  assert.equal(exitCodeForError(new TypeError('boom')), ExitCode.Internal);
  assert.equal(ExitCode.Internal > 1, true);
  assert.equal(isUserError(new TypeError('boom')), false);
  assert.equal(isUserError(new SwarmopError('Internal', 'bug')), false);
  assert.equal(isUserError(new SwarmopError('NotFound', 'x')), true);
});
