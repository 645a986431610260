/**
 * Everything the CLI touches of its process, passed in so tests run main() in-process with
 * captured output, their own environment and an abort signal instead of real SIGINT.
 */

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The whole of standard input, as bytes (for `-f -`). */
  readStdin(): Promise<Uint8Array>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: ends watches (`get -w`, `events -w`, `apply --watch`). */
  signal: AbortSignal;
  now(): number;
  /**
   * Gives SIGINT/SIGTERM back to whoever handles them next (the operator drains on its own terms).
   * Absent for in-process runs, where there are no process signal handlers.
   */
  releaseSignals?(): void;
}

/**
 * Writes to a process stream until its reader goes away (`| head`, `| true`): then output is
 * dropped instead of crashing on EPIPE, and `onClosed` runs (main() ends watches with it), so the
 * command still finishes the work it started, as quietly as kubectl ends on SIGPIPE.
 */
function pipeWriter(stream: NodeJS.WriteStream, onClosed: () => void): (text: string) => void {
  let open = true;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    if (open) onClosed();
    open = false;
  });
  return (text) => {
    if (open) stream.write(text);
  };
}

/** The real process's streams. The caller owns the signal (main() wires SIGINT/SIGTERM to it). */
export function processIo(signal: AbortSignal, releaseSignals: () => void, onStdoutClosed: () => void = () => {}): CliIo {
  return {
    releaseSignals,
    stdout: pipeWriter(process.stdout, onStdoutClosed),
    stderr: pipeWriter(process.stderr, () => {}),
    readStdin: () => readAll(process.stdin),
    env: process.env,
    cwd: process.cwd(),
    signal,
    now: () => Date.now(),
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
