/**
 * ConsulKv: the KvStore over a real Consul agent, through the npm `consul` package.
 *
 * - Addresses use CONSUL_HTTP_ADDR's forms: "host:port", "http(s)://host:port[/path]",
 *   "unix:///path"; TLS files and the token come resolved from consul-connection.ts.
 * - Blocking list queries pass `index`/`wait` and return X-Consul-Index; an AbortSignal cancels
 *   the request (it rejects with the signal's reason).
 * - Transactions go to /v1/txn (at most 64 operations on Consul 1.8) and are all-or-nothing; a
 *   rolled-back one throws KvTxnConflictError naming the failing keys.
 * - Failures are mapped to SwarmopError: cannot connect / TLS refused either way / no leader ->
 *   'Unavailable' with one line naming the problem, 403 -> 'Forbidden'. Messages never contain the token, and the raw client error (whose request
 *   carries the token header) is not attached as `cause`.
 */
import { EventEmitter } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Consul from 'consul';
import { SwarmopError } from '../errors.js';
import {
  ConsulSettingsError,
  DEFAULT_CONSUL_ADDR,
  parseConsulEndpoint,
  type ConsulConnection,
  type ConsulTls,
} from './consul-connection.js';
import { parseGoDuration } from '../go-duration.js';
import { KvTxnConflictError, type TxnFailure } from './kv-errors.js';
import {
  AnswerTooLargeError,
  answerTooLarge,
  capAnswers,
  checkValueSize,
  DEFAULT_MAX_ANSWER_BYTES,
  DEFAULT_MAX_VALUE_BYTES,
} from './consul-response-cap.js';
import {
  MAX_TXN_OPS,
  type KvListOptions,
  type KvListResult,
  type KvPair,
  type KvStore,
  type KvTxnOp,
  type KvTxnResult,
  type SessionOptions,
} from './kv.js';

export interface ConsulKvOptions {
  /** "host:port", "http(s)://host:port[/path]" or "unix:///path" (CONSUL_HTTP_ADDR). */
  address: string;
  token?: string;
  /** TLS for "host:port" addresses too (CONSUL_HTTP_SSL=true). */
  forceTls?: boolean;
  /** CA, client certificate, server name, verification (used when the address is TLS). */
  tls?: ConsulTls;
  /** Where the CA and client certificate came from ("CONSUL_CACERT=/x"), for error messages. */
  caSource?: string;
  clientCertSource?: string;
  /** Timeout of a non-blocking request, ms (default 15000). */
  requestTimeoutMs?: number;
  /** Most concurrent connections (default 64): Consul refuses more than 200 per client address. */
  maxSockets?: number;
  /** Largest answer accepted, bytes (default 16 MiB): a list of the whole prefix must fit. */
  maxAnswerBytes?: number;
  /** Largest value accepted, bytes (default 512 KiB, Consul's default kv_max_value_size). */
  maxValueBytes?: number;
}

export { DEFAULT_CONSUL_ADDR };

/** ConsulKv options for resolved connection settings (the CLI's and the operator's way in). */
export function consulKvOptions(
  conn: ConsulConnection,
  extra: Pick<ConsulKvOptions, 'requestTimeoutMs' | 'maxSockets'> = {},
): ConsulKvOptions {
  return {
    address: conn.address,
    ...(conn.token !== undefined ? { token: conn.token } : {}),
    ...(conn.endpoint.secure ? { forceTls: true } : {}),
    ...(conn.tls ? { tls: conn.tls } : {}),
    ...(conn.caSource ? { caSource: conn.caSource } : {}),
    ...(conn.clientCertSource ? { clientCertSource: conn.clientCertSource } : {}),
    ...extra,
  };
}

interface ParsedAddress {
  host: string;
  port: number;
  secure: boolean;
}

export function parseConsulAddress(address: string): ParsedAddress {
  const { host, port, secure } = parseConsulEndpoint(address);
  return { host, port, secure };
}

/** What the consul package's promise API resolves with when ctx.includeResponse is set. */
type WithResponse<T> = [{ statusCode: number; headers: Record<string, string | string[] | undefined> }, T?];

interface RawKv {
  Key: string;
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  Session?: string;
}

