/**
 * AddressConflict: two attachments claiming one IPv4 address (on any hosts), or one
 * host+container+interface. The older claim wins (creationTimestamp, then name); the newer one is
 * refused and touches nothing, so a typo in a new manifest can never take over a working address.
 */
import type { ObjectMeta } from '../../crds/index.js';
import { parseCidr } from '../../crds/formats.js';
import type { AttachmentSpec } from './desired.js';

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

export function findConflict(self: { metadata: ObjectMeta; spec: AttachmentSpec }, all: readonly { metadata: ObjectMeta; spec: unknown }[]): Conflict | undefined {
  const ip = ipOf(self.spec);
  const iface = self.spec.interface;
  // The oldest older claim wins. One pass, ages compared only for the (rare) conflicting ones:
  // sorting every other attachment by age on every reconcile made a full sync O(n^2 log n).
  let oldest: { metadata: ObjectMeta; spec: unknown } | undefined;
  for (const other of all) {
    if (other.metadata.name === self.metadata.name) continue;
    const spec = other.spec as Partial<AttachmentSpec>;
    const claims =
      (ip !== undefined && ipOf(spec) === ip) ||
      (spec.host === self.spec.host && spec.container === self.spec.container && spec.interface === iface);
    if (claims && isOlder(other, self) && (!oldest || isOlder(other, oldest))) oldest = other;
  }
  if (!oldest) return undefined;
  if (ip !== undefined && ipOf(oldest.spec as Partial<AttachmentSpec>) === ip) {
    return {
      with: oldest.metadata.name,
      message: `address ${self.spec.address.split('/')[0]} is already claimed by staticipattachment/${oldest.metadata.name} (older); nothing was changed`,
    };
  }
  return {
    with: oldest.metadata.name,
    message: `${iface} of container ${self.spec.container} on ${self.spec.host} is already claimed by staticipattachment/${oldest.metadata.name} (older); nothing was changed`,
  };
}
