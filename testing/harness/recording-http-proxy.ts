/**
 * An HTTP proxy on 127.0.0.1 in front of a REAL server (a Docker Engine's unix socket, a Consul
 * agent's HTTP port) for tests of who sent what, and when:
 * - every request is recorded with the time it reached the proxy, its method and path, the answer's
 *   status, and the PID of the process that sent it (found through /proc: the client socket's inode
 *   among the fds of the PIDs the test names), so two operator processes using one endpoint are
 *   told apart;
 * - `holdResponses(rule)`: matching requests are forwarded at once, but their answers are kept until
 *   `release()` (a slow engine, whose answer arrives after the world changed);
 * - `cut()`: a partition that drops packets: no answer (to requests in flight or later) arrives,
 *   connections stay open; `cut({ reset: true })` also drops the open connections (RST).
 * Upgraded connections (Docker's attach/exec hijack) are recorded and piped as they are.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export type ProxyTarget = { socketPath: string } | { host: string; port: number };

export interface ProxiedRequest {
  /** Date.now() when the request reached the proxy. */
  at: number;
  method: string;
  path: string;
  /** The sending process, when it is one of `pids()`. */
  pid?: number;
  status?: number;
  /** True when the request arrived after cut() and was never forwarded. */
  blackholed?: boolean;
}

export interface RecordingHttpProxyOptions {
  target: ProxyTarget;
  /** The processes requests are attributed to (read at each new connection). */
  pids?: () => readonly number[];
}

type HoldRule = (r: ProxiedRequest) => boolean;

export class RecordingHttpProxy {
  readonly requests: ProxiedRequest[] = [];
  readonly #opts: RecordingHttpProxyOptions;
  readonly #server: http.Server;
  readonly #sockets = new Set<Duplex>();
  readonly #pidBySocket = new WeakMap<object, number | undefined>();
  #rule: HoldRule | undefined;
  #heldCount = 0;
  #release: { promise: Promise<void>; resolve: () => void } | undefined;
  #cut = false;
  #port = 0;

  constructor(options: RecordingHttpProxyOptions) {
    this.#opts = options;
    this.#server = http.createServer((req, res) => this.#forward(req, res));
    this.#server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
      this.#pidBySocket.set(s, this.#attribute(s));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as net.AddressInfo).port;
  }

  get port(): number {
    return this.#port;
  }

  /** "127.0.0.1:PORT" (CONSUL_HTTP_ADDR form) */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Answers to matching requests are kept until release(). */
  holdResponses(rule: HoldRule): void {
    this.#rule = rule;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#release = { promise, resolve };
  }

  /** Answers held so far (their requests were forwarded). */
  get held(): number {
    return this.#heldCount;
  }

  release(): void {
    this.#rule = undefined;
    this.#release?.resolve();
    this.#release = undefined;
  }

  /** From now on nothing is answered (until heal()); with `reset`, open connections are dropped too. */
  cut(options: { reset?: boolean } = {}): void {
    this.#cut = true;
    if (options.reset) for (const s of this.#sockets) s.destroy();
  }

  heal(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.release();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #record(req: IncomingMessage): ProxiedRequest {
    const pid = this.#pidBySocket.get(req.socket);
    const r: ProxiedRequest = { at: Date.now(), method: req.method ?? 'GET', path: req.url ?? '/', ...(pid !== undefined ? { pid } : {}) };
    this.requests.push(r);
    return r;
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const r = this.#record(req);
    if (this.#cut) {
      r.blackholed = true;
      return; // never answered: the client's own timeout ends it
    }
    const held = this.#rule?.(r) ? this.#release?.promise : undefined;
    const target = this.#opts.target;
    const upstream = http.request(
      {
        ...('socketPath' in target ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        r.status = up.statusCode;
        const send = (): void => {
          if (this.#cut) return; // the answer is lost in the partition
          if (res.destroyed) {
            up.destroy();
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        };
        if (held) {
          this.#heldCount += 1;
          void held.then(send);
        } else send();
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const r = this.#record(req);
    if (this.#cut) {
      r.blackholed = true;
      return;
    }
    const target = this.#opts.target;
    const up = 'socketPath' in target ? net.connect(target.socketPath) : net.connect(target.port, target.host);
    up.on('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const end = (): void => {
      up.destroy();
      socket.destroy();
    };
    up.on('error', end);
    socket.on('error', end);
  }

  /** The PID (of `pids()`) owning the client end of `socket`, through /proc. */
  #attribute(socket: net.Socket): number | undefined {
    const pids = this.#opts.pids?.() ?? [];
    if (pids.length === 0 || socket.remotePort === undefined) return undefined;
    const inode = clientSocketInode(socket.remotePort, this.#port);
    if (inode === undefined) return undefined;
    for (const pid of pids) {
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          try {
            if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid;
          } catch {
            // the fd closed meanwhile
          }
        }
      } catch {
        // the process is gone
      }
    }
    return undefined;
  }
}

/** Inode of the loopback TCP socket whose local port is `localPort` and remote port `remotePort`. */
export function clientSocketInode(localPort: number, remotePort: number, tables: readonly string[] = readTcpTables()): string | undefined {
  const want = (p: number): string => p.toString(16).toUpperCase().padStart(4, '0');
  for (const table of tables) {
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (f[1]!.endsWith(`:${want(localPort)}`) && f[2]!.endsWith(`:${want(remotePort)}`)) return f[9];
    }
  }
  return undefined;
}

function readTcpTables(): string[] {
  const out: string[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      out.push(readFileSync(f, 'utf8'));
    } catch {
      // no IPv6
    }
  }
  return out;
}
