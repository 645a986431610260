import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { isSwarmopError } from '../errors.js';
import { type HelperCommand, parseProgramOutput, programArgv } from './helper-program.js';

/** Runs the program with this machine's /bin/sh, as the helper does with its own. */
function run(cmds: HelperCommand[]) {
  const argv = programArgv(cmds);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return parseProgramOutput(cmds, r.stdout, r.stderr);
}

test('each command gets its own output and exit code, in order', () => {
  const r = run([
    { mode: 'must', argv: ['echo', 'one'] },
    { mode: 'may', argv: ['sh', '-c', 'echo two; exit 4'] },
    { mode: 'must', argv: ['printf', '%s|%s', 'a', 'b'] },
  ]);
  assert.equal(r.failedAt, undefined);
  assert.deepEqual(r.results, [
    { exitCode: 0, stdout: 'one\n' },
    { exitCode: 4, stdout: 'two\n' },
    { exitCode: 0, stdout: 'a|b' },
  ]);
});

test('values are never parsed by the shell: metacharacters arrive verbatim', () => {
  const nasty = ['$(touch /tmp/swarmop-pwned)', '`id`', 'a b', '"; exit 9; "', "'", '${HOME}', '*', ''];
  const r = run([{ mode: 'must', argv: ['printf', '%s\\n', ...nasty] }]);
  assert.equal(r.results[0]?.stdout, nasty.map((s) => `${s}\n`).join(''));
});

test('commands with more than nine arguments keep every argument', () => {
  const args = Array.from({ length: 14 }, (_, i) => `arg${i}`);
  const r = run([{ mode: 'must', argv: ['printf', '%s,', ...args] }]);
  assert.equal(r.results[0]?.stdout, args.map((a) => `${a},`).join(''));
});

test('a failing must command stops the program and is reported', () => {
  const r = run([
    { mode: 'must', argv: ['true'] },
    { mode: 'must', argv: ['sh', '-c', 'echo boom >&2; exit 2'] },
    { mode: 'must', argv: ['echo', 'never'] },
  ]);
  assert.equal(r.failedAt, 1);
  assert.equal(r.results.length, 2);
  assert.match(r.stderr, /boom/);
});

test('a program cut short (fewer step marks than commands) counts as failed at the first missing step', () => {
  const cmds: HelperCommand[] = [
    { mode: 'must', argv: ['a'] },
    { mode: 'must', argv: ['b'] },
  ];
  assert.equal(parseProgramOutput(cmds, '\n@@swarmop-step 0 0@@\n', '').failedAt, 1);
});

test('stdin lines reach the command verbatim, one per line, and the next command gets none', () => {
  const lines = ['link set swp0 name eth1', '$(touch /tmp/swarmop-pwned)', '`id`', '${1}', '@@swarmop-in', 'a "b" \'c\'', ''];
  const r = run([
    { mode: 'must', argv: ['cat'], stdin: lines },
    { mode: 'must', argv: ['printf', '%s|', 'after'] },
    { mode: 'must', argv: ['cat'] },
  ]);
  assert.equal(r.failedAt, undefined);
  assert.deepEqual(r.results, [
    { exitCode: 0, stdout: lines.map((l) => `${l}\n`).join('') },
    { exitCode: 0, stdout: 'after|' },
    { exitCode: 0, stdout: '' },
  ]);
});

test('a stdin line with a newline is refused before anything runs', () => {
  assert.throws(
    () => programArgv([{ mode: 'must', argv: ['cat'], stdin: ['link set a up', 'x\nlink del b'] }]),
    (e: unknown) => isSwarmopError(e, 'Invalid') && e.message.includes('newline'),
  );
});
