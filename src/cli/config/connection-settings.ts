/**
 * The store connection as plain data, in the consul CLI's terms, and its precedence: a flag wins
 * over an environment variable, which wins over the selected context of the config file. Each
 * field is resolved on its own (a context's caFile still applies when CONSUL_HTTP_ADDR is set).
 * The connection layer consumes the result; nothing here opens a socket or reads a file.
 */

export interface ConnectionSettings {
  /** CONSUL_HTTP_ADDR: host:port, http(s)://host:port or unix:///path. */
  address?: string;
  /** CONSUL_HTTP_TOKEN (never printed). */
  token?: string;
  /** CONSUL_HTTP_TOKEN_FILE. */
  tokenFile?: string;
  /** CONSUL_CACERT. */
  caFile?: string;
  /** CONSUL_CAPATH. */
  caPath?: string;
  /** CONSUL_CLIENT_CERT. */
  clientCert?: string;
  /** CONSUL_CLIENT_KEY. */
  clientKey?: string;
  /** CONSUL_TLS_SERVER_NAME. */
  tlsServerName?: string;
  /** CONSUL_HTTP_SSL_VERIFY (false skips certificate verification). */
  sslVerify?: boolean;
  /** SWARMOP_PREFIX: the KV prefix holding the resources. */
  prefix?: string;
}

export type SettingKey = keyof ConnectionSettings;

/** Every field with the environment variable that sets it, in display order. */
export const SETTING_ENV: ReadonlyArray<readonly [SettingKey, string]> = [
  ['address', 'CONSUL_HTTP_ADDR'],
  ['token', 'CONSUL_HTTP_TOKEN'],
  ['tokenFile', 'CONSUL_HTTP_TOKEN_FILE'],
  ['caFile', 'CONSUL_CACERT'],
  ['caPath', 'CONSUL_CAPATH'],
  ['clientCert', 'CONSUL_CLIENT_CERT'],
  ['clientKey', 'CONSUL_CLIENT_KEY'],
  ['tlsServerName', 'CONSUL_TLS_SERVER_NAME'],
  ['sslVerify', 'CONSUL_HTTP_SSL_VERIFY'],
  ['prefix', 'SWARMOP_PREFIX'],
];

export const SETTING_KEYS: readonly SettingKey[] = SETTING_ENV.map(([k]) => k);

type Env = Readonly<Record<string, string | undefined>>;

/** consul's boolean parsing for CONSUL_HTTP_SSL_VERIFY (strconv.ParseBool). */
export function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  return undefined;
}

/** The settings the environment sets (empty variables count as unset, as in the consul CLI). */
export function settingsFromEnv(env: Env): ConnectionSettings {
  const out: ConnectionSettings = {};
  for (const [key, name] of SETTING_ENV) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    if (key === 'sslVerify') {
      const b = parseBool(raw);
      if (b !== undefined) out.sslVerify = b;
    } else out[key] = raw;
  }
  return out;
}

/** Merges layers, later ones winning field by field: (context, env, flags). */
export function layerSettings(...layers: readonly ConnectionSettings[]): ConnectionSettings {
  const out: ConnectionSettings = {};
  for (const layer of layers) {
    for (const key of SETTING_KEYS) {
      const v = layer[key];
      if (v !== undefined) (out as Record<string, unknown>)[key] = v;
    }
  }
  return out;
}

/**
 * The settings as the environment variables the connection layer reads, so a context reaches it
 * exactly as if the user had exported them.
 */
export function settingsToEnv(s: ConnectionSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, name] of SETTING_ENV) {
    const v = s[key];
    if (v !== undefined) out[name] = String(v);
  }
  return out;
}
