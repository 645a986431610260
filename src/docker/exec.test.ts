import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { execInContainer } from './exec.js';
import { OutputLimitError } from '../runtime/output-limits.js';

/** The parts of dockerode execInContainer uses, over a stream the test writes the command's output to. */
function fakeDocker(stream: PassThrough) {
  return {
    getContainer: () => ({ exec: async () => ({ start: async () => stream, inspect: async () => ({ ExitCode: 0 }) }) }),
    modem: {
      demuxStream: (s: PassThrough, out: PassThrough, err: PassThrough) =>
        s.on('data', (b: Buffer) => (b[0] === 0x65 ? err : out).write(b)),
    },
  } as never;
}

test('exec output within the cap is returned whole', async () => {
  const stream = new PassThrough();
  const running = execInContainer(fakeDocker(stream), 'c1', ['consul', 'members'], { maxOutputBytes: 64 });
  await new Promise((r) => setImmediate(r));
  stream.write('node1 alive\n');
  stream.end();
  assert.deepEqual(await running, { exitCode: 0, stdout: 'node1 alive\n', stderr: '' });
});

test('a command that writes more than the cap fails the exec and its stream is ended', async () => {
  const stream = new PassThrough();
  const running = execInContainer(fakeDocker(stream), 'c1', ['cat', '/dev/zero'], { maxOutputBytes: 1024 });
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 4; i++) stream.write(Buffer.alloc(512, 0x30));
  await assert.rejects(
    running,
    (e: unknown) => e instanceof OutputLimitError && /exec cat in c1: output over 1024 bytes/.test((e as Error).message),
  );
  assert.equal(stream.destroyed, true);
});
