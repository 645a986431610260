/**
 * The swarmop config file: named contexts, each a set of connection settings for one fleet, and
 * the current one. Like a kubeconfig, trimmed:
 *
 *   currentContext: lab
 *   contexts:
 *     - name: lab
 *       address: https://127.0.0.1:8501
 *       tokenFile: /etc/swarmop/token
 *       caFile: /etc/swarmop/ca.pem
 *       prefix: swarmop/
 *
 * Where it is: --config-file, else $SWARMOP_CONFIG, else $XDG_CONFIG_HOME/swarmop/config.yaml,
 * else ~/.config/swarmop/config.yaml. A missing file is an empty config. Unknown fields are
 * refused by name, so a typo never silently falls back to another Consul.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { SwarmopError } from '../../errors.js';
import { SETTING_KEYS, type ConnectionSettings, type SettingKey } from './connection-settings.js';

export interface NamedContext extends ConnectionSettings {
  name: string;
}

export interface SwarmopConfig {
  currentContext?: string;
  contexts: NamedContext[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** The config file's path; undefined when the environment names no home (no file is read then). */
export function configFilePath(flag: string | undefined, env: Env, cwd: string): string | undefined {
  if (flag) return path.resolve(cwd, flag);
  if (env.SWARMOP_CONFIG) return path.resolve(cwd, env.SWARMOP_CONFIG);
  const base = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : undefined);
  return base === undefined ? undefined : path.join(base, 'swarmop', 'config.yaml');
}

/** Like configFilePath, for commands that must write one. */
export function requireConfigFilePath(flag: string | undefined, env: Env, cwd: string): string {
  const file = configFilePath(flag, env, cwd);
  if (file === undefined)
    throw new SwarmopError('Invalid', 'no config file: set HOME, XDG_CONFIG_HOME or SWARMOP_CONFIG, or pass --config-file');
  return file;
}

const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@:-]*$/;

function invalid(file: string, where: string, why: string): SwarmopError {
  return new SwarmopError('Invalid', `${file}: ${where}: ${why}`);
}

/** Checks one context's fields; `where` names it in errors. */
export function checkContext(raw: unknown, file: string, where: string): NamedContext {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(file, where, 'must be a mapping');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'name') {
      if (typeof v !== 'string' || !CONTEXT_NAME.test(v))
        throw invalid(file, `${where}.name`, 'must be a name of letters, digits, . _ @ : -');
      out.name = v;
    } else if ((SETTING_KEYS as readonly string[]).includes(k)) {
      const key = k as SettingKey;
      if (key === 'sslVerify') {
        if (typeof v !== 'boolean') throw invalid(file, `${where}.sslVerify`, 'must be true or false');
      } else if (typeof v !== 'string' || v === '') throw invalid(file, `${where}.${k}`, 'must be a non-empty string');
      out[key] = v;
    } else {
      throw invalid(file, `${where}.${k}`, `unknown field (known: name, ${SETTING_KEYS.join(', ')})`);
    }
  }
  if (out.name === undefined) throw invalid(file, where, 'has no name');
  return out as unknown as NamedContext;
}

export function parseConfig(text: string, file: string): SwarmopConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new SwarmopError('Invalid', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalid(file, '(root)', 'must be a mapping');
  const config: SwarmopConfig = { contexts: [] };
  for (const [k, v] of Object.entries(data)) {
    if (k === 'currentContext') {
      if (v !== null && typeof v !== 'string') throw invalid(file, 'currentContext', 'must be a string');
      if (typeof v === 'string' && v !== '') config.currentContext = v;
    } else if (k === 'contexts') {
      if (v === null) continue;
      if (!Array.isArray(v)) throw invalid(file, 'contexts', 'must be a list');
      config.contexts = v.map((c, i) => checkContext(c, file, `contexts[${i}]`));
    } else throw invalid(file, k, 'unknown field (known: currentContext, contexts)');
  }
  const seen = new Set<string>();
  for (const [i, c] of config.contexts.entries()) {
    if (seen.has(c.name)) throw invalid(file, `contexts[${i}].name`, `duplicate context "${c.name}"`);
    seen.add(c.name);
  }
  return config;
}

/** Reads the config (synchronously: it is read once per invocation, before any command runs). */
export function loadConfig(file: string): SwarmopConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: [] };
    throw new SwarmopError('Invalid', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  return parseConfig(text, file);
}

/** Writes the whole file at once (temp file + rename), readable by its owner only: it may hold a token. */
export async function saveConfig(file: string, config: SwarmopConfig): Promise<void> {
  const body: Record<string, unknown> = {};
  if (config.currentContext !== undefined) body.currentContext = config.currentContext;
  body.contexts = config.contexts.map((c) => {
    const { name, ...rest } = c;
    const ordered: Record<string, unknown> = { name };
    for (const k of SETTING_KEYS) if (rest[k] !== undefined) ordered[k] = rest[k];
    return ordered;
  });
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, stringify(body), { mode: 0o600 });
  await rename(tmp, file);
}

/** The context fields that name files or folders. */
export const PATH_KEYS = ['tokenFile', 'caFile', 'caPath', 'clientCert', 'clientKey'] as const satisfies readonly SettingKey[];

/** `~` and `~/x` in the home folder, else the path resolved against `base`. */
export function resolveUserPath(value: string, base: string, home: string | undefined): string {
  if (home !== undefined && (value === '~' || value.startsWith('~/'))) return path.join(home, value.slice(1));
  return path.resolve(base, value);
}

/**
 * A context's file fields as absolute paths: relative ones are relative to the config file's
 * folder (as in a kubeconfig), so a command works the same from any working directory.
 */
export function resolveContextPaths<C extends ConnectionSettings>(context: C, file: string, home: string | undefined): C {
  const out = { ...context };
  for (const key of PATH_KEYS) {
    const v = out[key];
    if (v !== undefined) out[key] = resolveUserPath(v, path.dirname(file), home);
  }
  return out;
}

/** The context to use: `--context` if given (it must exist), else currentContext, else none. */
export function selectContext(config: SwarmopConfig, requested: string | undefined, file: string): NamedContext | undefined {
  const name = requested ?? config.currentContext;
  if (name === undefined) return undefined;
  const found = config.contexts.find((c) => c.name === name);
  if (!found) {
    const how = requested !== undefined ? '--context' : 'currentContext';
    const known = config.contexts.map((c) => c.name).join(', ') || 'none';
    throw new SwarmopError('Invalid', `${how} "${name}" is not a context in ${file} (known: ${known})`);
  }
  return found;
}
