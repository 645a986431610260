/**
 * The cache indexes each kind's objects are kept under (client-go's Indexers): index name ->
 * the values an object is found under. The operator's object indexes maintain them per changed object;
 * reconcilers read them through `ObjectCache.byIndex`. Caches without indexes (unit-test fakes)
 * answer `byIndex` with `scanByIndex`, which gives the same result by scanning.
 */
import type { KindName } from '../crds/index.js';
import type { KindTypes } from './kind-reconciler.js';
import { CLAIMS_INDEX, claimKeys, serviceClaimKeys } from './address-claims.js';

/** Attachments by host name (the keys a host's events and reachability map to). */
export const HOST_INDEX = 'host';

/** Attachments by uid (the name when a document has none): what their interface names derive from. */
export const UID_INDEX = 'uid';

/** ServiceAddresses by Swarm service name (what a task container's event names). */
export const SERVICE_INDEX = 'service';

export type KindIndexers = { readonly [K in KindName]?: Readonly<Record<string, (object: KindTypes[K]) => readonly string[]>> };

export const KIND_INDEXERS: KindIndexers = {
  StaticIPAttachment: {
    [CLAIMS_INDEX]: (a) => claimKeys(a.spec),
    [HOST_INDEX]: (a) => [a.spec.host],
    [UID_INDEX]: (a) => [a.metadata.uid ?? a.metadata.name],
  },
  // Filed under the same claim keys as attachments' addresses: one lookup finds both kinds.
  ServiceAddresses: {
    [CLAIMS_INDEX]: (s) => serviceClaimKeys(s.spec),
    [SERVICE_INDEX]: (s) => [s.spec.service],
  },
};

/** `byIndex` by scanning `objects` (the same answer as an index, in O(n)). */
export function scanByIndex<K extends KindName>(kind: K, index: string, value: string, objects: readonly KindTypes[K][]): KindTypes[K][] {
  const indexer = KIND_INDEXERS[kind]?.[index] as ((o: KindTypes[K]) => readonly string[]) | undefined;
  if (!indexer) throw new Error(`no index ${index} for ${kind}`);
  return objects.filter((o) => indexer(o).includes(value));
}
