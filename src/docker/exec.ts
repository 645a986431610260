/**
 * Run a command (an argument array, never a shell string) inside a container through the Docker
 * API and collect its output. Shared by the controllers that inspect or repair from inside a
 * container (consul members / join, ip commands in the network helper).
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { SwarmopError } from '../errors.js';
import { BoundedChunks } from '../runtime/output-limits.js';
import { engineText } from './engine-message.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Give up after this long (ms); the command may keep running in the container. */
  timeoutMs?: number;
  user?: string;
  env?: string[];
  signal?: AbortSignal;
  /** The most stdout and stderr kept together (default EXEC_OUTPUT_LIMIT_BYTES); more fails the exec. */
  maxOutputBytes?: number;
}

/** Commands swarmop runs answer in kilobytes (`consul members` of a large cluster: a few hundred). */
export const EXEC_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

export async function execInContainer(
  docker: Docker,
  container: string,
  cmd: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  if (cmd.length === 0) throw new SwarmopError('Internal', 'execInContainer: empty command');
  const exec = await docker.getContainer(container).exec({
    Cmd: [...cmd],
    AttachStdout: true,
    AttachStderr: true,
    User: options.user,
    Env: options.env,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  // Both outputs count against one cap: past it the stream is ended and the exec fails.
  const limit = new BoundedChunks({
    maxBytes: options.maxOutputBytes ?? EXEC_OUTPUT_LIMIT_BYTES,
    what: `exec ${cmd[0]} in ${container}: output`,
  });
  let overflow: ((e: Error) => void) | undefined;
  const keep =
    (into: Buffer[]) =>
    (b: Buffer): void => {
      try {
        limit.push(b);
        into.push(b);
      } catch (e) {
        overflow?.(e as Error);
      }
    };
  stdout.on('data', keep(out));
  stderr.on('data', keep(err));
  docker.modem.demuxStream(stream, stdout, stderr);

  await new Promise<void>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new SwarmopError('Timeout', `exec ${cmd[0]} in ${container} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => {
      clearTimeout(timer);
      stream.destroy();
      reject(new SwarmopError('Timeout', `exec ${cmd[0]} in ${container} aborted`));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    overflow = (e) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      reject(e);
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const info = await exec.inspect();
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

/** Like execInContainer but throws (with stderr) when the command exits non-zero. */
export async function execOrThrow(docker: Docker, container: string, cmd: readonly string[], options: ExecOptions = {}): Promise<string> {
  const r = await execInContainer(docker, container, cmd, options);
  if (r.exitCode !== 0) {
    throw new SwarmopError('Internal', `${cmd.join(' ')} in ${container} exited ${r.exitCode}: ${engineText(r.stderr || r.stdout)}`);
  }
  return r.stdout;
}
