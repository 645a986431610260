/**
 * One HTTP listener's lifecycle, shared by the metrics server and the status page's own address:
 * parse "host:port", listen (a bind failure is Unavailable with the address), serve until an
 * AbortSignal, then close every connection.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwarmopError } from '../errors.js';

export function parseListenAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SwarmopError('Invalid', `invalid listen address "${addr}": want host:port, e.g. 127.0.0.1:8080 or :8080`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export class HttpListener {
  readonly #addr: string;
  readonly #handler: RequestListener;
  #server: Server | undefined;

  constructor(options: { addr: string; handler: RequestListener }) {
    this.#addr = options.addr;
    this.#handler = options.handler;
  }

  /** Bound address once listening. */
  get address(): AddressInfo | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  /** Starts listening; resolves with the host it bound and the bound address. */
  async listen(): Promise<{ host: string; address: AddressInfo }> {
    const { host, port } = parseListenAddr(this.#addr);
    const server = createServer(this.#handler);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new SwarmopError('Unavailable', `cannot listen on ${this.#addr}: ${err.message}`, { cause: err })),
      );
      server.listen(port, host, () => resolve());
    });
    return { host, address: this.address! };
  }

  /** Serves until `signal` aborts (listening first unless `listen` ran); then closes. */
  async serveUntil(signal: AbortSignal, listen: () => Promise<unknown>): Promise<void> {
    if (!this.#server) await listen();
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
}
