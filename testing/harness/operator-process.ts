/**
 * `swarmop operator --log-format json` as a real child process (`node bin/swarmop.js`, the built
 * CLI in dist/: run `npm run build` first), the way users run it. Integration tests, e2e specs and
 * benchmarks all launch the operator through this class. Every stdout/stderr line is kept, parsed
 * when it is JSON, with the time this process saw it (`seenAt`, ms since epoch) for failover and
 * repair timings; with `artifactsDir` the raw lines also go to `<artifactsDir>/<name>.log`.
 * The child is signalled by its PID only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SwarmopError } from '../../src/errors.js';
import { eventually } from '../util/wait-until.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type LogLine = Record<string, unknown> & { message?: string; level?: string; timestamp?: string };
export type SeenLine = LogLine & { seenAt: number };
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface OperatorProcessOptions {
  /** CONSUL_HTTP_ADDR of the store. */
  storeAddr: string;
  prefix: string;
  /** Extra `swarmop operator` flags (e.g. --leader-elect, --metrics-addr 0). */
  args?: readonly string[];
  /** A name for this replica in errors and the artifacts file (default "operator"). */
  name?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Keep the raw log in `<artifactsDir>/<name>.log` (e2e specs' artifacts). */
  artifactsDir?: string;
  /** Run the CLI of another (built) tree, e.g. a benchmark's deliberately broken copy; default this one. */
  repoRoot?: string;
}

export class OperatorProcess {
  readonly name: string;
  readonly lines: SeenLine[] = [];
  readonly #opts: OperatorProcessOptions;
  #child: ChildProcess | undefined;
  #exit: Promise<Exit> | undefined;
  #closed: Promise<void> | undefined;
  #log: WriteStream | undefined;

  constructor(options: OperatorProcessOptions) {
    this.#opts = options;
    this.name = options.name ?? 'operator';
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new SwarmopError('Internal', `${this.name} already running`);
    const { artifactsDir } = this.#opts;
    if (artifactsDir !== undefined) {
      mkdirSync(artifactsDir, { recursive: true });
      this.#log = createWriteStream(join(artifactsDir, `${this.name}.log`), { flags: 'a' });
    }
    const args = [
      join(this.#opts.repoRoot ?? REPO_ROOT, 'bin', 'swarmop.js'),
      'operator',
      '--prefix',
      this.#opts.prefix,
      '--log-format',
      'json',
      ...(this.#opts.args ?? []),
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...this.#opts.env, CONSUL_HTTP_ADDR: this.#opts.storeAddr },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.#closed = new Promise((resolve) => child.once('close', () => resolve()));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (text) => {
        const seenAt = Date.now();
        this.#log?.write(`${text}\n`);
        try {
          this.lines.push({ ...(JSON.parse(text) as LogLine), seenAt });
        } catch {
          this.lines.push({ message: text, level: 'raw', seenAt });
        }
      });
    }
  }

  /** Sends `signal` (SIGTERM: a clean drain) and waits for the exit; SIGKILL and a rejection after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<Exit> {
    const child = this.#child;
    if (!child || !this.#exit) throw new SwarmopError('Internal', `${this.name} never started`);
    if (this.running) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const res = await Promise.race([this.#exit, timeout]);
    clearTimeout(timer);
    if (res === 'timeout') {
      child.kill('SIGKILL');
      await this.#exit;
      this.#log?.end();
      throw new SwarmopError('Timeout', `${this.name} did not exit within ${timeoutMs} ms of ${signal}`);
    }
    // 'exit' can come before the last lines are read from the pipes: wait for them (briefly, in
    // case a child of the operator still holds the pipes open), so `lines` holds all it wrote.
    await this.#drained();
    this.#log?.end();
    return res;
  }

  async #drained(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#closed, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }

  /** SIGKILL: no drain, no lock release. */
  async kill(): Promise<void> {
    if (!this.#child) return;
    await this.stop('SIGKILL', 10_000);
  }

  /** Lines whose message is `message` (and whose fields match `where`). */
  find(message: string, where: Record<string, unknown> = {}): SeenLine[] {
    return this.lines.filter((l) => l.message === message && Object.entries(where).every(([k, v]) => l[k] === v));
  }

  /** `drift repaired` lines, optionally only those matching `where`. */
  repairs(where: Record<string, unknown> = {}): SeenLine[] {
    return this.find('drift repaired', where);
  }

  async waitForLog(what: string, match: (l: SeenLine) => boolean, timeoutMs = 60_000): Promise<SeenLine> {
    return eventually(what, () => this.lines.find(match), { timeoutMs });
  }

  /** "host:port" from the `metrics server listening` line, once logged. */
  metricsAddr(): string | undefined {
    const addr = this.find('metrics server listening')[0]?.addr;
    return typeof addr === 'string' ? addr : undefined;
  }

  /** The last lines, for assertion messages. */
  dump(last = 30): string {
    return this.lines
      .slice(-last)
      .map((l) => JSON.stringify(l))
      .join('\n');
  }
}

/** Value of the first sample of `name` whose labels include `labels`, from Prometheus text; undefined when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const part of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have.set(part[1]!, part[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[4]);
  }
  return undefined;
}
