/**
 * The status page on an address of its own (`--ui-addr`), for when the metrics address is not
 * the one people should open: serves only the page (`/` redirects to it), nothing else.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwarmopError } from '../errors.js';
import { createSilentLogger, type Logger } from '../runtime/logger.js';
import { parseListenAddr } from '../runtime/metrics-server.js';
import type { StatusPage } from './status-page.js';

export interface UiServerOptions {
  /** "host:port"; port 0 picks a free one. */
  addr: string;
  page: StatusPage;
  log?: Logger;
}

export class UiServer {
  readonly #opts: UiServerOptions;
  readonly #log: Logger;
  #server: Server | undefined;

  constructor(options: UiServerOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
  }

  get address(): AddressInfo | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  async listen(): Promise<AddressInfo> {
    const { host, port } = parseListenAddr(this.#opts.addr);
    const page = this.#opts.page;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (page.owns(path)) return void page.handle(req, res);
      if (path === '/') {
        res.writeHead(302, { location: `${page.basePath}/` });
        return void res.end();
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new SwarmopError('Unavailable', `cannot listen on ${this.#opts.addr}: ${err.message}`, { cause: err })));
      server.listen(port, host, () => resolve());
    });
    const a = this.address!;
    this.#log.info('status page listening', { addr: `${host}:${a.port}`, url: `http://${host.includes(':') ? `[${host}]` : host}:${a.port}${page.basePath}/` });
    return a;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (!this.#server) await this.listen();
    if (!signal.aborted) await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
