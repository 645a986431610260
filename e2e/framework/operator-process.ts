/**
 * The operator as a real child process (`node bin/swarmop.js operator`), the way users run it:
 * its JSON log lines are kept (and written to the spec's artifacts) so specs can assert on
 * `drift repaired` lines; stop() is SIGTERM (clean drain), kill() is SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './lab.js';
import { eventually } from '../../testing/wait-until.js';

export interface OperatorOptions {
  storeAddr: string;
  prefix: string;
  artifactsDir: string;
  /** A name for this replica in logs/artifacts (default "operator"). */
  name?: string;
  extraArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export type LogLine = Record<string, unknown> & { message?: string; level?: string };

export class OperatorProcess {
  readonly lines: LogLine[] = [];
  readonly name: string;
  #child: ChildProcess | undefined;
  #log: WriteStream | undefined;
  #exited: Promise<number | null> | undefined;
  readonly #opts: OperatorOptions;

  constructor(options: OperatorOptions) {
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
    if (this.running) throw new Error(`${this.name} already running`);
    mkdirSync(this.#opts.artifactsDir, { recursive: true });
    this.#log = createWriteStream(join(this.#opts.artifactsDir, `${this.name}.log`), { flags: 'a' });
    const args = [join(REPO_ROOT, 'bin', 'swarmop.js'), 'operator', '--prefix', this.#opts.prefix, '--log-format', 'json', '--resync-seconds', '10', '--metrics-addr', '0', ...(this.#opts.extraArgs ?? [])];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...this.#opts.env, CONSUL_HTTP_ADDR: this.#opts.storeAddr },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.#log?.write(`${line}\n`);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ message: line, level: 'raw' });
        }
      });
    }
  }

  /** SIGTERM and wait: resolves with the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.#child?.exitCode ?? null;
    this.#child!.kill('SIGTERM');
    return this.#waitExit(timeoutMs);
  }

  /** SIGKILL: no drain, no lock release. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child!.kill('SIGKILL');
    await this.#waitExit(10_000);
  }

  async #waitExit(timeoutMs: number): Promise<number | null> {
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const res = await Promise.race([this.#exited!, timer]);
    if (res === 'timeout') {
      this.#child!.kill('SIGKILL');
      throw new Error(`${this.name} did not exit within ${timeoutMs} ms of SIGTERM`);
    }
    this.#log?.end();
    return res;
  }

  /** Log lines whose message is `drift repaired`, optionally only those matching `where`. */
  repairs(where: Record<string, unknown> = {}): LogLine[] {
    return this.lines.filter((l) => l.message === 'drift repaired' && Object.entries(where).every(([k, v]) => l[k] === v));
  }

  async waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    return eventually(what, () => this.lines.find(match), { timeoutMs });
  }
}
