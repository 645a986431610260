/**
 * One Docker `/events` stream per DockerHost, started and stopped as DockerHosts come, go or change
 * endpoint. Events and connection changes are handed to the operator, which maps them to the keys
 * that care (a container `start` → its StaticIPAttachment; a lost stream → the DockerHost).
 * Streams use their own client without a request timeout: an idle event stream is normal.
 *
 * With `probes` (the DockerHost controller's probe of each engine), a stream connects only once
 * its host's latest probe said the engine answers, and after a failed attempt waits for that again:
 * a host that is down costs no connection attempts between its probes (the controller re-checks
 * unreachable hosts on its own schedule), so 10,000 hosts that answer nothing do not keep 10,000
 * reconnect loops spinning. A stream that drops keeps retrying quickly until a probe says the host
 * is down, and for a minute after it dropped whatever the probes say. Connect attempts in flight
 * are bounded across all hosts.
 */
import Docker from 'dockerode';
import PQueue from 'p-queue';
import type { DockerHost } from '../crds/index.js';
import type { HostEvent } from '../controllers/kind-reconciler.js';
import { newDockerClient, streamDockerOptionsFor } from '../docker/docker-client.js';
import { DockerEventStream, dockerodeEventSource, type EventStreamSource } from '../runtime/docker-events.js';
import type { BackoffOptions } from '../runtime/backoff.js';
import { createSilentLogger, type Logger } from '../runtime/logger.js';
import { engineMessage } from '../docker/engine-message.js';

export interface HostStreamsOptions {
  dockerHosts: () => Iterable<DockerHost>;
  /** One DockerHost by name (default: a scan of `dockerHosts`). */
  dockerHost?: (name: string) => DockerHost | undefined;
  onEvent: (host: string, event: HostEvent) => void;
  onConnectivity: (host: string, connected: boolean) => void;
  /** Reconnect backoff; short, so a host that comes back is seen within about a second. */
  backoff?: BackoffOptions;
  /** The latest probe of each host; without it every stream retries on its backoff alone. */
  probes?: HostProbes;
  /** Connect attempts in flight across all hosts (default 32). */
  maxConnecting?: number;
  /**
   * After a connected stream drops, it is re-dialled on its backoff alone for this long (ms,
   * default 60 000) whatever the probes say, so an engine that restarts is seen within about a
   * second; after that only a probe that answers brings the next attempt.
   */
  redialWindowMs?: number;
  now?: () => number;
  /** The event source of a host (default: its Docker engine's /events through `client`). */
  source?: (host: DockerHost) => EventStreamSource;
  /** A host's Docker client without a request timeout (default: one of its own per host). */
  client?: (host: DockerHost) => Docker;
  log?: Logger;
}

/** What the hosts' probes last said (HostRegistry implements it). */
export interface HostProbes {
  /** True/false: the engine answered / did not at its latest probe; undefined: not probed yet. */
  probed(host: string): boolean | undefined;
  /** Calls `listener` after every probe; returns an unsubscribe function. */
  onProbe(listener: (host: string, reachable: boolean) => void): () => void;
}

export const DEFAULT_STREAM_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 1000, jitter: 0.2 };

interface Running {
  signature: string;
  abort: AbortController;
  done: Promise<void>;
}

export class HostStreams {
  readonly #opts: HostStreamsOptions;
  readonly #log: Logger;
  readonly #running = new Map<string, Running>();
  readonly #limiter: PQueue;
  /** Streams waiting for their host's next reachable probe, by host (one probe subscription for all). */
  readonly #waiting = new Map<string, Set<() => void>>();
  /** When each host's connected stream last dropped (hosts whose stream was connected once). */
  readonly #droppedAt = new Map<string, number>();
  readonly #connected = new Set<string>();
  readonly #now: () => number;
  #signal: AbortSignal | undefined;

  constructor(options: HostStreamsOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
    this.#limiter = new PQueue({ concurrency: options.maxConnecting ?? 32 });
    this.#now = options.now ?? Date.now;
  }

