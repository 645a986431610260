/**
 * Per-invocation state shared by the commands: the I/O, the resolved global options, and a lazy
 * connection to the store (commands like `explain` and `version` never touch Consul).
 *
 * Connection settings come from three layers, field by field, as the consul CLI orders them:
 * flags, then environment variables, then the selected context of the config file.
 */
import { readFileSync } from 'node:fs';
import { ConsulKv, consulOptionsFromEnv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import type { KvStore } from '../store/kv.js';
import { SwarmopError } from '../errors.js';
import type { CliIo } from './cli-io.js';
import { configFilePath, loadConfig, selectContext } from './config/config-file.js';
import { layerSettings, settingsFromEnv, settingsToEnv, type ConnectionSettings } from './config/connection-settings.js';

export interface GlobalOptions {
  prefix: string;
  /** host:port or URL of the Consul HTTP API; undefined = the environment's / Consul's default. */
  consulAddr?: string;
  /** Every connection field after layering (TLS files included), for the connection layer. */
  settings: ConnectionSettings;
  /** The context the settings came from, if any. */
  contextName?: string;
}

export interface GlobalFlags {
  prefix?: string;
  consulAddr?: string;
  context?: string;
  configFile?: string;
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
  /** The raw global flags (config commands need --config-file and --context as given). */
  flags(): GlobalFlags;
  open(): StoreHandle;
  /** The exit code the finished command asked for (errors are mapped by main()). */
  exitCode: number;
  /** Closes the store if it was opened. */
  close(): void;
}

export const DEFAULT_PREFIX = 'swarmop/';

/** flag > env > context, per field; the prefix always ends with "/". */
export function resolveGlobals(flags: GlobalFlags, env: CliIo['env'], context: ConnectionSettings = {}, contextName?: string): GlobalOptions {
  const flagLayer: ConnectionSettings = {
    ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    ...(flags.consulAddr ? { address: flags.consulAddr } : {}),
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
  };
}

/** Globals with the config file's context applied (read once per invocation). */
export function resolveWithConfig(flags: GlobalFlags, io: Pick<CliIo, 'env' | 'cwd'>): GlobalOptions {
  const file = configFilePath(flags.configFile, io.env, io.cwd);
  if (file === undefined) {
    if (flags.context !== undefined) throw new SwarmopError('Invalid', '--context needs a config file: set HOME, XDG_CONFIG_HOME or SWARMOP_CONFIG');
    return resolveGlobals(flags, io.env);
  }
  const ctx = selectContext(loadConfig(file), flags.context, file);
  const { name, ...settings } = ctx ?? { name: undefined };
  return resolveGlobals(flags, io.env, settings, name);
}

/** The token: CONSUL_HTTP_TOKEN's layer wins over a token file; the file is read only when needed. */
export function effectiveToken(settings: ConnectionSettings): string | undefined {
  if (settings.token) return settings.token;
  if (!settings.tokenFile) return undefined;
  try {
    return readFileSync(settings.tokenFile, 'utf8').trim() || undefined;
  } catch (err) {
    throw new SwarmopError('Invalid', `cannot read the token file ${settings.tokenFile}: ${(err as Error).message}`);
  }
}

export const openConsulStore: OpenStore = (globals, env) => {
  const token = effectiveToken(globals.settings);
  const layered = { ...env, ...settingsToEnv(globals.settings), ...(token ? { CONSUL_HTTP_TOKEN: token } : {}) };
  const kv = new ConsulKv(consulOptionsFromEnv(layered));
  return { kv, store: new ResourceStore({ kv, prefix: globals.prefix }), prefix: globals.prefix, close: () => kv.close() };
};

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
      handle ??= openStore(globals(), io.env);
      return handle;
    },
    close() {
      handle?.close();
      handle = undefined;
    },
  };
}
