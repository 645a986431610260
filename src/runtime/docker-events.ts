/**
 * DockerEventStream: one Docker Engine `/events` stream per host, kind-agnostic. Chunks are split
 * into JSON lines (a chunk may hold half a line or several lines); each event goes to `onEvent`,
 * which maps it to the keys that care. When the stream ends or fails it reconnects with
 * `since` = the last event's time (capped backoff, default base 500 ms, cap 10 s) and then calls
 * `relist()`: events lost while disconnected are healed by a full look at the host. `relist()` also
 * runs after the first connect. `onConnected`/`onDisconnected` fire at once on every change of
 * connection state (the DockerHost controller flips Ready on them).
 *
 * At scale (thousands of hosts, many of them down) two options keep the reconnect loops cheap:
 * `ready()` holds every connect attempt until something else says the host answers (its probe),
 * so a host that is down costs no connection attempts between probes; `limiter` bounds the
 * connection attempts in flight across all streams.
 */
import type Docker from 'dockerode';
import type PQueue from 'p-queue';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { createSilentLogger, type Logger } from './logger.js';
import { engineMessage } from '../docker/engine-message.js';
import { OutputLimitError } from './output-limits.js';

export interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  /** Unix seconds. */
  time?: number;
  timeNano?: number;
  [field: string]: unknown;
}

/** Opens one events stream; a fake in tests, dockerode in production (dockerodeEventSource). */
export interface EventStreamSource {
  open(since: number | undefined, signal: AbortSignal): Promise<NodeJS.ReadableStream>;
}

export function dockerodeEventSource(docker: Docker, filters?: Record<string, string[]>): EventStreamSource {
  return {
    async open(since, signal) {
      const opts: { since?: number; filters?: Record<string, string[]>; abortSignal?: AbortSignal } = { abortSignal: signal };
      if (since !== undefined) opts.since = since;
      if (filters) opts.filters = filters;
      return (await docker.getEvents(opts as never)) as unknown as NodeJS.ReadableStream;
    },
  };
}

/** The longest line a LineSplitter keeps by default: a Docker event or an `ip monitor` line is far shorter. */
export const LINE_LIMIT_BYTES = 1024 * 1024;

/**
 * Splits a byte stream into lines; keeps an incomplete last line until the next chunk, up to
 * `maxLineBytes` (UTF-16 code units of the decoded text, so at most twice that in memory): a line
 * that grows past it throws OutputLimitError, and the owner ends that stream.
 */
export class LineSplitter {
  #rest = '';
  readonly #decoder = new TextDecoder();
  readonly #maxLineBytes: number;
  readonly #what: string;

  constructor(options: { maxLineBytes?: number; what?: string } = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? LINE_LIMIT_BYTES;
    this.#what = options.what ?? 'a line';
  }

  push(chunk: Uint8Array | string): string[] {
    this.#rest += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    const parts = this.#rest.split('\n');
    this.#rest = parts.pop() ?? '';
    const lines = parts.map((l) => l.trim()).filter((l) => l !== '');
    if (this.#rest.length > this.#maxLineBytes || lines.some((l) => l.length > this.#maxLineBytes)) {
      this.#rest = '';
      throw new OutputLimitError(this.#what, this.#maxLineBytes);
    }
    return lines;
  }
}

export interface DockerEventStreamOptions {
  /** Host name, for logs. */
  host: string;
  source: EventStreamSource;
  onEvent: (event: DockerEvent) => void;
  /** Full re-list after every (re)connect. Errors in it are logged, not fatal. */
  relist: () => void | Promise<void>;
  onConnected?: () => void;
  onDisconnected?: (err: Error) => void;
  backoff?: BackoffOptions;
  /** Awaited before every connect attempt: resolves when the host is known to answer. */
  ready?: (signal: AbortSignal) => Promise<void>;
  /**
   * Shared bound on connect attempts in flight (many streams): a queue with a `concurrency`. A
   * stream aborted while it waits in line leaves the line holding nothing.
   */
  limiter?: PQueue;
  clock?: Clock;
  log?: Logger;
  /** The longest event line kept (default LINE_LIMIT_BYTES); a longer one ends the stream. */
  maxLineBytes?: number;
}

export const DEFAULT_EVENTS_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 10_000, jitter: 0.1 };

