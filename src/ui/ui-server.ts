/**
 * The status page on an address of its own (`--ui-addr`), for when the metrics address is not
 * the one people should open: serves only the page (`/` redirects to it), nothing else.
 */
import type { AddressInfo } from 'node:net';
import { createSilentLogger, type Logger } from '../runtime/logger.js';
import { HttpListener } from '../runtime/http-listener.js';
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
  readonly #http: HttpListener;

  constructor(options: UiServerOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
    const page = options.page;
    this.#http = new HttpListener({
      addr: options.addr,
      handler: (req, res) => {
        const path = (req.url ?? '/').split('?')[0]!;
        if (page.owns(path)) return void page.handle(req, res);
        if (path === '/') {
          res.writeHead(302, { location: `${page.basePath}/` });
          return void res.end();
        }
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
      },
    });
  }

  get address(): AddressInfo | undefined {
    return this.#http.address;
  }

  async listen(): Promise<AddressInfo> {
    const { host, address: a } = await this.#http.listen();
    this.#log.info('status page listening', { addr: `${host}:${a.port}`, url: `http://${host.includes(':') ? `[${host}]` : host}:${a.port}${this.#opts.page.basePath}/` });
    return a;
  }

  start(signal: AbortSignal): Promise<void> {
    return this.#http.serveUntil(signal, () => this.listen());
  }
}
