/** A CliIo that records output, for running main() in-process (tests, embedding). */
import type { CliIo } from '../../src/cli/program/cli-io.js';

export interface CapturedIo extends CliIo {
  out: string;
  err: string;
}

export function captureIo(
  options: {
    env?: Record<string, string | undefined>;
    stdin?: string | Uint8Array;
    cwd?: string;
    signal?: AbortSignal;
    now?: () => number;
  } = {},
): CapturedIo {
  const io: CapturedIo = {
    out: '',
    err: '',
    stdout: (t) => {
      io.out += t;
    },
    stderr: (t) => {
      io.err += t;
    },
    readStdin: async () =>
      typeof options.stdin === 'string' || options.stdin === undefined ? Buffer.from(options.stdin ?? '') : options.stdin,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal ?? new AbortController().signal,
    now: options.now ?? (() => Date.now()),
  };
  return io;
}