export class DockerEventStream {
  readonly name: string;
  readonly #opts: DockerEventStreamOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #since: number | undefined;
  #connected: boolean | undefined;

  constructor(options: DockerEventStreamOptions) {
    this.#opts = options;
    this.name = `docker events ${options.host}`;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? createSilentLogger()).child({ component: 'docker-events', host: options.host });
  }

  get connected(): boolean {
    return this.#connected === true;
  }

  /** Time (unix seconds) of the last event seen; the next reconnect asks from there. */
  get since(): number | undefined {
    return this.#since;
  }

  async start(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const stream = await this.#open(signal);
        if (signal.aborted || !stream) break;
        failures = 0;
        this.#setConnected(true);
        await this.#relist();
        await this.#consume(stream, signal);
        if (signal.aborted) break;
        throw new Error('event stream ended');
      } catch (err) {
        if (signal.aborted) break;
        // The engine's answer is cut and cleaned before it reaches the log and the host's status.
        const error = new Error(engineMessage(err), { cause: err });
        this.#setConnected(false, error);
        failures++;
        const delay = backoffDelay(failures, this.#opts.backoff ?? DEFAULT_EVENTS_BACKOFF);
        this.#log.warn('docker event stream down, reconnecting', { error: error.message, failures, delayMs: delay });
        await sleep(this.#clock, delay, signal);
      }
    }
  }

  /** One connect attempt, after ready() and within the limiter; undefined when aborted meanwhile. */
  async #open(signal: AbortSignal): Promise<NodeJS.ReadableStream | undefined> {
    if (this.#opts.ready) await this.#opts.ready(signal);
    if (signal.aborted) return undefined;
    const open = (): Promise<NodeJS.ReadableStream> => this.#opts.source.open(this.#since, signal);
    const limiter = this.#opts.limiter;
    if (!limiter) return await open();
    try {
      return await limiter.add(open, { signal });
    } catch (err) {
      // Aborted while waiting in line (or while connecting): stopping, not a failed attempt.
      if (signal.aborted) return undefined;
      throw err;
    }
  }

  #setConnected(connected: boolean, err?: Error): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    if (connected) this.#opts.onConnected?.();
    else this.#opts.onDisconnected?.(err ?? new Error('disconnected'));
  }

  async #relist(): Promise<void> {
    try {
      await this.#opts.relist();
    } catch (err) {
      this.#log.warn('re-list after connect failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  #consume(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<void> {
    const splitter = new LineSplitter({ maxLineBytes: this.#opts.maxLineBytes, what: `docker events of ${this.#opts.host}: a line` });
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        (stream as { destroy?: () => void }).destroy?.();
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const finish = (err?: Error): void => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      stream.on('data', (chunk: Uint8Array | string) => {
        let lines: string[];
        try {
          lines = splitter.push(chunk);
        } catch (err) {
          // A line over the cap: the stream is ended and dialled again (with `since`), like any drop.
          (stream as { destroy?: () => void }).destroy?.();
          finish(err as Error);
          return;
        }
        for (const line of lines) {
          let event: DockerEvent;
          try {
            event = JSON.parse(line) as DockerEvent;
          } catch {
            this.#log.warn('skipping a line that is not JSON', { line: line.slice(0, 200) });
            continue;
          }
          if (typeof event.time === 'number') this.#since = Math.max(this.#since ?? 0, event.time);
          try {
            this.#opts.onEvent(event);
          } catch (err) {
            this.#log.error('event handler failed', { error: err instanceof Error ? err.message : String(err) });
          }
        }
      });
      stream.once('end', () => finish());
      stream.once('close', () => finish());
      stream.once('error', (err: Error) => finish(err));
    });
  }
}
