/**
 * How to reach the store Consul, resolved the way the consul CLI resolves it.
 *
 * Sources, per field, highest first: command-line flags, the consul CLI's environment variables,
 * then an optional `defaults` object (a config-file context). Meanings follow the consul CLI:
 * - CONSUL_HTTP_ADDR / -http-addr: "host:port", "http://host:port[/path]", "https://...",
 *   "unix:///path/to.sock". `https://` or CONSUL_HTTP_SSL=true selects TLS; an explicit
 *   `http://` does not turn TLS off when CONSUL_HTTP_SSL=true asked for it.
 * - CONSUL_HTTP_TOKEN / -token, CONSUL_HTTP_TOKEN_FILE / -token-file: a token file, when set and
 *   not empty, wins over a token (as in consul's api.NewClient). A token or token file given by a
 *   flag or the environment replaces both of the defaults' (a context's pair stays together).
 * - CONSUL_CACERT / -ca-file wins over CONSUL_CAPATH / -ca-path (a folder of PEM files).
 * - CONSUL_CLIENT_CERT / -client-cert and CONSUL_CLIENT_KEY / -client-key: both or neither.
 * - CONSUL_TLS_SERVER_NAME / -tls-server-name: the name checked in the server certificate (SNI).
 * - CONSUL_HTTP_SSL_VERIFY=false: no certificate check.
 *
 * resolveConsulSettings() is pure; loadConsulConnection() reads the files it names. Errors name
 * the setting and where it came from, never a token.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SwarmopError } from '../errors.js';

/**
 * A store Consul that cannot work with these settings (bad files, wrong CA, missing client
 * certificate, plain HTTP to an HTTPS port): retrying does not help, so the operator stops.
 */
export class ConsulSettingsError extends SwarmopError {
  constructor(message: string) {
    super('Unavailable', message);
    this.name = 'ConsulSettingsError';
  }
}

/** One source's view; every field optional. Config-file contexts use the same shape. */
export interface ConsulSettings {
  address?: string;
  token?: string;
  tokenFile?: string;
  /** Force TLS for a "host:port" address (CONSUL_HTTP_SSL). */
  ssl?: boolean;
  /** false = do not verify the server certificate (CONSUL_HTTP_SSL_VERIFY=false). */
  sslVerify?: boolean;
  caFile?: string;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
}

export type ConsulSettingName = keyof ConsulSettings;

/** The environment variable and flag of each setting (the consul CLI's names). */
export const CONSUL_SETTING_NAMES: Record<ConsulSettingName, { env: string; flag?: string }> = {
  address: { env: 'CONSUL_HTTP_ADDR', flag: '--http-addr' },
  token: { env: 'CONSUL_HTTP_TOKEN', flag: '--token' },
  tokenFile: { env: 'CONSUL_HTTP_TOKEN_FILE', flag: '--token-file' },
  ssl: { env: 'CONSUL_HTTP_SSL' },
  sslVerify: { env: 'CONSUL_HTTP_SSL_VERIFY' },
  caFile: { env: 'CONSUL_CACERT', flag: '--ca-file' },
  caPath: { env: 'CONSUL_CAPATH', flag: '--ca-path' },
  clientCert: { env: 'CONSUL_CLIENT_CERT', flag: '--client-cert' },
  clientKey: { env: 'CONSUL_CLIENT_KEY', flag: '--client-key' },
  tlsServerName: { env: 'CONSUL_TLS_SERVER_NAME', flag: '--tls-server-name' },
};

export const DEFAULT_CONSUL_ADDR = '127.0.0.1:8500';

/** Resolved settings plus, for each set field, where it came from (for error messages). */
export interface ResolvedConsulSettings extends ConsulSettings {
  address: string;
  origins: Partial<Record<ConsulSettingName, string>>;
}

export interface ResolveConsulSettingsInput {
  flags?: ConsulSettings;
  env?: Record<string, string | undefined>;
  /** Lowest precedence: e.g. the current config-file context. */
  defaults?: ConsulSettings;
  /** How to name the defaults in messages (default "the config context"). */
  defaultsName?: string;
}

