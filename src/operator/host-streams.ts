/**
 * One Docker `/events` stream per DockerHost, started and stopped as DockerHosts come, go or change
 * endpoint. Events and connection changes are handed to the operator, which maps them to the keys
 * that care (a container `start` → its StaticIPAttachment; a lost stream → the DockerHost).
 * Streams use their own client without a request timeout: an idle event stream is normal.
 */
import Docker from 'dockerode';
import type { DockerHost } from '../crds/index.js';
import type { HostEvent } from '../controllers/kind-reconciler.js';
import { streamDockerOptionsFor } from '../docker/docker-client.js';
import { DockerEventStream, dockerodeEventSource } from '../runtime/docker-events.js';
import { createSilentLogger, type Logger } from '../runtime/logger.js';

export interface HostStreamsOptions {
  dockerHosts: () => Iterable<DockerHost>;
  onEvent: (host: string, event: HostEvent) => void;
  onConnectivity: (host: string, connected: boolean) => void;
  /** Reconnect backoff; short, so a host that comes back is seen within about a second. */
  backoff?: { baseMs: number; capMs: number };
  log?: Logger;
}

interface Running {
  signature: string;
  abort: AbortController;
  done: Promise<void>;
}

export class HostStreams {
  readonly #opts: HostStreamsOptions;
  readonly #log: Logger;
  readonly #running = new Map<string, Running>();
  #signal: AbortSignal | undefined;

  constructor(options: HostStreamsOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
  }

  /** Runs until `signal` aborts, then waits for every stream to close. */
  async start(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    this.sync();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
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
      }
    }
    for (const [name, h] of wanted) {
      if (this.#running.has(name)) continue;
      let docker: Docker;
      try {
        docker = new Docker(streamDockerOptionsFor({ endpoint: h.spec.endpoint, tls: h.spec.tls }));
      } catch (err) {
        this.#log.warn('cannot watch host events', { host: name, error: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const abort = new AbortController();
      const onStop = () => abort.abort();
      signal.addEventListener('abort', onStop, { once: true });
      // A stream stopped on its own (host removed or edited) must not leave its listener behind.
      abort.signal.addEventListener('abort', () => signal.removeEventListener('abort', onStop), { once: true });
      const stream = new DockerEventStream({
        host: name,
        source: dockerodeEventSource(docker, { type: ['container', 'node', 'daemon'] }),
        onEvent: (e) => this.#opts.onEvent(name, e as HostEvent),
        onConnected: () => this.#opts.onConnectivity(name, true),
        onDisconnected: () => this.#opts.onConnectivity(name, false),
        // A (re)connect already triggers onConnectivity(true), which re-queues every key on the host.
        relist: () => undefined,
        backoff: this.#opts.backoff ?? { baseMs: 250, capMs: 1000 },
        log: this.#log,
      });
      this.#running.set(name, { signature: signatureOf(h), abort, done: stream.start(abort.signal) });
    }
  }
}

function signatureOf(h: DockerHost): string {
  return JSON.stringify([h.spec.endpoint, h.spec.tls ?? null]);
}
