/**
 * AddressConflict: two attachments claiming one IPv4 address (on any hosts), or one
 * host+container+interface. A ServiceAddresses claims every address of its slots: its addresses
 * conflict with attachments' and other ServiceAddresses' in the same way (same index, same rule). The older claim wins (creationTimestamp, then name); the newer one is
 * refused and touches nothing, so a typo in a new manifest can never take over a working address.
 */
import type { ObjectMeta } from '../crds/index.js';
import { parseCidr } from '../crds/formats.js';
import { slotAddresses, type ServiceAddressesSpec } from '../crds/service-addresses.js';
import type { AttachmentSpec } from './staticipattachment/desired.js';

export interface Conflict {
  /** Name of the older attachment that keeps the claim. */
  with: string;
  message: string;
}

/**
 * Parsed addresses by spec object. Every reconcile compares its attachment with all others (the
 * cache's objects, unchanged until their document changes), so without this a full sync of n
 * attachments parsed n^2 CIDRs; an edited document is a new object and is parsed again.
 */
const parsedIps = new WeakMap<object, number | undefined>();

function ipOf(spec: Partial<AttachmentSpec>): number | undefined {
  if (parsedIps.has(spec)) return parsedIps.get(spec);
  const ip = typeof spec.address === 'string' ? parseCidr(spec.address)?.address : undefined;
  parsedIps.set(spec, ip);
  return ip;
}

const parsedSlotIps = new WeakMap<object, number[]>();

/** Every address a spec of either kind claims: an attachment's one, a ServiceAddresses' slots'. */
function ipsOf(spec: object): number[] {
  const s = spec as Partial<AttachmentSpec> & Partial<ServiceAddressesSpec>;
  if (s.addresses === undefined && s.addressRange === undefined) {
    const ip = ipOf(s);
    return ip === undefined ? [] : [ip];
  }
  let ips = parsedSlotIps.get(spec);
  if (!ips) {
    ips = slotAddresses(s).flatMap((a) => parseCidr(a)?.address ?? []);
    parsedSlotIps.set(spec, ips);
  }
  return ips;
}

/** The index values of a ServiceAddresses: one per slot address. */
export function serviceClaimKeys(spec: Partial<ServiceAddressesSpec>): string[] {
  return ipsOf(spec).map((ip) => `ip:${ip}`);
}

/** The cache index of what attachments claim (see claimKeys). */
export const CLAIMS_INDEX = 'claims';

/**
 * What an attachment claims, as index values: its IPv4 address and its host+container+interface.
 * Two attachments can only conflict when they share one of these, so a reconcile looks at the few
 * attachments under its own keys instead of every attachment (findConflict checks each exactly).
 */
export function claimKeys(spec: Partial<AttachmentSpec>): string[] {
  const ip = ipOf(spec);
  const slot = `slot:${JSON.stringify([spec.host ?? null, spec.container ?? null, spec.interface ?? null])}`;
  return ip === undefined ? [slot] : [`ip:${ip}`, slot];
}

/** The attachments that may conflict with `spec`: those found under any of its claim keys. */
export function claimCandidates<T>(spec: Partial<AttachmentSpec>, byKey: (key: string) => readonly T[]): T[] {
  const keys = claimKeys(spec);
  if (keys.length === 1) return [...byKey(keys[0]!)];
  return [...new Set(keys.flatMap((k) => byKey(k)))];
}

function isOlder(a: { metadata: ObjectMeta }, b: { metadata: ObjectMeta }): boolean {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) {
    const na = Date.parse(ta);
    const nb = Date.parse(tb);
    if (!Number.isNaN(na) && !Number.isNaN(nb)) return na < nb;
    return ta < tb;
  }
  return a.metadata.name < b.metadata.name;
}

function kindOf(o: { kind?: string }): string {
  return (o.kind ?? 'StaticIPAttachment').toLowerCase();
}

/**
 * The oldest older object (attachment or ServiceAddresses) claiming one of a ServiceAddresses'
 * addresses, and which address.
 */
export function findServiceAddressConflict(
  self: { metadata: ObjectMeta; spec: ServiceAddressesSpec },
  all: readonly { metadata: ObjectMeta; kind?: string; spec: unknown }[],
): Conflict | undefined {
  const mine = new Set(ipsOf(self.spec));
  let oldest: { other: { metadata: ObjectMeta; kind?: string }; ip: number } | undefined;
  for (const other of all) {
    if (other.metadata.name === self.metadata.name && kindOf(other) === 'serviceaddresses') continue;
    const ip = ipsOf(other.spec as object).find((x) => mine.has(x));
    if (ip !== undefined && isOlder(other, self) && (!oldest || isOlder(other, oldest.other))) oldest = { other, ip };
  }
  if (!oldest) return undefined;
  const addr =
    slotAddresses(self.spec)
      .find((a) => parseCidr(a)?.address === oldest.ip)
      ?.split('/')[0] ?? '?';
  return {
    with: oldest.other.metadata.name,
    message: `address ${addr} is already claimed by ${kindOf(oldest.other)}/${oldest.other.metadata.name} (older); nothing was changed`,
  };
}

export function findConflict(
  self: { metadata: ObjectMeta; spec: AttachmentSpec },
  all: readonly { metadata: ObjectMeta; kind?: string; spec: unknown }[],
): Conflict | undefined {
  const ip = ipOf(self.spec);
  const iface = self.spec.interface;
  // The oldest older claim wins. One pass, ages compared only for the (rare) conflicting ones:
  // sorting every other attachment by age on every reconcile made a full sync O(n^2 log n).
  let oldest: { metadata: ObjectMeta; kind?: string; spec: unknown } | undefined;
  for (const other of all) {
    if (other.metadata.name === self.metadata.name && kindOf(other) === 'staticipattachment') continue;
    const spec = other.spec as Partial<AttachmentSpec>;
    const claims =
      (ip !== undefined && ipsOf(spec).includes(ip)) ||
      (spec.host === self.spec.host && spec.container === self.spec.container && spec.interface === iface);
    if (claims && isOlder(other, self) && (!oldest || isOlder(other, oldest))) oldest = other;
  }
  if (!oldest) return undefined;
  if (ip !== undefined && ipsOf(oldest.spec as object).includes(ip)) {
    return {
      with: oldest.metadata.name,
      message: `address ${self.spec.address.split('/')[0]} is already claimed by ${kindOf(oldest)}/${oldest.metadata.name} (older); nothing was changed`,
    };
  }
  return {
    with: oldest.metadata.name,
    message: `${iface} of container ${self.spec.container} on ${self.spec.host} is already claimed by staticipattachment/${oldest.metadata.name} (older); nothing was changed`,
  };
}
