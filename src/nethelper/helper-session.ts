/**
 * One long-lived helper session per host: a single exec into the resident network helper runs a
 * FIXED script that reads programs from stdin, so a repair costs one write and one read on an open
 * connection instead of an exec create + start + inspect per program.
 *
 * Framing (every line ends with `\n`; no value is ever parsed by the shell):
 *   P <id>          a program starts (id: digits)
 *   <count>         number of argument lines that follow
 *   <arg> x count   the runner's positional arguments (mode, argv count, stdin line count, argv...,
 *                   stdin lines... per command, see helper-program.ts), read with `IFS= read -r` into "$@"
 * The runner then executes them exactly as the one-shot exec does, with stdin from /dev/null (a
 * command must not eat the next program), and the session prints `@@swarmop-done <id>@@` on stdout
 * and on stderr. An argument holding a newline cannot be framed and is refused before anything is
 * sent (values come from validated specs and the kernel's own output, so none has one).
 * Programs on one session run one at a time, in order.
 */
import type Docker from 'dockerode';
import { openExecStream, type ExecStream } from '../docker/exec-stream.js';
import { SwarmopError } from '../errors.js';
import type { Fence } from '../runtime/fence.js';
import { type HelperCommand, type ProgramResult, parseProgramOutput, RUNNER_SCRIPT, runnerArgs } from './helper-program.js';
import { HELPER_OUTPUT_LIMIT_BYTES, type HelperHost, type NetHelper, type ResidentNetHelper } from './net-helper.js';
import { engineMessage } from '../docker/engine-message.js';
import { OutputLimitError } from '../runtime/output-limits.js';

const DONE = '@@swarmop-done';

export const SESSION_SCRIPT = [
  'while IFS= read -r hdr; do',
  '  case "$hdr" in "P "*) ;; *) continue ;; esac',
  '  id=${hdr#P }',
  '  IFS= read -r total || exit 0',
  '  set --',
  '  j=0',
  '  while [ "$j" -lt "$total" ]; do IFS= read -r a || exit 0; set -- "$@" "$a"; j=$((j+1)); done',
  // Not re-indented: the runner builds here-documents from its own lines (see RUNNER_SCRIPT).
  `( ${RUNNER_SCRIPT}\n) </dev/null`,
  `  printf '\\n${DONE} %s@@\\n' "$id"`,
  `  printf '\\n${DONE} %s@@\\n' "$id" >&2`,
  'done',
].join('\n');

export const SESSION_ARGV: readonly string[] = ['sh', '-c', SESSION_SCRIPT, 'swarmop-session'];

/** The stdin bytes of one program (throws, before anything is sent, on a value that cannot be framed). */
export function frameProgram(id: number, commands: readonly HelperCommand[]): string {
  const args = runnerArgs(commands);
  return `P ${id}\n${args.length}\n${args.map((a) => `${a}\n`).join('')}`;
}

interface Pending {
  id: number;
  commands: readonly HelperCommand[];
  resolve: (r: ProgramResult) => void;
  reject: (e: Error) => void;
}

/** One session on one host. Dead after its connection closes; the owner opens a new one. */
export class HelperSession {
  readonly #stream: ExecStream;
  readonly #timeoutMs: number;
  #out = '';
  #err = '';
  #current: Pending | undefined;
  #queue: Pending[] = [];
  #nextId = 1;
  #dead: Error | undefined;

  readonly #fence: Fence | undefined;

