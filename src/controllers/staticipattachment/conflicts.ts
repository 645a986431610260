/**
 * AddressConflict: two attachments claiming one IPv4 address (on any hosts), or one
 * host+container+interface. The older claim wins (creationTimestamp, then name); the newer one is
 * refused and touches nothing, so a typo in a new manifest can never take over a working address.
 */
import type { ObjectMeta } from '../../crds/index.js';
import { parseCidr } from '../../crds/formats.js';
import type { AttachmentSpec } from './spec.js';

export interface Conflict {
  /** Name of the older attachment that keeps the claim. */
  with: string;
  message: string;
}

function ipOf(spec: Partial<AttachmentSpec>): number | undefined {
  return typeof spec.address === 'string' ? parseCidr(spec.address)?.address : undefined;
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
  const candidates = all
    .filter((o) => o.metadata.name !== self.metadata.name && isOlder(o, self))
    .sort((a, b) => (isOlder(a, b) ? -1 : 1));
  for (const other of candidates) {
    const spec = other.spec as Partial<AttachmentSpec>;
    if (ip !== undefined && ipOf(spec) === ip) {
      return {
        with: other.metadata.name,
        message: `address ${self.spec.address.split('/')[0]} is already claimed by staticipattachment/${other.metadata.name} (older); nothing was changed`,
      };
    }
    if (spec.host === self.spec.host && spec.container === self.spec.container && spec.interface === iface) {
      return {
        with: other.metadata.name,
        message: `${iface} of container ${self.spec.container} on ${self.spec.host} is already claimed by staticipattachment/${other.metadata.name} (older); nothing was changed`,
      };
    }
  }
  return undefined;
}
