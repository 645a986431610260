/**
 * A long-lived `docker exec` with stdin open: the process's stdout and stderr as two streams and its
 * stdin as a writable end. For helper sessions and netlink monitors, which live as long as the
 * operator holds them. Use a Docker client without a request timeout (streamDockerOptionsFor):
 * such an exec is idle for long. Closing the connection gives the process EOF on stdin, which is
 * how the fixed scripts running there know to stop.
 */
import { PassThrough } from 'node:stream';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { SwarmopError } from '../errors.js';

export interface ExecStream {
  stdout: PassThrough;
  stderr: PassThrough;
  /** Writes to the process's stdin. */
  write(data: string): void;
  /** Resolves when the connection closed (process ended, or close() called). */
  closed: Promise<void>;
  close(): void;
}

export async function openExecStream(docker: Docker, container: string, cmd: readonly string[]): Promise<ExecStream> {
  if (cmd.length === 0) throw new SwarmopError('Internal', 'openExecStream: empty command');
  const exec = await docker.getContainer(container).exec({
    Cmd: [...cmd],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const socket = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex & { unref?: () => void };
  // A held-open session or monitor must never be what keeps the process from exiting.
  socket.unref?.();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(socket, stdout, stderr);
  const closed = new Promise<void>((resolve) => {
    const done = (): void => {
      stdout.end();
      stderr.end();
      resolve();
    };
    socket.once('end', done);
    socket.once('close', done);
    socket.once('error', done);
  });
  return {
    stdout,
    stderr,
    write: (data) => void socket.write(data),
    closed,
    close: () => socket.destroy(),
  };
}
