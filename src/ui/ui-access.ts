/**
 * Who may open the status page. The page shows every document's status, events and host names:
 * on a loopback address only this machine's users reach it, so it needs nothing; on any other
 * address (`--ui-addr :8080`) it needs a token (`--ui-token`), or the operator refuses to start.
 * Every request's Host header must name the bound address, localhost or a configured name
 * (`--ui-host`): a DNS name an attacker controls that resolves to this address (DNS rebinding)
 * lets a browser read the page from the attacker's origin otherwise.
 *
 * uiAccessPolicy() decides once, from the address; checkUiRequest() answers each request. Both are
 * pure: the machine's interface addresses are passed in (localInterfaceAddresses() reads them).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { SwarmopError } from '../errors.js';
import { parseListenAddr } from '../runtime/http-listener.js';

export const UI_TOKEN_COOKIE = 'swarmop_ui_token';
/** Shorter tokens are refused: the page answers as many guesses as it is sent. */
export const UI_TOKEN_MIN_LENGTH = 16;

export interface UiAccessPolicy {
  /** The token every request must carry; undefined on a loopback address without one. */
  token?: string;
  /** Lower-case host names and addresses (IPv6 without brackets) a Host header may name. */
  allowedHosts: ReadonlySet<string>;
}

export interface UiAccessInput {
  /** The listen address, "host:port" as --ui-addr takes it. */
  addr: string;
  token?: string;
  /** Further names the page is reached by (a DNS name, a proxy's name). */
  hostNames?: readonly string[];
  /** This machine's interface addresses: what a wildcard address is reached by. */
  localAddresses: readonly string[];
}

function bare(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost. A wildcard address is not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = bare(host);
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIPv4(v4) && v4.startsWith('127.');
}

function isWildcard(host: string): boolean {
  const h = bare(host);
  return h === '' || h === '0.0.0.0' || h === '::';
}

export function uiAccessPolicy(input: UiAccessInput): UiAccessPolicy {
  const { host } = parseListenAddr(input.addr);
  if (input.token !== undefined && input.token.length < UI_TOKEN_MIN_LENGTH) {
    throw new SwarmopError('Invalid', `--ui-token must be at least ${UI_TOKEN_MIN_LENGTH} characters (e.g. openssl rand -hex 16)`);
  }
  if (!isLoopbackHost(host) && input.token === undefined) {
    throw new SwarmopError(
      'Invalid',
      `--ui-addr ${input.addr} is not a loopback address: anyone who reaches it would read every document's status; set --ui-token (or SWARMOP_UI_TOKEN), or listen on 127.0.0.1`,
    );
  }
  const names = ['localhost', '127.0.0.1', '::1', ...(input.hostNames ?? []), ...(isWildcard(host) ? input.localAddresses : [host])];
  return { ...(input.token === undefined ? {} : { token: input.token }), allowedHosts: new Set(names.map(bare)) };
}

/** The addresses of this machine's interfaces (what a wildcard listener answers on). */
export function localInterfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

/** The host part of a Host header: "name:port", "[v6]:port", "name". */
function hostOf(header: string): string {
  const h = header.trim();
  if (h.startsWith('[')) return bare(h.slice(0, h.indexOf(']') + 1));
  const colons = h.split(':').length - 1;
  return bare(colons === 1 ? h.slice(0, h.lastIndexOf(':')) : h);
}

function sameToken(given: string, token: string): boolean {
  // Digests first: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface UiRequestFacts {
  host?: string;
  authorization?: string;
  cookie?: string;
  /** The request's path and query (for `?token=`). */
  url?: string;
}

export type UiDecision = { status: 200; setCookie?: string } | { status: 401 | 421; message: string };

/**
 * A request's fate: 421 for a Host that is not the page's, 401 without the token, else 200. The
 * token comes as `Authorization: Bearer …`, the cookie, or `?token=…` on the first visit (a
 * browser cannot send a header for a link or an EventSource), which sets the cookie.
 */
export function checkUiRequest(policy: UiAccessPolicy, req: UiRequestFacts): UiDecision {
  if (req.host === undefined || req.host.trim() === '' || !policy.allowedHosts.has(hostOf(req.host))) {
    return { status: 421, message: 'this status page is not served under that host name (see --ui-host)\n' };
  }
  const token = policy.token;
  if (token === undefined) return { status: 200 };
  const bearer = /^Bearer\s+(.+)$/i.exec(req.authorization ?? '')?.[1]?.trim();
  if (bearer !== undefined && sameToken(bearer, token)) return { status: 200 };
  const cookie = cookieValue(req.cookie, UI_TOKEN_COOKIE);
  if (cookie !== undefined && sameToken(cookie, token)) return { status: 200 };
  const query = new URL(req.url ?? '/', 'http://page.invalid').searchParams.get('token');
  if (query !== null && sameToken(query, token)) {
    return { status: 200, setCookie: `${UI_TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict` };
  }
  return { status: 401, message: 'the status page needs its token: open it as /ui/?token=TOKEN, or send Authorization: Bearer TOKEN\n' };
}

/** Answers a refused request; true when it was refused (the caller stops), false to go on. */
export function refuseUnlessAllowed(policy: UiAccessPolicy, req: IncomingMessage, res: ServerResponse): boolean {
  const d = checkUiRequest(policy, {
    host: req.headers.host,
    authorization: req.headers.authorization,
    cookie: req.headers.cookie,
    url: req.url,
  });
  if (d.status === 200) {
    if (d.setCookie) res.setHeader('set-cookie', d.setCookie);
    return false;
  }
  res.writeHead(d.status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...(d.status === 401 ? { 'www-authenticate': 'Bearer realm="swarmop status page"' } : {}),
  });
  res.end(d.message);
  return true;
}

/** `page` (any route) answering only requests that pass `policy`. */
export function guardedRoute<R extends { owns(path: string): boolean; handle(req: IncomingMessage, res: ServerResponse): Promise<void> }>(
  page: R,
  policy: UiAccessPolicy,
): { owns(path: string): boolean; handle(req: IncomingMessage, res: ServerResponse): Promise<void> } {
  return {
    owns: (path) => page.owns(path),
    handle: async (req, res) => {
      if (refuseUnlessAllowed(policy, req, res)) return;
      await page.handle(req, res);
    },
  };
}
