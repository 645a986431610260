import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { ExecStream } from '../docker/exec-stream.js';
import { isSwarmopError } from '../errors.js';
import { HelperSession, SESSION_ARGV, frameProgram } from './helper-session.js';
import { isLeadershipLost, LeaseFence } from '../runtime/fence.js';
import { FakeClock } from '../../testing/fakes/fake-clock.js';

/** The session script under this machine's /bin/sh, as the helper runs it with its own. */
function localSession(): { session: HelperSession; stream: ExecStream } {
  const child = spawn(SESSION_ARGV[0]!, SESSION_ARGV.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  child.stdout.pipe(stdout);
  child.stderr.pipe(stderr);
  const closed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stream: ExecStream = { stdout, stderr, write: (d) => void child.stdin.write(d), closed, close: () => void child.kill('SIGKILL') };
  return { session: HelperSession.over(stream, 5_000), stream };
}

test('programs run one after another on one session, each with its own outputs and exit codes', async () => {
  const { session, stream } = localSession();
  try {
    const [a, b] = await Promise.all([
      session.run([
        { mode: 'must', argv: ['echo', 'one'] },
        { mode: 'may', argv: ['sh', '-c', 'echo two; echo warn >&2; exit 4'] },
      ]),
      session.run([
        { mode: 'must', argv: ['false'] },
        { mode: 'must', argv: ['echo', 'never'] },
      ]),
    ]);
    assert.deepEqual(a.results, [
      { exitCode: 0, stdout: 'one\n' },
      { exitCode: 4, stdout: 'two\n' },
    ]);
    assert.equal(a.failedAt, undefined);
    assert.equal(a.stderr, 'warn\n');
    assert.deepEqual(b.results, [{ exitCode: 1, stdout: '' }]);
    assert.equal(b.failedAt, 0);
    const c = await session.run([{ mode: 'must', argv: ['echo', 'three'] }]);
    assert.deepEqual(c.results, [{ exitCode: 0, stdout: 'three\n' }]);
  } finally {
    session.close();
    await stream.closed;
  }
});

test('values reach the command verbatim: shell metacharacters, spaces, empty strings, a command that reads stdin', async () => {
  const { session, stream } = localSession();
  try {
    const nasty = [
      '$(touch /tmp/swarmop-pwned)',
      '`id`',
      'a b',
      '"; exit 9; "',
      "'",
      '${HOME}',
      '*',
      '',
      ' lead',
      'trail ',
      'back\\slash',
      'P 7',
    ];
    const r = await session.run([
      { mode: 'must', argv: ['printf', '%s|', ...nasty] },
      // A command reading stdin gets EOF, not the next program.
      { mode: 'must', argv: ['cat'] },
    ]);
    assert.deepEqual(r.results, [
      { exitCode: 0, stdout: nasty.map((s) => `${s}|`).join('') },
      { exitCode: 0, stdout: '' },
    ]);
    const after = await session.run([{ mode: 'must', argv: ['echo', 'still here'] }]);
    assert.equal(after.results[0]?.stdout, 'still here\n');
  } finally {
    session.close();
    await stream.closed;
  }
});

test('stdin lines of a command arrive verbatim through the session, and the session goes on', async () => {
  const { session, stream } = localSession();
  try {
    const lines = ['addr replace 10.0.0.5/24 dev eth1', '$(id)', '${2}', '@@swarmop-in', 'P 9', ''];
    const r = await session.run([
      { mode: 'must', argv: ['cat'], stdin: lines },
      { mode: 'must', argv: ['cat', '-'], stdin: ['second'] },
    ]);
    assert.deepEqual(r.results, [
      { exitCode: 0, stdout: lines.map((l) => `${l}\n`).join('') },
      { exitCode: 0, stdout: 'second\n' },
    ]);
    const after = await session.run([{ mode: 'must', argv: ['cat'] }]);
    assert.deepEqual(after.results, [{ exitCode: 0, stdout: '' }]);
  } finally {
    session.close();
    await stream.closed;
  }
});

test('an argument with a newline is refused before anything is sent', () => {
  assert.throws(
    () => frameProgram(1, [{ mode: 'must', argv: ['echo', 'a\nP 2'] }]),
    (e: unknown) => isSwarmopError(e, 'Invalid') && e.message.includes('newline'),
  );
});

test('a session whose process ended fails its pending and later programs with Unavailable', async () => {
  const { session, stream } = localSession();
  const pending = session.run([{ mode: 'must', argv: ['sleep', '5'] }]);
  session.close(); // the connection is gone, as when the helper container is removed
  await stream.closed;
  await assert.rejects(session.run([{ mode: 'must', argv: ['true'] }]), (e: unknown) => isSwarmopError(e, 'Unavailable'));
  await pending.then(
    () => assert.fail('a program whose session ended before its marker must not resolve'),
    (e: unknown) => assert.ok(isSwarmopError(e, 'Unavailable')),
  );
});

test('under a fence, a program is written only while leading, and the session is cut when the lease ends', async () => {
  const { stream } = localSession();
  const fence = new LeaseFence({ clock: new FakeClock() });
  fence.grant({ key: 'k', session: 's', deadline: () => Infinity });
  const session = HelperSession.over(stream, 5_000, { fence });
  const ran = await session.run([{ mode: 'must', argv: ['echo', 'leading'] }]);
  assert.equal(ran.results[0]?.stdout, 'leading\n');
  // A program still running when the lease ends is cut off with the connection.
  const slow = session.run([{ mode: 'must', argv: ['sleep', '5'] }]);
  fence.revoke('the lock is held by someone else');
  await assert.rejects(slow, isLeadershipLost);
  assert.equal(session.dead, true);
  await stream.closed;
});

test('under a fence that is not held, no program is written at all', async () => {
  const writes: string[] = [];
  const { stream } = localSession();
  const recording: ExecStream = { ...stream, write: (d) => (writes.push(String(d)), stream.write(d)) };
  const session = HelperSession.over(recording, 5_000, { fence: new LeaseFence({ clock: new FakeClock() }) });
  await assert.rejects(session.run([{ mode: 'must', argv: ['ip', 'link', 'add', 'x', 'type', 'dummy'] }]), isLeadershipLost);
  assert.deepEqual(writes, []);
  stream.close();
});

test('a helper that writes more than the output cap without finishing ends the session: the program fails, nothing grows further', async () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let closedByUs = false;
  const stream: ExecStream = {
    stdout,
    stderr,
    write: () => undefined,
    closed: new Promise(() => undefined),
    close: () => void (closedByUs = true),
  };
  const session = HelperSession.over(stream, 5_000, { maxOutputBytes: 1024 });
  const running = session.run([{ argv: ['ip', '-json', 'link', 'show'], mode: 'must' }]);
  stdout.write('x'.repeat(600));
  stdout.write('x'.repeat(600));
  await assert.rejects(
    running,
    (e: unknown) => isSwarmopError(e, 'Unavailable') && /network helper session: output over 1024 bytes/.test((e as Error).message),
  );
  assert.equal(session.dead, true);
  assert.equal(closedByUs, true, 'the session is closed');
  stderr.write('y'.repeat(2000)); // after the end: dropped, not kept
  await assert.rejects(session.run([{ argv: ['true'], mode: 'must' }]), /output over 1024 bytes/);
});
