/**
 * Run a command (an argument array, never a shell string) inside a container through the Docker
 * API and collect its output. Shared by the controllers that inspect or repair from inside a
 * container (consul members / join, ip commands in the network helper).
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { SwarmopError } from '../errors.js';
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
}

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
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
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
export async function execOrThrow(
  docker: Docker,
  container: string,
  cmd: readonly string[],
  options: ExecOptions = {},
): Promise<string> {
  const r = await execInContainer(docker, container, cmd, options);
  if (r.exitCode !== 0) {
    throw new SwarmopError(
      'Internal',
      `${cmd.join(' ')} in ${container} exited ${r.exitCode}: ${engineText(r.stderr || r.stdout)}`,
    );
  }
  return r.stdout;
}
