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

/** The real process's streams. The caller owns the signal (main() wires SIGINT/SIGTERM to it). */
export function processIo(signal: AbortSignal, releaseSignals: () => void): CliIo {
  return {
    releaseSignals,
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
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
