/**
 * Server-sent events for the status page: new timeline entries as they are stored
 * (`event: timeline`, JSON data), a `metrics` tick that tells the page to reload its chart, and a
 * comment every `heartbeatMs` so proxies keep the stream open and a dead client is noticed.
 * The stream only ever sends; it accepts nothing.
 */
import type { ServerResponse } from 'node:http';

export interface SseHubOptions {
  /** Heartbeat comment period; default 15 s. */
  heartbeatMs?: number;
  /** `metrics` event period; default 10 s. */
  metricsMs?: number;
  /** Called on every heartbeat while a client is connected (keeps the feed watching). */
  onActive?: () => void;
  /** Streams held at once (default SSE_MAX_CLIENTS); one more is answered 503. */
  maxClients?: number;
}

/** Each stream holds a socket and a timer slot for as long as the client stays: a bound, not a pool. */
export const SSE_MAX_CLIENTS = 32;

export class SseHub {
  readonly #opts: SseHubOptions;
  readonly #clients = new Set<ServerResponse>();
  #timers: NodeJS.Timeout[] = [];
  #seq = 0;

  constructor(options: SseHubOptions = {}) {
    this.#opts = options;
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * Takes over the response as an event stream until the client goes away; false (answered 503,
   * try again later) when the hub already holds its most streams.
   */
  add(res: ServerResponse): boolean {
    if (this.#clients.size >= (this.#opts.maxClients ?? SSE_MAX_CLIENTS)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10', 'cache-control': 'no-store' });
      res.end('too many status page streams open; try again later\n');
      return false;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
    this.#ensureTimers();
    return true;
  }

  broadcast(event: string, data: unknown): void {
    // JSON never contains a raw newline, so one data line carries the whole payload.
    const frame = `id: ${++this.#seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.#clients) c.write(frame);
  }

  #ensureTimers(): void {
    if (this.#timers.length) return;
    const beat = setInterval(() => {
      if (this.#clients.size === 0) return;
      this.#opts.onActive?.();
      for (const c of this.#clients) c.write(': ping\n\n');
    }, this.#opts.heartbeatMs ?? 15_000);
    const metrics = setInterval(() => {
      if (this.#clients.size) this.broadcast('metrics', {});
    }, this.#opts.metricsMs ?? 10_000);
    beat.unref();
    metrics.unref();
    this.#timers = [beat, metrics];
  }

  /** Ends every stream and stops the timers. */
  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }
}