interface PapiLikeError extends Error {
  isPapi?: boolean;
  isAbort?: boolean;
  isTimeout?: boolean;
  isResponse?: boolean;
  code?: string;
  response?: { statusCode: number; body?: unknown };
}

function toPair(raw: RawKv): KvPair {
  const value = raw.Value === null || raw.Value === undefined ? '' : raw.Value;
  const pair: KvPair = { key: raw.Key, value, createIndex: raw.CreateIndex, modifyIndex: raw.ModifyIndex };
  if (raw.Session) pair.session = raw.Session;
  return pair;
}

function b64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

function unb64(value: string | null): string | null {
  return value === null || value === undefined ? null : Buffer.from(value, 'base64').toString('utf8');
}

function txnBody(op: KvTxnOp): { KV: Record<string, unknown> } {
  switch (op.verb) {
    case 'set':
      return { KV: { Verb: 'set', Key: op.key, Value: b64(op.value) } };
    case 'cas':
      return { KV: { Verb: 'cas', Key: op.key, Value: b64(op.value), Index: op.index } };
    case 'get':
    case 'delete':
    case 'delete-tree':
    case 'check-not-exists':
      return { KV: { Verb: op.verb, Key: op.key } };
    case 'delete-cas':
    case 'check-index':
      return { KV: { Verb: op.verb, Key: op.key, Index: op.index } };
    case 'check-session':
      return { KV: { Verb: op.verb, Key: op.key, Session: op.session } };
  }
}

export class ConsulKv implements KvStore {
  readonly address: string;
  private readonly client: InstanceType<typeof Consul>;
  private readonly requestTimeoutMs: number;
  private readonly secure: boolean;
  private readonly maxValueBytes: number;
  private readonly hints: { caSource?: string | undefined; clientCertSource?: string | undefined; servername?: string | undefined };

  constructor(options: ConsulKvOptions) {
    const endpoint = parseConsulEndpoint(options.address, options.forceTls === true);
    this.address = options.address;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.secure = endpoint.secure;
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.hints = { caSource: options.caSource, clientCertSource: options.clientCertSource, servername: options.tls?.servername };
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    const tls = options.tls ?? { rejectUnauthorized: true };
    const tlsOptions = {
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
    };
    const host = endpoint.socketPath ? 'localhost' : endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    const port = endpoint.socketPath ? '' : `:${endpoint.port}`;
    this.client = new Consul({
      baseUrl: `${endpoint.secure ? 'https' : 'http'}://${host}${port}${endpoint.pathPrefix}/v1`,
      ...(endpoint.socketPath ? { socketPath: endpoint.socketPath } : {}),
      agent: capAnswers(
        endpoint.secure ? new HttpsAgent({ ...agentOptions, ...tlsOptions }) : new HttpAgent(agentOptions),
        options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES,
      ),
      ...(options.token ? { defaults: { token: options.token } } : {}),
    } as never);
  }

  /** Closes the keep-alive sockets so the process can exit. */
  close(): void {
    this.client.destroy();
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<KvPair | undefined> {
    const raw = (await this.call('read', key, options.signal, (ctx) =>
      this.client.kv.get({ key, ctx, timeout: this.requestTimeoutMs } as never),
    )) as unknown as RawKv | undefined | null;
    return raw ? this.#checked(toPair(raw)) : undefined;
  }

  /** A pair whose value is within the per-value cap (else an error naming its key). */
  #checked(pair: KvPair): KvPair {
    checkValueSize(this.address, pair.key, pair.value, this.maxValueBytes);
    return pair;
  }