function parseBool(name: string, raw: string): boolean {
  // Go's strconv.ParseBool, which the consul CLI uses.
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  throw new SwarmopError('Invalid', `${name}="${raw}" is not a boolean (use true or false)`);
}

function envSettings(env: Record<string, string | undefined>): ConsulSettings {
  const out: ConsulSettings = {};
  for (const [field, names] of Object.entries(CONSUL_SETTING_NAMES) as [ConsulSettingName, { env: string }][]) {
    const raw = env[names.env]?.trim();
    if (raw === undefined || raw === '') continue;
    if (field === 'ssl' || field === 'sslVerify') out[field] = parseBool(names.env, raw);
    else out[field] = raw;
  }
  return out;
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== '';
}

export function resolveConsulSettings(input: ResolveConsulSettingsInput = {}): ResolvedConsulSettings {
  const defaultsName = input.defaultsName ?? 'the config context';
  const layers: [ConsulSettings, (f: ConsulSettingName) => string][] = [
    [input.flags ?? {}, (f) => CONSUL_SETTING_NAMES[f].flag ?? f],
    [envSettings(input.env ?? process.env), (f) => CONSUL_SETTING_NAMES[f].env],
    [input.defaults ?? {}, (f) => `${f} in ${defaultsName}`],
  ];
  // Token and token file: flags and environment merge field by field as in consul; the defaults'
  // pair counts only when neither of those names a token or token file.
  const hasToken = ([s]: (typeof layers)[number]): boolean => isSet(s.token) || isSet(s.tokenFile);
  const tokenLayers = layers.slice(0, 2).some(hasToken) ? layers.slice(0, 2) : layers.slice(2);
  const out: ResolvedConsulSettings = { address: DEFAULT_CONSUL_ADDR, origins: {} };
  for (const field of Object.keys(CONSUL_SETTING_NAMES) as ConsulSettingName[]) {
    const candidates = field === 'token' || field === 'tokenFile' ? tokenLayers : layers;
    for (const [settings, origin] of candidates) {
      const value = settings[field];
      if (!isSet(value)) continue;
      (out as unknown as Record<string, unknown>)[field] = value;
      out.origins[field] = origin(field);
      break;
    }
  }
  return out;
}

/** Where the HTTP API is: a TCP endpoint or a unix socket, and whether TLS is used. */
export interface ConsulEndpoint {
  secure: boolean;
  host: string;
  port: number;
  socketPath?: string;
  /** A reverse proxy's path in front of /v1 ("" when none). */
  pathPrefix: string;
}

export function parseConsulEndpoint(address: string, forceTls = false): ConsulEndpoint {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(address);
  const scheme = m ? m[1]!.toLowerCase() : undefined;
  if (scheme === 'unix') {
    const socketPath = m![2]!;
    if (socketPath === '') throw new SwarmopError('Invalid', `invalid Consul address "${address}": unix:// needs a socket path`);
    return { secure: forceTls, host: 'localhost', port: 0, socketPath, pathPrefix: '' };
  }
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new SwarmopError('Invalid', `invalid Consul address "${address}": scheme must be http, https or unix`);
  }
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `http://${address}` : address);
  } catch {
    throw new SwarmopError('Invalid', `invalid Consul address "${address}" (expected host:port, http(s)://host:port or unix:///path)`);
  }
  if (url.hostname === '') throw new SwarmopError('Invalid', `invalid Consul address "${address}": no host`);
  const secure = scheme === 'https' || forceTls;
  const port = url.port === '' ? (secure ? 443 : scheme === undefined ? 8500 : 80) : Number(url.port);
  // URL keeps IPv6 hosts bracketed; node's http wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const pathPrefix = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return { secure, host, port, pathPrefix };
}

/** What node's https agent needs; undefined fields are left to node's defaults. */
export interface ConsulTls {
  ca?: Buffer[];
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized: boolean;
}

/** Everything ConsulKv needs, files already read. */
export interface ConsulConnection {
  /** The address as the user gave it (shown in messages). */
  address: string;
  endpoint: ConsulEndpoint;
  token?: string;
  tls?: ConsulTls;
  /** Which settings were used, for messages that name the likely culprit. */
  origins: Partial<Record<ConsulSettingName, string>>;
  caSource?: string;
  clientCertSource?: string;
}

