/**
 * Per-invocation state shared by the commands: the I/O, the resolved global options, and a lazy
 * connection to the store (commands like `explain` and `version` never touch Consul).
 *
 * Connection settings come from three layers, field by field, as the consul CLI orders them:
 * flags, then environment variables, then the selected context of the config file.
 */
import { ConsulKv, consulKvOptions } from '../../store/consul-kv.js';
import { consulConnection, unverifiedTlsWarning, type ConsulSettings } from '../../store/consul-connection.js';
import { ResourceStore } from '../../store/resource-store.js';
import type { KvStore } from '../../store/kv.js';
import { DEFAULT_PREFIX } from '../../store/store-keys.js';
import { DEFAULT_REVISION_LIMIT } from '../../store/revisions.js';
import { SwarmopError } from '../../errors.js';
import type { CliIo } from './cli-io.js';
import { configFilePath, loadConfig, resolveContextPaths, selectContext } from '../config/config-file.js';
import { layerSettings, settingsFromEnv, type ConnectionSettings } from '../config/connection-settings.js';

export interface GlobalOptions {
  prefix: string;
  /** host:port or URL of the Consul HTTP API; undefined = the environment's / Consul's default. */
  consulAddr?: string;
  /** Every connection field after layering (TLS files included), for the connection layer. */
  settings: ConnectionSettings;
  /** The context the settings came from, if any. */
  contextName?: string;
  /** The store Consul settings given as flags (the top layer of consul-connection.ts). */
  consulFlags?: ConsulSettings;
  /** The selected context's settings (its bottom layer). */
  context?: ConnectionSettings;
}

const CONSUL_FLAG_KEYS = ['token', 'tokenFile', 'caFile', 'caPath', 'clientCert', 'clientKey', 'tlsServerName'] as const;

/** The global flags: the consul CLI's connection flags (same meaning as the settings), plus our own. */
export interface GlobalFlags extends Pick<ConnectionSettings, 'prefix' | (typeof CONSUL_FLAG_KEYS)[number]> {
  /** --consul-addr, another name of --http-addr. */
  consulAddr?: string;
  context?: string;
  configFile?: string;
  httpAddr?: string;
}

export interface StoreHandle {
  kv: KvStore;
  /** Said on stderr once the store is opened (e.g. an unverified TLS connection). */
  warnings?: readonly string[];
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
  /** The raw global flags (config commands need --config-file and --context as given). */
  flags(): GlobalFlags;
  open(): StoreHandle;
  /** The exit code the finished command asked for (errors are mapped by main()). */
  exitCode: number;
  /** Closes the store if it was opened. */
  close(): void;
}

export { DEFAULT_PREFIX };

/** flag > env > context, per field; the prefix always ends with "/". */
export function resolveGlobals(
  flags: GlobalFlags,
  env: CliIo['env'],
  context: ConnectionSettings = {},
  contextName?: string,
): GlobalOptions {
  const consulFlags: ConsulSettings = {};
  const addrFlag = flags.httpAddr || flags.consulAddr;
  if (addrFlag) consulFlags.address = addrFlag;
  for (const k of CONSUL_FLAG_KEYS) if (flags[k]) consulFlags[k] = flags[k];
  const flagLayer: ConnectionSettings = {
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    ...consulFlags,
  };
  const settings = layerSettings(context, settingsFromEnv(env), flagLayer);
  let prefix = flags.prefix ?? settings.prefix ?? DEFAULT_PREFIX;
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  settings.prefix = prefix;
  return {
    prefix,
    ...(settings.address ? { consulAddr: settings.address } : {}),
    settings,
    ...(contextName !== undefined ? { contextName } : {}),
    ...(Object.keys(consulFlags).length > 0 ? { consulFlags } : {}),
    ...(Object.keys(context).length > 0 ? { context } : {}),
  };
}

/** Globals with the config file's context applied (read once per invocation). */
export function resolveWithConfig(flags: GlobalFlags, io: Pick<CliIo, 'env' | 'cwd'>): GlobalOptions {
  const file = configFilePath(flags.configFile, io.env, io.cwd);
  if (file === undefined) {
    if (flags.context !== undefined)
      throw new SwarmopError('Invalid', '--context needs a config file: set HOME, XDG_CONFIG_HOME or SWARMOP_CONFIG');
    return resolveGlobals(flags, io.env);
  }
  const selected = selectContext(loadConfig(file), flags.context, file);
  const ctx = selected && resolveContextPaths(selected, file, io.env.HOME || undefined);
  const { name, ...settings } = ctx ?? { name: undefined };
  return resolveGlobals(flags, io.env, settings, name);
}

/** consul-connection.ts's input for the resolved globals: flags, the environment, then the context. */
export function consulInput(globals: GlobalOptions, env: CliIo['env']) {
  return {
    flags: globals.consulFlags ?? {},
    env,
    ...(globals.context ? { defaults: globals.context } : {}),
    ...(globals.contextName !== undefined ? { defaultsName: `context "${globals.contextName}"` } : {}),
  };
}

export const openConsulStore: OpenStore = (globals, env) => {
  const connection = consulConnection(consulInput(globals, env));
  // A command needs few connections; the operator on the same address shares Consul's 200.
  const kv = new ConsulKv(consulKvOptions(connection, { maxSockets: 16 }));
  const warning = unverifiedTlsWarning(connection);
  const store = new ResourceStore({ kv, prefix: globals.prefix, revisionLimit: revisionLimitFrom(env) });
  return { kv, store, prefix: globals.prefix, close: () => kv.close(), ...(warning ? { warnings: [warning] } : {}) };
};

/** SWARMOP_REVISION_HISTORY_LIMIT: revisions kept per object (default 10, like a Deployment's). */
export function revisionLimitFrom(env: CliIo['env']): number {
  const text = env.SWARMOP_REVISION_HISTORY_LIMIT;
  if (text === undefined || text === '') return DEFAULT_REVISION_LIMIT;
  if (!/^[1-9][0-9]{0,3}$/.test(text))
    throw new SwarmopError('Invalid', `SWARMOP_REVISION_HISTORY_LIMIT must be a number from 1 to 9999, got "${text}"`);
  return Number(text);
}

/** Wraps a command body so its returned exit code reaches main(). */
export function action<A extends unknown[]>(ctx: CliContext, body: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    ctx.exitCode = await body(...args);
  };
}

export function createContext(io: CliIo, readFlags: () => GlobalFlags, openStore: OpenStore = openConsulStore): CliContext {
  let handle: StoreHandle | undefined;
  let resolved: GlobalOptions | undefined;
  const globals = (): GlobalOptions => (resolved ??= resolveWithConfig(readFlags(), io));
  return {
    io,
    exitCode: 0,
    globals,
    flags: readFlags,
    open() {
      if (handle === undefined) {
        handle = openStore(globals(), io.env);
        for (const w of handle.warnings ?? []) io.stderr(`warning: ${w}\n`);
      }
      return handle;
    },
    close() {
      handle?.close();
      handle = undefined;
    },
  };
}