  async list(prefix: string, options: KvListOptions = {}): Promise<KvListResult> {
    const { query, timeout } = this.#blocking({ key: prefix, recurse: true }, options);
    const [res, body] = (await this.call('list', prefix, options.signal, (ctx) => {
      ctx.includeResponse = true;
      return this.client.kv.get({ ...query, ctx, timeout } as never);
    })) as unknown as WithResponse<RawKv[] | RawKv>;
    const raws = body === undefined || body === null ? [] : Array.isArray(body) ? body : [body];
    return { index: consulIndex(res.headers), pairs: raws.map((r) => this.#checked(toPair(r))) };
  }

  async prefixIndex(prefix: string, options: KvListOptions = {}): Promise<number> {
    const { query, timeout } = this.#blocking({ key: prefix, separator: '/' }, options);
    const headers = await this.call('list', prefix, options.signal, async (ctx) => {
      ctx.includeResponse = true;
      try {
        const [res] = (await this.client.kv.keys({ ...query, ctx, timeout } as never)) as unknown as WithResponse<string[]>;
        return res.headers;
      } catch (err) {
        // An empty prefix is a 404 that still carries the index.
        const res = (err as PapiLikeError & { response?: { headers?: WithResponse<unknown>[0]['headers'] } }).response;
        if (res?.statusCode === 404 && res.headers) return res.headers;
        throw err;
      }
    });
    return consulIndex(headers);
  }

  /** The query and request timeout of a plain or (with `index`) blocking read. */
  #blocking(base: Record<string, unknown>, options: KvListOptions): { query: Record<string, unknown>; timeout: number } {
    if (options.index === undefined) return { query: base, timeout: this.requestTimeoutMs };
    const waitMs = options.wait === undefined ? 5 * 60_000 : parseGoDuration(options.wait);
    const query = { ...base, index: options.index, ...(options.wait !== undefined ? { wait: options.wait } : {}) };
    // Consul adds up to wait/16 of jitter before answering a blocking query.
    return { query, timeout: waitMs + waitMs / 16 + this.requestTimeoutMs };
  }

  async set(key: string, value: string): Promise<void> {
    const ok = await this.call('write', key, undefined, (ctx) =>
      this.client.kv.set({ key, value, ctx, timeout: this.requestTimeoutMs } as never),
    );
    if (ok !== true) throw new SwarmopError('Internal', `Consul refused to set ${key}`);
  }

  async cas(key: string, value: string, index: number): Promise<boolean> {
    const ok = await this.call('write', key, undefined, (ctx) =>
      this.client.kv.set({ key, value, cas: index, ctx, timeout: this.requestTimeoutMs } as never),
    );
    return ok === true;
  }

  async delete(key: string, options: { cas?: number; recurse?: boolean } = {}): Promise<boolean> {
    const ok = await this.call('delete', key, undefined, (ctx) =>
      this.client.kv.del({
        key,
        ...(options.cas !== undefined ? { cas: options.cas } : {}),
        ...(options.recurse ? { recurse: true } : {}),
        ctx,
        timeout: this.requestTimeoutMs,
      } as never),
    );
    return ok === true;
  }

  async txn(ops: readonly KvTxnOp[]): Promise<KvTxnResult> {
    if (ops.length === 0) return { results: [] };
    if (ops.length > MAX_TXN_OPS) {
      throw new SwarmopError('Internal', `a Consul transaction holds at most ${MAX_TXN_OPS} operations, got ${ops.length}`);
    }
    let body: { Results?: { KV?: RawKv }[] | null; Errors?: { OpIndex: number; What: string }[] | null } | undefined;
    try {
      body = (await this.call('txn', `${ops.length} operations`, undefined, (ctx) =>
        this.client.transaction.create(ops.map(txnBody) as never, { ctx, timeout: this.requestTimeoutMs } as never),
      )) as typeof body;
    } catch (err) {
      // A rolled-back transaction is HTTP 409 with the failing operations in the body.
      const rolledBack = (err as { txnBody?: typeof body }).txnBody;
      if (rolledBack?.Errors) throw this.txnFailure(ops, rolledBack.Errors);
      throw err;
    }
    if (body?.Errors && body.Errors.length > 0) throw this.txnFailure(ops, body.Errors);
    // Unlike the KV endpoint's answers (decoded by the client), txn results carry base64 values.
    return { results: (body?.Results ?? []).flatMap((r) => (r.KV ? [this.#checked(toPair({ ...r.KV, Value: unb64(r.KV.Value) }))] : [])) };
  }

  /** A rolled-back transaction: an ACL refusal (Consul answers 409 for those too) or a lost CAS. */
  private txnFailure(ops: readonly KvTxnOp[], errors: readonly { OpIndex: number; What: string }[]): Error {
    const denied = errors.filter((e) => /permission denied/i.test(e.What));
    if (denied.length > 0) {
      const keys = denied.map((e) => ops[e.OpIndex]?.key ?? '?');
      return new SwarmopError(
        'Forbidden',
        `Consul at ${this.address} refused a write of ${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ` and ${keys.length - 3} more` : ''}: permission denied (check CONSUL_HTTP_TOKEN and its policy on the prefix)`,
      );
    }
    return conflictFrom(ops, errors);
  }

  async createSession(options: SessionOptions): Promise<string> {
    const res = (await this.call('session', options.name, undefined, (ctx) =>
      this.client.session.create({
        name: options.name,
        ttl: options.ttl,
        lockdelay: options.lockDelay,
        behavior: options.behavior,
        ...(options.checks ? { checks: options.checks } : {}),
        ctx,
        timeout: this.requestTimeoutMs,
      } as never),
    )) as { ID: string };
    return res.ID;
  }

  async registerTtlCheck(options: { id: string; name: string; ttl: string }): Promise<void> {
    await this.call('check', options.id, undefined, (ctx) =>
      this.client.agent.check.register({
        id: options.id,
        name: options.name,
        ttl: options.ttl,
        status: 'passing',
        ctx,
        timeout: this.requestTimeoutMs,
      } as never),
    );
  }

  async passCheck(id: string): Promise<void> {
    await this.call('check', id, undefined, (ctx) => this.client.agent.check.pass({ id, ctx, timeout: this.requestTimeoutMs } as never));
  }

  async deregisterCheck(id: string): Promise<void> {
    await this.call('check', id, undefined, (ctx) =>
      this.client.agent.check.deregister({ id, ctx, timeout: this.requestTimeoutMs } as never),
    );
  }

  async listChecks(): Promise<{ id: string; name: string; status: string }[]> {
    const res = (await this.call('check', 'list', undefined, (ctx) =>
      this.client.agent.check.list({ ctx, timeout: this.requestTimeoutMs } as never),
    )) as Record<string, { CheckID: string; Name: string; Status: string }>;
    return Object.values(res ?? {}).map((c) => ({ id: c.CheckID, name: c.Name, status: c.Status }));
  }

  async renewSession(id: string): Promise<boolean> {
    try {
      const res = (await this.call('session', id, undefined, (ctx) =>
        this.client.session.renew({ id, ctx, timeout: this.requestTimeoutMs } as never),
      )) as unknown[] | null | undefined;
      return Array.isArray(res) && res.length > 0;
    } catch (err) {
      if (err instanceof SwarmopError && err.code === 'NotFound') return false;
      throw err;
    }
  }

  async destroySession(id: string): Promise<void> {
    await this.call('session', id, undefined, (ctx) => this.client.session.destroy({ id, ctx, timeout: this.requestTimeoutMs } as never));
  }

  async acquire(key: string, value: string, session: string): Promise<boolean> {
    const ok = await this.call('lock', key, undefined, (ctx) =>
      this.client.kv.set({ key, value, acquire: session, ctx, timeout: this.requestTimeoutMs } as never),
    );
    return ok === true;
  }

  async release(key: string, session: string): Promise<boolean> {
    // A release PUT also writes its body as the value: send the current one back unchanged.
    const current = await this.get(key);
    if (current === undefined) return false;
    const ok = await this.call('lock', key, undefined, (ctx) =>
      this.client.kv.set({ key, value: current.value, release: session, ctx, timeout: this.requestTimeoutMs } as never),
    );
    return ok === true;
  }

  /**
   * Runs one client call with cancellation and error mapping. `what`/`subject` only shape the
   * error message (never the token).
   */
  private async call<T>(what: string, subject: string, signal: AbortSignal | undefined, run: (ctx: Ctx) => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    const ctx: Ctx = Object.assign(new EventEmitter(), { includeResponse: false });
    const onAbort = (): void => {
      ctx.emit('cancel');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await run(ctx);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw this.mapError(err as PapiLikeError, what, subject);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** One line naming a TLS failure and the setting that likely causes it; undefined if not TLS. */
  private tlsProblem(code: string | undefined): string | undefined {
    if (code === undefined) return undefined;
    if (UNTRUSTED_CERT.has(code)) {
      const ca = this.hints.caSource ? `the CA in ${this.hints.caSource}` : 'the system CAs (set CONSUL_CACERT or --ca-file)';
      return `its TLS certificate is not signed by ${ca} (${code})`;
    }
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `its TLS certificate is not valid now (${code})`;
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      const name = this.hints.servername ? `"${this.hints.servername}"` : 'the host of the address';
      return `its TLS certificate does not name ${name} (set CONSUL_TLS_SERVER_NAME or --tls-server-name to a name it holds)`;
    }
    if (
      /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)$/.test(
        code,
      )
    ) {
      return this.hints.clientCertSource
        ? `it refused the client certificate ${this.hints.clientCertSource} (${code})`
        : `it requires a client certificate and none is set (set CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY, or --client-cert and --client-key)`;
    }
    if (this.secure && (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG')) {
      return `it does not speak TLS on this port (${code}); use an http:// address and unset CONSUL_HTTP_SSL`;
    }
    return undefined;
  }

  private mapError(err: PapiLikeError, what: string, subject: string): Error {
    if (err instanceof SwarmopError) return err;
    if (err instanceof AnswerTooLargeError) return answerTooLarge(this.address, what, subject, err.limit);
    const status = err.response?.statusCode;
    if (status === undefined) {
      const code = err.code ?? (err.cause as { code?: string } | undefined)?.code;
      const tlsProblem = this.tlsProblem(code);
      if (tlsProblem) return new ConsulSettingsError(`cannot reach Consul at ${this.address}: ${tlsProblem}`);
      const reason = err.isTimeout ? 'request timed out' : (code ?? stripPrefix(err.message));
      return new SwarmopError('Unavailable', `cannot reach Consul at ${this.address}: ${reason}`);
    }
    const text = responseText(err);
    if (status === 400 && /HTTP request to an HTTPS server/i.test(text)) {
      return new ConsulSettingsError(
        `cannot reach Consul at ${this.address}: it serves HTTPS only, the address asks for plain HTTP (use https://${parseConsulAddress(this.address).host}:${parseConsulAddress(this.address).port} or CONSUL_HTTP_SSL=true)`,
      );
    }
    if (status === 409 && what === 'txn') {
      const mapped = new SwarmopError('Conflict', `Consul rolled back the transaction: ${text}`);
      Object.assign(mapped, { txnBody: err.response?.body });
      return mapped;
    }
    if (status === 403) {
      return new SwarmopError('Forbidden', `Consul at ${this.address} refused ${what} of ${subject}: ${text} (check CONSUL_HTTP_TOKEN)`);
    }
    if (status === 404) return new SwarmopError('NotFound', `Consul at ${this.address}: ${what} of ${subject}: ${text}`);
    if (status >= 500) {
      return new SwarmopError('Unavailable', `Consul at ${this.address} cannot serve ${what} of ${subject} (${status}): ${text}`);
    }
    return new SwarmopError('Internal', `Consul at ${this.address} rejected ${what} of ${subject} (${status}): ${text}`);
  }
}

const UNTRUSTED_CERT = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

type Ctx = EventEmitter & { includeResponse: boolean };

/** X-Consul-Index; 1 when missing or 0 (a 0 would make every blocking query return at once). */
function consulIndex(headers: WithResponse<unknown>[0]['headers']): number {
  const header = headers['x-consul-index'];
  const index = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(index) && index > 0 ? index : 1;
}

function stripPrefix(message: string): string {
  return message.replace(/^consul: [\w.]+: /, '');
}

function responseText(err: PapiLikeError): string {
  const body = err.response?.body;
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 200);
  if (Buffer.isBuffer(body) && body.length > 0) return body.toString('utf8').trim().slice(0, 200);
  return stripPrefix(err.message);
}

function conflictFrom(ops: readonly KvTxnOp[], errors: readonly { OpIndex: number; What: string }[]): KvTxnConflictError {
  const failures: TxnFailure[] = errors.map((e) => ({ opIndex: e.OpIndex, key: ops[e.OpIndex]?.key ?? '?', what: e.What }));
  return new KvTxnConflictError(failures);
}
