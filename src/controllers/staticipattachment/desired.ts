/**
 * The attachment as this controller needs it: the spec re-validated (its values end up in `ip`
 * argument lists on a host, so they are checked here again even though apply validated them) and
 * normalised into one `Desired` value that the pure planner works from.
 */
import { createHash } from 'node:crypto';
import type { StaticIPAttachment, StaticIPAttachmentSpec } from '../../crds/index.js';
import { FORMAT_CHECKS, formatIPv4, parseCidr } from '../../crds/formats.js';
import { SwarmopError } from '../../errors.js';

/**
 * The spec as the controller gets it: the store validates and defaults every document it reads,
 * so bridge and interface are always there and a gateway is always inside the address's subnet.
 */
export type AttachmentSpec = StaticIPAttachmentSpec;
export type AttachmentResource = StaticIPAttachment;

export interface Desired {
  host: string;
  container: string;
  bridge: string;
  uplink?: string;
  ownBridge: boolean;
  iface: string;
  /** Dotted IPv4 without prefix. */
  ip: string;
  prefix: number;
  /** `ip/prefix` as `ip addr add` takes it. */
  cidr: string;
  gateway?: string;
  /** Lower-case MAC, when the spec fixes one. */
  mac?: string;
  /** Host end of the veth pair, deterministic from the uid so restarts and delete find it. */
  hostVeth: string;
  /** Temporary name of the container end while it is still in the host's namespace. */
  peerVeth: string;
}

/** `swv` + 12 hex chars of sha256(uid): 15 characters, the kernel's limit. */
export function vethNames(uidOrName: string): { hostVeth: string; peerVeth: string } {
  const h = createHash('sha256').update(uidOrName).digest('hex').slice(0, 12);
  return { hostVeth: `swv${h}`, peerVeth: `swp${h}` };
}

function check(format: string, field: string, value: string, problems: string[]): void {
  const reason = FORMAT_CHECKS[format]?.(value);
  if (reason !== undefined) problems.push(`spec.${field}: ${reason}`);
}

export function desiredFor(resource: AttachmentResource): Desired {
  const spec = resource.spec;
  const problems: string[] = [];
  const { bridge, interface: iface } = spec;
  check('dns-label', 'host', spec.host, problems);
  check('container-name', 'container', spec.container, problems);
  check('ifname', 'bridge', bridge, problems);
  check('ifname', 'interface', iface, problems);
  check('ipv4-cidr', 'address', spec.address, problems);
  if (spec.uplink !== undefined) check('ifname', 'uplink', spec.uplink, problems);
  if (spec.mac !== undefined) check('mac', 'mac', spec.mac, problems);
  if (spec.gateway !== undefined) check('ipv4', 'gateway', spec.gateway, problems);
  if (spec.uplink !== undefined && spec.uplink === bridge) problems.push('spec.uplink: must differ from spec.bridge');
  const cidr = parseCidr(spec.address);
  if (problems.length > 0 || !cidr) {
    throw new SwarmopError('Invalid', `staticipattachment/${resource.metadata.name}: invalid spec`, { details: problems });
  }
  const ip = formatIPv4(cidr.address);
  return {
    host: spec.host,
    container: spec.container,
    bridge,
    ...(spec.uplink !== undefined ? { uplink: spec.uplink } : {}),
    ownBridge: spec.ownBridge === true,
    iface,
    ip,
    prefix: cidr.prefix,
    cidr: `${ip}/${cidr.prefix}`,
    ...(spec.gateway !== undefined ? { gateway: spec.gateway } : {}),
    ...(spec.mac !== undefined ? { mac: spec.mac.toLowerCase() } : {}),
    ...vethNames(resource.metadata.uid ?? resource.metadata.name),
  };
}
