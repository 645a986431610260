/**
 * DockerHost endpoint -> dockerode client. One client per distinct endpoint+TLS configuration,
 * reused across reconciles (dockerode keeps its own HTTP agent), replaced when the spec changes.
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { SwarmopError } from '../errors.js';

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

/** Pure translation of an endpoint into dockerode options; file contents come from `readFile`. */
export function dockerOptionsFor(
  ep: DockerEndpoint,
  readFile: (path: string) => Buffer = (p) => readFileSync(p),
  /**
   * Request timeout (ms), or `null` for none: long-lived streams (/events, netlink monitors) are
   * idle for long. `null`, not `undefined`: passing `undefined` selects the default.
   */
  timeout: number | null = DOCKER_API_TIMEOUT_MS,
): Docker.DockerOptions {
  const url = parseEndpoint(ep.endpoint);
  if (url.kind === 'unix') return { socketPath: url.path, ...(timeout === null ? {} : { timeout }) };
  const base: Docker.DockerOptions = { host: url.host, port: url.port, ...(timeout === null ? {} : { timeout }) };
  if (!ep.tls) return { ...base, protocol: 'http' };
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
    protocol: 'https',
    ca: load('CA', ep.tls.caFile),
    cert: load('certificate', ep.tls.certFile),
    key: load('key', ep.tls.keyFile),
  };
}

/** Options for a client that only holds long-lived streams: no request timeout. */
export function streamDockerOptionsFor(ep: DockerEndpoint, readFile: (path: string) => Buffer = (p) => readFileSync(p)): Docker.DockerOptions {
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

  constructor(options: { create?: (ep: DockerEndpoint) => Docker } = {}) {
    this.create = options.create ?? ((ep) => newDockerClient(dockerOptionsFor(ep)));
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
