/**
 * Per-invocation state shared by the commands: the I/O, the resolved global options, and a lazy
 * connection to the store (commands like `explain` and `version` never touch Consul).
 */
import { ConsulKv, consulOptionsFromEnv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import type { KvStore } from '../store/kv.js';
import type { CliIo } from './cli-io.js';

export interface GlobalOptions {
  prefix: string;
  /** host:port or URL of the Consul HTTP API; undefined = the environment's / Consul's default. */
  consulAddr?: string;
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

/** Flags win over the environment; the token is only ever read from CONSUL_HTTP_TOKEN. */
export function resolveGlobals(flags: { prefix?: string; consulAddr?: string }, env: CliIo['env']): GlobalOptions {
  let prefix = flags.prefix ?? env.SWARMOP_PREFIX ?? DEFAULT_PREFIX;
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const consulAddr = flags.consulAddr ?? env.CONSUL_HTTP_ADDR;
  return consulAddr === undefined || consulAddr === '' ? { prefix } : { prefix, consulAddr };
}

export const openConsulStore: OpenStore = (globals, env) => {
  const fromEnv = consulOptionsFromEnv({ ...env, ...(globals.consulAddr ? { CONSUL_HTTP_ADDR: globals.consulAddr } : {}) });
  const kv = new ConsulKv(fromEnv);
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
  readFlags: () => { prefix?: string; consulAddr?: string },
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
