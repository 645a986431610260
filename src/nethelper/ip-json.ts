/**
 * Parsing of `ip -j -d addr show` and `ip -j route show` (iproute2's JSON output) into the few
 * facts the planner compares. Unknown fields are ignored; malformed output is an error, never
 * "nothing there" (which would make the planner recreate a working attachment).
 */
import { SwarmopError } from '../errors.js';

export interface NetAddress {
  ip: string;
  prefix: number;
}

export interface NetLink {
  ifindex: number;
  name: string;
  /** Admin state (IFF_UP). */
  up: boolean;
  mtu: number;
  mac: string;
  /** Bridge (or bond) this link is enslaved to. */
  master?: string;
  /** linkinfo.info_kind: bridge, veth, ... */
  kind?: string;
  /** Peer's ifindex (veth): in the peer's namespace when `peerInOtherNetns`. */
  peerIfindex?: number;
  /** Peer's name when the peer is in the same namespace. */
  peerName?: string;
  peerInOtherNetns: boolean;
  /** Global-scope IPv4 addresses. */
  addresses: NetAddress[];
}

export interface NetRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  onlink: boolean;
}

function fail(what: string, detail: string): never {
  throw new SwarmopError('Internal', `cannot parse ${what}: ${detail}`);
}

function parseArray(text: string, what: string): unknown[] {
  const t = text.trim();
  if (t === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (err) {
    fail(what, `${(err as Error).message} in ${JSON.stringify(t.slice(0, 120))}`);
  }
  if (!Array.isArray(v)) fail(what, 'expected a JSON array');
  return v;
}

type Json = Record<string, unknown>;

export function parseLinks(text: string, what = 'ip -j addr'): NetLink[] {
  return parseArray(text, what).map((raw) => {
    const o = raw as Json;
    if (typeof o.ifindex !== 'number' || typeof o.ifname !== 'string') fail(what, 'link without ifindex/ifname');
    const flags = Array.isArray(o.flags) ? (o.flags as unknown[]) : [];
    const linkinfo = (o.linkinfo ?? {}) as Json;
    const addrInfo = Array.isArray(o.addr_info) ? (o.addr_info as Json[]) : [];
    const link: NetLink = {
      ifindex: o.ifindex,
      // Older iproute2 prints "eth1@if7" style names in some modes; keep only the name.
      name: o.ifname.split('@')[0]!,
      up: flags.includes('UP'),
      mtu: typeof o.mtu === 'number' ? o.mtu : 0,
      mac: typeof o.address === 'string' ? o.address.toLowerCase() : '',
      peerInOtherNetns: o.link_netnsid !== undefined,
      addresses: addrInfo
        .filter((a) => a.family === 'inet' && (a.scope === undefined || a.scope === 'global') && typeof a.local === 'string')
        .map((a) => ({ ip: a.local as string, prefix: Number(a.prefixlen) })),
    };
    if (typeof o.master === 'string') link.master = o.master;
    if (typeof linkinfo.info_kind === 'string') link.kind = linkinfo.info_kind;
    if (typeof o.link_index === 'number') link.peerIfindex = o.link_index;
    if (typeof o.link === 'string') link.peerName = o.link;
    return link;
  });
}

export function parseRoutes(text: string, what = 'ip -j route'): NetRoute[] {
  return parseArray(text, what).map((raw) => {
    const o = raw as Json;
    if (typeof o.dst !== 'string') fail(what, 'route without dst');
    const flags = Array.isArray(o.flags) ? (o.flags as unknown[]) : [];
    const route: NetRoute = { dst: o.dst, onlink: flags.includes('onlink') };
    if (typeof o.gateway === 'string') route.gateway = o.gateway;
    if (typeof o.dev === 'string') route.dev = o.dev;
    return route;
  });
}
