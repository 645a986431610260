/**
 * Who may read /metrics. Its series name every document, host and error the operator sees: on a
 * loopback address only this machine's users reach it, so it needs nothing; on any other address
 * (`--metrics-addr :9464`) it needs a token, `--metrics-token` or else the status page's
 * `--ui-token`, sent as `Authorization: Bearer TOKEN` (Prometheus' `authorization` setting), or
 * the operator refuses to start. /healthz and /readyz stay open: probes carry no token and the
 * answers say nothing about the store.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SwarmopError } from '../errors.js';
import { parseListenAddr } from './http-listener.js';

/** Shorter tokens are refused: the endpoint answers as many guesses as it is sent. */
export const METRICS_TOKEN_MIN_LENGTH = 16;

export interface MetricsAccessInput {
  /** --metrics-addr, "host:port". */
  addr: string;
  /** --metrics-token (or SWARMOP_METRICS_TOKEN). */
  metricsToken?: string;
  /** --ui-token: used when no metrics token is given. */
  uiToken?: string;
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost; a wildcard address is not loopback. */
function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * The token /metrics asks for: undefined (open) on a loopback address without --metrics-token;
 * throws for an address that is not loopback when neither token is set.
 */
export function metricsToken(input: MetricsAccessInput): string | undefined {
  if (input.metricsToken !== undefined && input.metricsToken.length < METRICS_TOKEN_MIN_LENGTH) {
    throw new SwarmopError(
      'Invalid',
      `--metrics-token must be at least ${METRICS_TOKEN_MIN_LENGTH} characters (e.g. openssl rand -hex 16)`,
    );
  }
  if (input.metricsToken !== undefined) return input.metricsToken;
  if (isLoopback(parseListenAddr(input.addr).host)) return undefined;
  if (input.uiToken !== undefined) return input.uiToken;
  throw new SwarmopError(
    'Invalid',
    `--metrics-addr ${input.addr} is not a loopback address: anyone who reaches it would read the operator's metrics (every document, host and error); set --metrics-token (or SWARMOP_METRICS_TOKEN, or --ui-token), or listen on 127.0.0.1`,
  );
}

/** True when `authorization` is `Bearer <token>`; compared in constant time. */
export function metricsAuthorized(token: string, authorization: string | undefined): boolean {
  const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
  if (given === undefined) return false;
  // Digests first: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(token).digest());
}
