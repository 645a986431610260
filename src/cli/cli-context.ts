/**
 * Per-invocation state shared by the commands: the I/O, the resolved global options, and a lazy
 * connection to the store (commands like `explain` and `version` never touch Consul).
 */
import { ConsulKv, consulKvOptions } from '../store/consul-kv.js';
import { consulConnection, type ConsulSettings } from '../store/consul-connection.js';
import { ResourceStore } from '../store/resource-store.js';
import type { KvStore } from '../store/kv.js';
import type { CliIo } from './cli-io.js';

export interface GlobalOptions {
  prefix: string;
  /** host:port or URL of the Consul HTTP API; undefined = the environment's / Consul's default. */
  consulAddr?: string;
  /** Store Consul settings given as flags (--http-addr, --token, --ca-file, ...); env and defaults fill the rest. */
  consul?: ConsulSettings;
}

/** The global flags as commander parses them. */
export interface GlobalFlags {
  prefix?: string;
  /** --consul-addr, kept as another name of --http-addr. */
  consulAddr?: string;
  httpAddr?: string;
  token?: string;
  tokenFile?: string;
  caFile?: string;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
}

export interface StoreHandle {
  kv: KvStore;
  store: ResourceStore;
  prefix: string;
  /** Releases connections so the process can exit. */
  close(): void;
}

/** Opens the store for the resolved globals; tests pass one over an in-memory KvStore. */
export type OpenStore = (globals: GlobalOptions, env: CliIo['env']) => StoreHandle;

export interface CliContext {
  io: CliIo;
  globals(): GlobalOptions;
  open(): StoreHandle;
  /** The exit code the finished command asked for (errors are mapped by main()). */
  exitCode: number;
  /** Closes the store if it was opened. */
  close(): void;
}

export const DEFAULT_PREFIX = 'swarmop/';

/** Flags win over the environment; Consul's token and TLS files resolve in consul-connection.ts. */
export function resolveGlobals(flags: GlobalFlags, env: CliIo['env']): GlobalOptions {
  let prefix = flags.prefix ?? env.SWARMOP_PREFIX ?? DEFAULT_PREFIX;
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const addrFlag = flags.httpAddr ?? flags.consulAddr;
  const consul: ConsulSettings = {};
  if (addrFlag) consul.address = addrFlag;
  for (const k of ['token', 'tokenFile', 'caFile', 'caPath', 'clientCert', 'clientKey', 'tlsServerName'] as const) {
    const v = flags[k];
    if (v !== undefined && v !== '') consul[k] = v;
  }
  const consulAddr = addrFlag ?? env.CONSUL_HTTP_ADDR;
  return {
    prefix,
    ...(consulAddr === undefined || consulAddr === '' ? {} : { consulAddr }),
    ...(Object.keys(consul).length > 0 ? { consul } : {}),
  };
}

export const openConsulStore: OpenStore = (globals, env) => {
  const flags: ConsulSettings = { ...(globals.consulAddr ? { address: globals.consulAddr } : {}), ...globals.consul };
  const kv = new ConsulKv(consulKvOptions(consulConnection({ flags, env })));
  return { kv, store: new ResourceStore({ kv, prefix: globals.prefix }), prefix: globals.prefix, close: () => kv.close() };
};

/** Wraps a command body so its returned exit code reaches main(). */
export function action<A extends unknown[]>(ctx: CliContext, body: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    ctx.exitCode = await body(...args);
  };
}

export function createContext(
  io: CliIo,
  readFlags: () => GlobalFlags,
  openStore: OpenStore = openConsulStore,
): CliContext {
  let handle: StoreHandle | undefined;
  const globals = (): GlobalOptions => resolveGlobals(readFlags(), io.env);
  return {
    io,
    exitCode: 0,
    globals,
    open() {
      handle ??= openStore(globals(), io.env);
      return handle;
    },
    close() {
      handle?.close();
      handle = undefined;
    },
  };
}