  private constructor(stream: ExecStream, timeoutMs: number, maxOutputBytes: number, fence?: Fence) {
    this.#stream = stream;
    this.#timeoutMs = timeoutMs;
    this.#fence = fence;
    // The lease this session was opened under ends: a program still running is cut off with the
    // connection (the helper's script ends), and nothing more is written.
    if (fence) {
      const ended = fence.signal;
      const onEnd = (): void =>
        this.#fail(ended.reason instanceof Error ? ended.reason : new SwarmopError('LeadershipLost', 'not leading'));
      if (ended.aborted) queueMicrotask(onEnd);
      else ended.addEventListener('abort', onEnd, { once: true });
      void stream.closed.then(() => ended.removeEventListener('abort', onEnd));
    }
    // Output waits here until its program's end marker: a helper that writes without end would
    // grow it without bound, so past the cap the session ends (its programs fail, a new one opens).
    const take = (which: '#out' | '#err', b: Buffer): void => {
      if (this.#dead) return;
      if (which === '#out') this.#out += b.toString('utf8');
      else this.#err += b.toString('utf8');
      if (this.#out.length + this.#err.length > maxOutputBytes) {
        this.#out = '';
        this.#err = '';
        this.#fail(new OutputLimitError('network helper session: output', maxOutputBytes));
        return;
      }
      this.#check();
    };
    stream.stdout.on('data', (b: Buffer) => take('#out', b));
    stream.stderr.on('data', (b: Buffer) => take('#err', b));
    void stream.closed.then(() => this.#fail(new SwarmopError('Unavailable', 'network helper session closed')));
  }

  static async open(docker: Docker, containerId: string, timeoutMs: number, fence?: Fence): Promise<HelperSession> {
    return HelperSession.over(await openExecStream(docker, containerId, SESSION_ARGV), timeoutMs, fence ? { fence } : {});
  }

  /** A session over a stream already running SESSION_ARGV (tests run it with a local sh). */
  static over(stream: ExecStream, timeoutMs: number, options: { maxOutputBytes?: number; fence?: Fence } = {}): HelperSession {
    return new HelperSession(stream, timeoutMs, options.maxOutputBytes ?? HELPER_OUTPUT_LIMIT_BYTES, options.fence);
  }

  get dead(): boolean {
    return this.#dead !== undefined;
  }

  run(commands: readonly HelperCommand[]): Promise<ProgramResult> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    const framed = frameProgram(id, commands); // throws before anything is queued
    return new Promise<ProgramResult>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(new SwarmopError('Timeout', `network helper program did not finish within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      const p: Pending = {
        id,
        commands,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      (p as Pending & { framed: string }).framed = framed;
      this.#queue.push(p);
      this.#pump();
    });
  }

  close(): void {
    this.#stream.close();
  }

  #pump(): void {
    if (this.#current || this.#dead) return;
    const next = this.#queue.shift();
    if (!next) return;
    try {
      // A program is written only while this replica leads: it changes the host.
      this.#fence?.check('a network helper program');
    } catch (err) {
      this.#fail(err as Error);
      next.reject(err as Error);
      return;
    }
    this.#current = next;
    this.#stream.write((next as Pending & { framed: string }).framed);
  }

  #check(): void {
    const p = this.#current;
    if (!p) return;
    const marker = `\n${DONE} ${p.id}@@\n`;
    const o = this.#out.indexOf(marker);
    const e = this.#err.indexOf(marker);
    if (o < 0 || e < 0) return;
    const stdout = this.#out.slice(0, o);
    const stderr = this.#err.slice(0, e);
    this.#out = this.#out.slice(o + marker.length);
    this.#err = this.#err.slice(e + marker.length);
    this.#current = undefined;
    p.resolve(parseProgramOutput(p.commands, stdout, stderr));
    this.#pump();
  }

  #fail(err: Error): void {
    if (this.#dead) return;
    this.#dead = err;
    this.#stream.close();
    const all = [...(this.#current ? [this.#current] : []), ...this.#queue];
    this.#current = undefined;
    this.#queue = [];
    for (const p of all) p.reject(err);
  }
}

/**
 * NetHelper over sessions: one per host, opened on first use and again after it died. Hosts given
 * without a stream client (fakes) run each program as one exec through the resident helper.
 */
export class SessionNetHelper implements NetHelper {
  readonly #resident: ResidentNetHelper;
  readonly #timeoutMs: number;
  readonly #sessions = new Map<string, { docker: Docker; session: Promise<HelperSession> }>();

  readonly #fence: Fence | undefined;

  constructor(options: { resident: ResidentNetHelper; timeoutMs?: number; fence?: Fence }) {
    this.#resident = options.resident;
    this.#timeoutMs = options.timeoutMs ?? 20_000;
    this.#fence = options.fence;
  }

  containerId(host: HelperHost): Promise<string> {
    return this.#resident.containerId(host);
  }

  netnsPath(host: HelperHost, sandboxKey: unknown): Promise<string> {
    return this.#resident.netnsPath(host, sandboxKey);
  }

  /** Closes every session (the helpers' scripts end at EOF); later programs open new ones. */
  closeAll(): void {
    for (const { session } of this.#sessions.values())
      void session.then(
        (s) => s.close(),
        () => undefined,
      );
    this.#sessions.clear();
  }

  async run(
    host: HelperHost & { streamDocker?: Docker },
    commands: readonly HelperCommand[],
    options: { signal?: AbortSignal } = {},
  ): Promise<ProgramResult> {
    const docker = host.streamDocker;
    if (!docker) return this.#resident.run(host, commands, options);
    for (let attempt = 0; ; attempt++) {
      let session: HelperSession;
      try {
        session = await this.#session(host, docker);
      } catch (err) {
        this.#sessions.delete(host.name);
        if (attempt === 0) {
          this.#resident.forget(host.name); // the helper may have been removed: re-create it once
          continue;
        }
        throw err instanceof SwarmopError
          ? err
          : new SwarmopError('Unavailable', `network helper session on ${host.name}: ${engineMessage(err)}`, { cause: err });
      }
      try {
        return await session.run(commands);
      } catch (err) {
        if (session.dead) this.#sessions.delete(host.name);
        // A session that died before this program ran (helper restarted while idle): once more on a fresh one.
        if (attempt === 0 && session.dead && (err as SwarmopError).code === 'Unavailable') {
          this.#resident.forget(host.name);
          continue;
        }
        throw err;
      }
    }
  }

  #session(host: HelperHost, docker: Docker): Promise<HelperSession> {
    const cached = this.#sessions.get(host.name);
    if (cached && cached.docker === docker) {
      return cached.session.then((s) => {
        if (!s.dead) return s;
        this.#sessions.delete(host.name);
        return this.#session(host, docker);
      });
    }
    if (cached)
      void cached.session.then(
        (s) => s.close(),
        () => undefined,
      );
    const session = this.#resident.containerId(host).then((id) => HelperSession.open(docker, id, this.#timeoutMs, this.#fence));
    this.#sessions.set(host.name, { docker, session });
    return session;
  }
}
