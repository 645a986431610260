/**
 * Real parts for the operator's integration tests and the runtime benchmark:
 * - `startDockerEngine({name})`: a real Debian dockerd on its own socket (hack/dockerd.sh), which a
 *   test may stop and start again to break and heal a DockerHost's event stream;
 * - `OperatorChild`: `node bin/swarmop.js operator ...` as a child process, its JSON log lines kept;
 * - `metricValue`: one sample out of a Prometheus text page.
 * Everything is stopped by PID (dockerd's PID file, the child's PID), never by name.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SwarmopError } from '../src/errors.js';

const execFileP = promisify(execFile);
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface DockerEngineOptions {
  /** hack/dockerd.sh NAME: lowercase, unique per test file (the engine's socket, data root, PID file). */
  name: string;
}

export interface DockerEngineHandle {
  name: string;
  /** unix:///run/swarmop-NAME/docker.sock (a DockerHost endpoint). */
  endpoint: string;
  /** Starts the engine (again); resolves once it answers. */
  start(): Promise<void>;
  /** Stops the engine (SIGTERM by PID file, then SIGKILL); keeps its data root. */
  stop(): Promise<void>;
}

async function dockerdScript(cmd: 'start' | 'stop', name: string): Promise<string> {
  try {
    const { stdout } = await execFileP(join(REPO_ROOT, 'hack/dockerd.sh'), [cmd, name], { timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new SwarmopError('Unavailable', `hack/dockerd.sh ${cmd} ${name} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Starts a real dockerd of our own (see hack/dockerd.sh); call `stop()` when done. */
export async function startDockerEngine(options: DockerEngineOptions): Promise<DockerEngineHandle> {
  const { name } = options;
  const handle: DockerEngineHandle = {
    name,
    endpoint: `unix:///run/swarmop-${name}/docker.sock`,
    start: async () => void (await dockerdScript('start', name)),
    stop: async () => void (await dockerdScript('stop', name)),
  };
  await handle.start();
  return handle;
}

export type LogLine = Record<string, unknown> & { message?: string; level?: string; timestamp?: string };

export interface OperatorChildOptions {
  /** CONSUL_HTTP_ADDR of the store. */
  consulAddr: string;
  prefix: string;
  /** Extra `swarmop operator` flags (e.g. --leader-elect, --lease-seconds 10). */
  args?: readonly string[];
  /** Name shown in error messages. */
  name?: string;
}

/**
 * `swarmop operator --log-format json` as a real child process (the built CLI in dist/: run
 * `npm run build` first). Every stdout/stderr line is kept, parsed when it is JSON, with the time
 * this process saw it (`seenAt`, ms since epoch) for failover timings.
 */
export class OperatorChild {
  readonly name: string;
  readonly lines: (LogLine & { seenAt: number })[] = [];
  readonly #opts: OperatorChildOptions;
  #child: ChildProcess | undefined;
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(options: OperatorChildOptions) {
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
    const args = [join(REPO_ROOT, 'bin/swarmop.js'), 'operator', '--prefix', this.#opts.prefix, '--log-format', 'json', ...(this.#opts.args ?? [])];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, CONSUL_HTTP_ADDR: this.#opts.consulAddr },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (text) => {
        const seenAt = Date.now();
        try {
          this.lines.push({ ...(JSON.parse(text) as LogLine), seenAt });
        } catch {
          this.lines.push({ message: text, level: 'raw', seenAt });
        }
      });
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILL (and a rejection) after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
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
      throw new SwarmopError('Timeout', `${this.name} did not exit within ${timeoutMs} ms of ${signal}`);
    }
    return res;
  }

  /** Lines whose message is `message` (and whose fields match `where`). */
  find(message: string, where: Record<string, unknown> = {}): (LogLine & { seenAt: number })[] {
    return this.lines.filter((l) => l.message === message && Object.entries(where).every(([k, v]) => l[k] === v));
  }

  /** "host:port" from the `metrics server listening` line, once logged. */
  metricsAddr(): string | undefined {
    const addr = this.find('metrics server listening')[0]?.addr;
    return typeof addr === 'string' ? addr : undefined;
  }

  /** The last lines, for assertion messages. */
  dump(last = 30): string {
    return this.lines.slice(-last).map((l) => JSON.stringify(l)).join('\n');
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