function readSetting(settings: ResolvedConsulSettings, field: ConsulSettingName, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((err as NodeJS.ErrnoException).code ?? String(err));
    throw new ConsulSettingsError(`cannot read ${settings.origins[field] ?? field} file ${file}: ${reason}`);
  }
}

function pemFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...pemFilesUnder(full));
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(full).isFile())) out.push(full);
  }
  return out.sort();
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;

/** Reads the token file and TLS files the settings name; throws 'Unavailable' naming a bad one. */
export function loadConsulConnection(settings: ResolvedConsulSettings): ConsulConnection {
  const endpoint = parseConsulEndpoint(settings.address, settings.ssl === true);
  const conn: ConsulConnection = { address: settings.address, endpoint, origins: settings.origins };

  let token = settings.token;
  if (isSet(settings.tokenFile)) {
    const fromFile = readSetting(settings, 'tokenFile', settings.tokenFile!).toString('utf8').trim();
    if (fromFile !== '') token = fromFile;
  }
  if (isSet(token)) conn.token = token;

  if (isSet(settings.clientCert) !== isSet(settings.clientKey)) {
    const [given, missing] = isSet(settings.clientCert) ? (['clientCert', 'clientKey'] as const) : (['clientKey', 'clientCert'] as const);
    throw new ConsulSettingsError(
      `${settings.origins[given]} is set but ${CONSUL_SETTING_NAMES[missing].env} / ${CONSUL_SETTING_NAMES[missing].flag} is not: a client certificate needs both the certificate and its key`,
    );
  }
  if (!endpoint.secure) return conn;

  const tls: ConsulTls = { rejectUnauthorized: settings.sslVerify !== false };
  if (isSet(settings.caFile)) {
    const pem = readSetting(settings, 'caFile', settings.caFile!);
    if (!PEM_CERT.test(pem.toString('utf8'))) {
      throw new ConsulSettingsError(`${settings.origins.caFile} file ${settings.caFile} holds no PEM certificate`);
    }
    tls.ca = [pem];
    conn.caSource = `${settings.origins.caFile}=${settings.caFile}`;
  } else if (isSet(settings.caPath)) {
    let files: string[];
    try {
      files = pemFilesUnder(settings.caPath!);
    } catch (err) {
      throw new ConsulSettingsError(
        `cannot read ${settings.origins.caPath} folder ${settings.caPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    const pems = files.map((f) => readSetting(settings, 'caPath', f)).filter((b) => PEM_CERT.test(b.toString('utf8')));
    if (pems.length === 0) throw new ConsulSettingsError(`${settings.origins.caPath} folder ${settings.caPath} holds no PEM certificate`);
    tls.ca = pems;
    conn.caSource = `${settings.origins.caPath}=${settings.caPath}`;
  }
  if (isSet(settings.clientCert)) {
    tls.cert = readSetting(settings, 'clientCert', settings.clientCert!);
    tls.key = readSetting(settings, 'clientKey', settings.clientKey!);
    conn.clientCertSource = `${settings.origins.clientCert}=${settings.clientCert}`;
  }
  if (isSet(settings.tlsServerName)) tls.servername = settings.tlsServerName!;
  conn.tls = tls;
  return conn;
}

/**
 * What to tell the user about a TLS connection that skips the certificate check (undefined when it
 * does not). The consul CLI takes CONSUL_HTTP_SSL_VERIFY=false without a word; the operator holds
 * a token that can rewrite every host, so it says so at start (the operator's log, the CLI's stderr).
 */
export function unverifiedTlsWarning(conn: ConsulConnection): string | undefined {
  if (conn.tls === undefined || conn.tls.rejectUnauthorized) return undefined;
  const setting = conn.origins.sslVerify ?? CONSUL_SETTING_NAMES.sslVerify.env;
  return `${setting}=false: the store Consul's certificate is not verified, so anyone on the path to ${conn.address} can read and change the store and the token`;
}

/** resolveConsulSettings + loadConsulConnection: what the CLI and the operator call. */
export function consulConnection(input: ResolveConsulSettingsInput = {}): ConsulConnection {
  return loadConsulConnection(resolveConsulSettings(input));
}
