/**
 * DockerHost endpoint -> dockerode client. One client per distinct endpoint+TLS configuration,
 * reused across reconciles (dockerode keeps its own HTTP agent), replaced when the spec changes.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Agent as httpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import Docker from 'dockerode';
import { SwarmopError } from '../errors.js';
import { OutputLimitError } from '../runtime/output-limits.js';

export interface DockerTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface DockerEndpoint {
  /** `tcp://host:port` or `unix:///path/to/docker.sock`. */
  endpoint: string;
  tls?: DockerTlsFiles;
}

/** Default timeout for Docker API calls that are not streams (ms). */
export const DOCKER_API_TIMEOUT_MS = 10_000;

/**
 * The most an API client reads of one answer. docker-modem keeps a whole answer in memory before it
 * parses it, and the request timeout is an idle timeout: an endpoint (a DockerHost names any) that
 * sends without pause is read without end. An engine's biggest answers (a long container list, an
 * image pull's progress) are a few MB.
 */
export const DOCKER_RESPONSE_LIMIT_BYTES = 256 * 1024 * 1024;

export interface DockerClientLimits {
  /** Bytes read of one answer before the connection is dropped (default DOCKER_RESPONSE_LIMIT_BYTES). */
  maxResponseBytes?: number;
}

/**
 * Counts what each connection receives, per answer: a connection is reset to zero whenever it goes
 * back to the pool (the agent's `free`), and destroyed with OutputLimitError past the cap, which
 * fails the call. Hijacked connections (exec, attach) never go back, so they count from their start.
 */
function meteredAgent(https: boolean, maxBytes: number, what: string): http.Agent {
  const received = new WeakMap<Socket, number>();
  const meter = (socket: Socket): void => {
    received.set(socket, 0);
    socket.on('data', (chunk: Buffer) => {
      const n = (received.get(socket) ?? 0) + chunk.length;
      received.set(socket, n);
      if (n > maxBytes) socket.destroy(new OutputLimitError(`${what}: an answer`, maxBytes));
    });
  };
  const Base = https ? httpsAgent : http.Agent;
  const agent = new (class extends Base {
    // docker-modem formats every request's options with util.inspect(..., { depth: null }) for its
    // debug log, even when that log is off: walking this agent's sockets cost several ms per call
    // (about a fifth of a first sync's CPU at 10,000 hosts). Its own one-line form instead.
    [inspect.custom](): string {
      return `[Agent ${what}]`;
    }

    override createConnection(...args: Parameters<http.Agent['createConnection']>): ReturnType<http.Agent['createConnection']> {
      const socket = super.createConnection(...args);
      if (socket) meter(socket as Socket);
      return socket;
    }
  })({ keepAlive: true });
  agent.on('free', (socket: Socket) => received.set(socket, 0));
  return agent;
}

