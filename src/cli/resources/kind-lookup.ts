/** Kind lookup for the CLI: aliases (singular, plural, short, any case) to KindInfo, or a usage error. */
import { KINDS, resolveKind, type KindInfo } from '../../crds/index.js';
import { SwarmopError } from '../../errors.js';
import type { Resource } from '../../crds/meta.js';

export function requireKind(alias: string): KindInfo {
  const info = resolveKind(alias);
  if (!info) {
    // kubectl's `get events` habit: swarmop lists them with its own command.
    if (['events', 'event', 'ev'].includes(alias.toLowerCase())) {
      throw new SwarmopError('Invalid', 'events are not a resource type here: use swarmop events [KIND [NAME]] (-w to follow)');
    }
    const known = Object.values(KINDS)
      .map((k) => `${k.singular} (${[k.plural, ...k.shortNames].join(', ')})`)
      .join('; ');
    throw new SwarmopError('Invalid', `unknown resource type "${alias}"; known types: ${known}`);
  }
  return info;
}

/** `staticipattachment/web1`, the form every command prints. */
export function refOf(r: Pick<Resource, 'kind' | 'metadata'>): string {
  return `${r.kind.toLowerCase()}/${r.metadata.name}`;
}

export function notFound(kind: KindInfo, name: string): SwarmopError {
  return new SwarmopError('NotFound', `${kind.plural} "${name}" not found`);
}
