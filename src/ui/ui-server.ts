/**
 * The status page on an address of its own (`--ui-addr`), for when the metrics address is not
 * the one people should open: serves only the page (`/` redirects to it), nothing else.
 */
import type { AddressInfo } from 'node:net';
import { createSilentLogger, type Logger } from '../runtime/logger.js';
import { HttpListener } from '../runtime/http-listener.js';
import type { StatusPage } from './status-page.js';
import { localInterfaceAddresses, refuseUnlessAllowed, uiAccessPolicy } from './ui-access.js';

export interface UiServerOptions {
  /** "host:port"; port 0 picks a free one. */
  addr: string;
  page: StatusPage;
  /** Required on an address that is not loopback (see ui-access.ts). */
  token?: string;
  /** Names besides the bound address and localhost that the page may be reached by. */
  hostNames?: readonly string[];
  /** This machine's interface addresses (default: read from the OS). */
  localAddresses?: readonly string[];
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
    // Throws Invalid for a non-loopback address without a token: the operator does not start.
    const access = uiAccessPolicy({
      addr: options.addr,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.hostNames ? { hostNames: options.hostNames } : {}),
      localAddresses: options.localAddresses ?? localInterfaceAddresses(),
    });
    this.#http = new HttpListener({
      addr: options.addr,
      handler: (req, res) => {
        if (refuseUnlessAllowed(access, req, res)) return;
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
    this.#log.info('status page listening', {
      addr: `${host}:${a.port}`,
      url: `http://${host.includes(':') ? `[${host}]` : host}:${a.port}${this.#opts.page.basePath}/`,
    });
    return a;
  }

  start(signal: AbortSignal): Promise<void> {
    return this.#http.serveUntil(signal, () => this.listen());
  }
}