/** Pure translation of an endpoint into dockerode options; file contents come from `readFile`. */
export function dockerOptionsFor(
  ep: DockerEndpoint,
  readFile: (path: string) => Buffer = (p) => readFileSync(p),
  /**
   * Request timeout (ms), or `null` for none: long-lived streams (/events, netlink monitors) are
   * idle for long. `null`, not `undefined`: passing `undefined` selects the default.
   */
  timeout: number | null = DOCKER_API_TIMEOUT_MS,
  limits: DockerClientLimits = {},
): Docker.DockerOptions {
  const url = parseEndpoint(ep.endpoint);
  // API clients read answers up to a cap; stream clients hold long-lived streams, capped per line
  // or per program by their readers (docker-events, helper sessions, netlink monitors).
  const what = url.kind === 'unix' ? `Docker Engine at ${url.path}` : `Docker Engine at ${url.host}:${url.port}`;
  const agent = (https: boolean): { agent?: http.Agent } =>
    timeout === null ? {} : { agent: meteredAgent(https, limits.maxResponseBytes ?? DOCKER_RESPONSE_LIMIT_BYTES, what) };
  if (url.kind === 'unix') return { socketPath: url.path, ...(timeout === null ? {} : { timeout }), ...agent(false) };
  const base: Docker.DockerOptions = { host: url.host, port: url.port, ...(timeout === null ? {} : { timeout }) };
  if (!ep.tls) return { ...base, protocol: 'http', ...agent(false) };
  const load = (what: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFile(file);
    } catch (err) {
      throw new SwarmopError('Invalid', `cannot read TLS ${what} file ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    ...base,
    ...agent(true),
    protocol: 'https',
    ca: load('CA', ep.tls.caFile),
    cert: load('certificate', ep.tls.certFile),
    key: load('key', ep.tls.keyFile),
  };
}

/** Options for a client that only holds long-lived streams: no request timeout. */
export function streamDockerOptionsFor(
  ep: DockerEndpoint,
  readFile: (path: string) => Buffer = (p) => readFileSync(p),
): Docker.DockerOptions {
  return dockerOptionsFor(ep, readFile, null);
}

type ParsedEndpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseEndpoint(endpoint: string): ParsedEndpoint {
  if (endpoint.startsWith('unix://')) {
    const path = endpoint.slice('unix://'.length);
    if (!path.startsWith('/')) throw new SwarmopError('Invalid', `endpoint ${endpoint}: unix socket path must be absolute`);
    return { kind: 'unix', path };
  }
  const m = /^tcp:\/\/([^:/\s]+):(\d{1,5})$/.exec(endpoint);
  if (!m) throw new SwarmopError('Invalid', `endpoint ${endpoint}: expected tcp://host:port or unix:///path`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new SwarmopError('Invalid', `endpoint ${endpoint}: port out of range`);
  return { kind: 'tcp', host: m[1]!, port };
}

/** Caches one dockerode client per host name, rebuilt when that host's endpoint or TLS files change. */
export class DockerClients {
  private readonly clients = new Map<string, { signature: string; docker: Docker }>();
  private readonly create: (ep: DockerEndpoint) => Docker;

  /** `wrap` is applied to every client built (the operator's fence, see fenced-docker.ts). */
  constructor(options: { create?: (ep: DockerEndpoint) => Docker; wrap?: (docker: Docker) => Docker } = {}) {
    const create = options.create ?? ((ep: DockerEndpoint) => newDockerClient(dockerOptionsFor(ep)));
    const wrap = options.wrap;
    this.create = wrap ? (ep) => wrap(create(ep)) : create;
  }

  get(host: string, ep: DockerEndpoint): Docker {
    const signature = JSON.stringify([ep.endpoint, ep.tls?.caFile, ep.tls?.certFile, ep.tls?.keyFile]);
    const cached = this.clients.get(host);
    if (cached && cached.signature === signature) return cached.docker;
    const docker = this.create(ep);
    this.clients.set(host, { signature, docker });
    return docker;
  }

  forget(host: string): void {
    this.clients.delete(host);
  }
}

/**
 * The variables docker-modem reads in its constructor. It merges what they say under the options it
 * is given: DOCKER_HOST=tcp://… sets `host`, which wins over a `socketPath`, so a `unix://` DockerHost
 * would be dialled wherever the operator's environment points; DOCKER_CERT_PATH makes it read key
 * files from that directory (and throw when they are missing). A DockerHost document names the whole
 * endpoint, so nothing of it may come from the process's environment.
 */
const DOCKER_ENVIRONMENT = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_PATH_PREFIX', 'DOCKER_CLIENT_TIMEOUT'] as const;

/**
 * Every dockerode client the operator builds comes from here. The DOCKER_* variables are hidden for
 * the (synchronous) constructor and put back right after, and every key those variables could have
 * set is given explicitly as well, so a modem that reads them some other way still gets ours.
 */
export function newDockerClient(options: Docker.DockerOptions): Docker {
  const explicit: Docker.DockerOptions = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: undefined,
    ...({ pathPrefix: undefined } as object),
    ...options,
  };
  const saved = new Map<string, string>();
  for (const name of DOCKER_ENVIRONMENT) {
    const value = process.env[name];
    if (value !== undefined) saved.set(name, value);
    delete process.env[name];
  }
  try {
    return new Docker(explicit);
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}