  /** Resolves when `host`'s latest probe said its engine answers (at once without probes). */
  #probedReachable(host: string, signal: AbortSignal): Promise<void> {
    const probes = this.#opts.probes;
    if (!probes || probes.probed(host) === true || signal.aborted) return Promise.resolve();
    const dropped = this.#droppedAt.get(host);
    if (dropped !== undefined && this.#now() - dropped < (this.#opts.redialWindowMs ?? 60_000)) return Promise.resolve();
    return new Promise((resolve) => {
      let waiters = this.#waiting.get(host);
      if (!waiters) this.#waiting.set(host, (waiters = new Set()));
      const done = (): void => {
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiting.get(host) === waiters) this.#waiting.delete(host);
        signal.removeEventListener('abort', done);
        resolve();
      };
      waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Runs until `signal` aborts, then waits for every stream to close. */
  async start(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    const unsubscribe = this.#opts.probes?.onProbe((host, reachable) => {
      if (!reachable || signal.aborted) return;
      for (const wake of [...(this.#waiting.get(host) ?? [])]) wake();
      if (!this.#running.has(host)) {
        const h = this.#opts.dockerHost ? this.#opts.dockerHost(host) : [...this.#opts.dockerHosts()].find((x) => x.metadata.name === host);
        if (h) this.#startStream(host, h);
      }
    });
    this.sync();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    unsubscribe?.();
    for (const r of this.#running.values()) r.abort.abort();
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
    this.#running.clear();
  }

  /** Brings the set of streams in line with the current DockerHosts (cheap; call on any change). */
  sync(): void {
    const signal = this.#signal;
    if (!signal || signal.aborted) return;
    const wanted = new Map<string, DockerHost>();
    for (const h of this.#opts.dockerHosts()) wanted.set(h.metadata.name, h);
    for (const [name, r] of this.#running) {
      const h = wanted.get(name);
      if (!h || signatureOf(h) !== r.signature) {
        r.abort.abort();
        this.#running.delete(name);
        this.#droppedAt.delete(name);
        this.#connected.delete(name);
      }
    }
    for (const [name, h] of wanted) {
      if (this.#running.has(name)) continue;
      // A host no probe has found answering gets no stream (nor its cost in memory) until one does.
      if (this.#opts.probes && this.#opts.probes.probed(name) !== true) continue;
      this.#startStream(name, h);
    }
  }

  #startStream(name: string, h: DockerHost): void {
    let source: EventStreamSource;
    try {
      source =
        this.#opts.source?.(h) ??
        dockerodeEventSource(
          this.#opts.client?.(h) ?? newDockerClient(streamDockerOptionsFor({ endpoint: h.spec.endpoint, tls: h.spec.tls })),
          EVENT_FILTERS,
        );
    } catch (err) {
      this.#log.warn('cannot watch host events', { host: name, error: engineMessage(err) });
      return;
    }
    // Stopped by start() when `signal` aborts: one listener per stream on that one signal made
    // adding the 10,000th stream cost a scan of 9,999 listeners.
    const abort = new AbortController();
    const stream = new DockerEventStream({
      host: name,
      source,
      onEvent: (e) => this.#opts.onEvent(name, e as HostEvent),
      onConnected: () => {
        this.#connected.add(name);
        this.#droppedAt.delete(name);
        this.#opts.onConnectivity(name, true);
      },
      onDisconnected: () => {
        if (this.#connected.delete(name)) this.#droppedAt.set(name, this.#now());
        this.#opts.onConnectivity(name, false);
      },
      // A (re)connect already triggers onConnectivity(true), which re-queues every key on the host.
      relist: () => undefined,
      backoff: this.#opts.backoff ?? DEFAULT_STREAM_BACKOFF,
      ready: (s) => this.#probedReachable(name, s),
      limiter: this.#limiter,
      log: this.#log,
    });
    this.#running.set(name, { signature: signatureOf(h), abort, done: stream.start(abort.signal) });
  }
}

const EVENT_FILTERS = { type: ['container', 'node', 'daemon'] };

function signatureOf(h: DockerHost): string {
  return JSON.stringify([h.spec.endpoint, h.spec.tls ?? null]);
}
