/**
 * The prune part of a one-shot `apply --prune`: the stored objects of the set (chosen by the
 * caller's predicate on kind and labels, e.g. an applyset's membership label or a selector) that
 * the manifests no longer declare. Planned as writes of the same all-or-nothing apply: an object
 * without finalizers is deleted (objects key compare-and-set, with its status and revisions); one
 * with finalizers gets its deletionTimestamp, as `delete` does, and goes once they have run.
 */
import type { Resource } from '../crds/meta.js';
import type { KvPair } from './kv.js';
import type { PlannedWrite } from './apply-plan.js';
import type { StoreContext } from './store-context.js';
import { objectKey, parseKey, revisionsKey, sectionPrefix, statusKey } from './store-keys.js';
import { parseStoredLoosely, serialize } from './stored-document.js';

export interface PruneSelection {
  /** Whether a stored object belongs to the set being applied. */
  matches(kind: string, labels: Readonly<Record<string, string>>): boolean;
}

export interface PlannedPrune {
  kind: string;
  name: string;
  action: 'pruned' | 'terminating';
}

export async function planPrune(
  ctx: StoreContext,
  declared: readonly Resource[],
  selection: PruneSelection,
): Promise<{ prunes: PlannedPrune[]; writes: PlannedWrite[] }> {
  const keep = new Set(declared.map((r) => objectKey(ctx.prefix, r.kind, r.metadata.name)));
  const listing = await ctx.kv.list(sectionPrefix(ctx.prefix, 'objects'));
  const targets: { kind: string; name: string; pair: KvPair }[] = [];
  for (const pair of listing.pairs) {
    const parsed = parseKey(ctx.prefix, pair.key);
    if (!parsed || parsed.section !== 'objects' || keep.has(pair.key)) continue;
    const doc = parseStoredLoosely(pair.value);
    if (!doc || doc.metadata.deletionTimestamp) continue;
    if (selection.matches(parsed.kind, doc.metadata.labels ?? {})) targets.push({ kind: parsed.kind, name: parsed.name, pair });
  }
  const prunes: PlannedPrune[] = [];
  const writes: PlannedWrite[] = [];
  for (const { kind, name, pair } of targets) {
    const doc = parseStoredLoosely(pair.value)!;
    if ((doc.metadata.finalizers?.length ?? 0) > 0) {
      doc.metadata.deletionTimestamp = ctx.now().toISOString();
      writes.push({ kind, name, key: pair.key, value: serialize(doc), index: pair.modifyIndex, previous: pair.value });
      prunes.push({ kind, name, action: 'terminating' });
      continue;
    }
    // Status and revisions go with the object; read first so a failed apply can put them back.
    const [st, rev] = await Promise.all([ctx.kv.get(statusKey(ctx.prefix, kind, name)), ctx.kv.get(revisionsKey(ctx.prefix, kind, name))]);
    writes.push({ kind, name, key: pair.key, value: '', index: pair.modifyIndex, previous: pair.value, verb: 'delete-cas' });
    for (const side of [st, rev]) {
      if (side)
        writes.push({
          kind,
          name,
          key: side.key,
          value: '',
          index: side.modifyIndex,
          previous: side.value,
          verb: 'delete',
          unjournaled: true,
        });
    }
    prunes.push({ kind, name, action: 'pruned' });
  }
  return { prunes, writes };
}
