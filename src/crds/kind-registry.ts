/** The registry of kinds and alias resolution (kind, singular, plural or short name, any case). */
import { consulClusterKind } from './consul-cluster.js';
import { dockerHostKind } from './docker-host.js';
import type { KindDefinition, KindInfo, KindName } from './kind-info.js';
import { staticIPAttachmentKind } from './static-ip-attachment.js';
import { swarmClusterKind } from './swarm-cluster.js';
import { serviceAddressesKind } from './service-addresses.js';

// Immutable data, like a scheme in controller-runtime; order is the order `get all` would print.
const DEFINITIONS = [dockerHostKind, consulClusterKind, swarmClusterKind, staticIPAttachmentKind, serviceAddressesKind] as const;

export const KINDS: readonly KindInfo[] = DEFINITIONS;

export function resolveKind(alias: string): KindInfo | undefined {
  const a = alias.trim().toLowerCase();
  return KINDS.find((k) => k.kind.toLowerCase() === a || k.singular === a || k.plural === a || k.shortNames.includes(a));
}

/** The kind's defaulting and semantic checks (internal to src/crds). */
export function definitionOf(kind: string): KindDefinition<unknown> | undefined {
  return (DEFINITIONS as readonly unknown[] as readonly KindDefinition<unknown>[]).find((k) => k.kind === kind) as
    KindDefinition<unknown> | undefined;
}

export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && DEFINITIONS.some((k) => k.kind === kind);
}
