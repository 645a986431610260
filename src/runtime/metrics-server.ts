/**
 * The operator's HTTP endpoint (`--metrics-addr host:port`): `/healthz` (the process serves
 * requests), `/readyz` (the caller's readiness check: watchers synced and, with leader election,
 * leading or a healthy standby), `/metrics` (Prometheus text; behind a token off loopback, see
 * metrics-access.ts). Extra read-only pages (the status
 * page) are mounted as `routes`: each owns a path prefix and answers its requests itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpListener } from './http-listener.js';
import { metricsAuthorized } from './metrics-access.js';
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
  /** The token /metrics asks for (metrics-access.ts); undefined: open. /healthz and /readyz are always open. */
  metricsToken?: string;
  log?: Logger;
}

export { parseListenAddr } from './http-listener.js';

export class MetricsServer {
  readonly #opts: MetricsServerOptions;
  readonly #log: Logger;
  readonly #http: HttpListener;

  constructor(options: MetricsServerOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
    this.#http = new HttpListener({ addr: options.addr, handler: (req, res) => void this.#handle(req, res) });
  }

  /** Bound address once listening. */
  get address(): AddressInfo | undefined {
    return this.#http.address;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const { host, address } = await this.#http.listen();
    this.#log.info('metrics server listening', { addr: `${host}:${address.port}` });
    return address;
  }

  /** Listens (unless already) and serves until `signal` aborts; then closes. */
  start(signal: AbortSignal): Promise<void> {
    return this.#http.serveUntil(signal, () => this.listen());
  }

  close(): Promise<void> {
    return this.#http.close();
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
        const token = this.#opts.metricsToken;
        if (token !== undefined && !metricsAuthorized(token, req.headers.authorization)) {
          res.setHeader('www-authenticate', 'Bearer realm="swarmop metrics"');
          return send(res, 401, 'the metrics need their token: send Authorization: Bearer TOKEN (--metrics-token)\n');
        }
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
