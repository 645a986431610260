/**
 * The operator's HTTP endpoint (`--metrics-addr host:port`): `/healthz` (the process serves
 * requests), `/readyz` (the caller's readiness check: watchers synced and, with leader election,
 * leading or a healthy standby), `/metrics` (Prometheus text). Extra read-only pages (the status
 * page) are mounted as `routes`: each owns a path prefix and answers its requests itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwarmopError } from '../errors.js';
import { createSilentLogger, type Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';

export interface Readiness {
  ready: boolean;
  /** One line per check, e.g. "watcher swarmop/: synced". */
  checks: string[];
}

/** A handler mounted on the server for every path it owns. */
export interface HttpRoute {
  owns(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface MetricsServerOptions {
  /** "host:port", ":port" (all interfaces) or "[::1]:port"; port 0 picks a free one. */
  addr: string;
  metrics: RuntimeMetrics;
  readiness: () => Readiness;
  routes?: readonly HttpRoute[];
  log?: Logger;
}

export function parseListenAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SwarmopError('Invalid', `invalid listen address "${addr}": want host:port, e.g. 127.0.0.1:8080 or :8080`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export class MetricsServer {
  readonly #opts: MetricsServerOptions;
  readonly #log: Logger;
  #server: Server | undefined;

  constructor(options: MetricsServerOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
  }

  /** Bound address once listening. */
  get address(): AddressInfo | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const { host, port } = parseListenAddr(this.#opts.addr);
    const server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new SwarmopError('Unavailable', `cannot listen on ${this.#opts.addr}: ${err.message}`, { cause: err })));
      server.listen(port, host, () => resolve());
    });
    this.#log.info('metrics server listening', { addr: `${host}:${this.address?.port}` });
    return this.address!;
  }

  /** Listens (unless already) and serves until `signal` aborts; then closes. */
  async start(signal: AbortSignal): Promise<void> {
    if (!this.#server) await this.listen();
    if (!signal.aborted) await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    await this.close();
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = this.#opts.routes?.find((r) => r.owns(path));
    if (route) return route.handle(req, res);
    try {
      if (path === '/healthz') return send(res, 200, 'ok\n');
      if (path === '/readyz') {
        const r = this.#opts.readiness();
        return send(res, r.ready ? 200 : 503, `${r.checks.join('\n')}${r.checks.length ? '\n' : ''}${r.ready ? 'ready' : 'not ready'}\n`);
      }
      if (path === '/metrics') {
        return send(res, 200, await this.#opts.metrics.text(), this.#opts.metrics.contentType);
      }
      return send(res, 404, 'not found\n');
    } catch (err) {
      this.#log.error('metrics endpoint failed', { path, error: err instanceof Error ? err.message : String(err) });
      return send(res, 500, 'internal error\n');
    }
  }
}

function send(res: import('node:http').ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
