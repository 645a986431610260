/**
 * The plan of an apply: every document validated and checked against what is stored before the
 * first write. Produces one compare-and-set per created or changed object (create = index 0) and
 * the per-object result; refuses the whole apply on invalid input, a duplicate, an object being
 * deleted, or a resourceVersion the document was not read at. `generation` moves only when the
 * spec changes; uid, creationTimestamp and finalizers are kept from the stored object. A managed
 * apply merges three-way (apply-merge.ts); every spec change also appends a revision (revisions.ts).
 */
import { MAX_STORED_DOCUMENT_BYTES, storedSize, validateResource } from '../crds/index.js';
import type { ObjectMeta, Resource } from '../crds/meta.js';
import { SwarmopError } from '../errors.js';
import type { KvPair } from './kv.js';
import type { StoreContext } from './store-context.js';
import { mergeForApply, type ManagedApplyOptions } from './apply-merge.js';
import { planPrune, type PruneSelection } from './apply-prune.js';
import { changeSummary, revisionWrite } from './revisions.js';
import { objectKey, revisionsKey, revisionsPrefix, sectionPrefix } from './store-keys.js';
import { parseStoredLoosely, sameJson, serialize, userMeta, type StoredDoc } from './stored-document.js';

/** `pruned`: deleted by apply --prune; `terminating`: pruned, but its finalizers run first. */
export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'terminating';

export interface ApplyResult {
  kind: string;
  name: string;
  action: ApplyAction;
}

/** One compare-and-set of an objects key. */
export interface PlannedWrite {
  kind: string;
  name: string;
  key: string;
  value: string;
  /** Index the write is conditional on (0 = create). */
  index: number;
  /** Value before the write, for rollback; undefined for a create. */
  previous?: string;
  /** Not an objects key (a revisions or status key): written in the same batch, not journaled. */
  unjournaled?: boolean;
  /** A prune's delete (delete-cas on index, or a plain delete); default a compare-and-set of value. */
  verb?: 'delete-cas' | 'delete';
}

export interface ApplyPlan {
  results: ApplyResult[];
  writes: PlannedWrite[];
}

/** Above this many documents, apply reads each kind with one list instead of one GET per object. */
const LIST_READ_THRESHOLD = 8;

export interface PlanOptions {
  /**
   * Apply as this field manager: three-way merge with its last-applied configuration, recorded
   * in the object (apply-merge.ts). Without one, the manifest replaces labels, annotations, spec.
   */
  managed?: ManagedApplyOptions;
  /** Who the revisions name when there is no manager (default "unknown"). */
  author?: string;
  /** Also delete the objects of this set that the documents do not declare (apply-prune.ts). */
  prune?: PruneSelection;
}

/** Reads the stored objects, plans the writes; throws Invalid or Conflict before anything is written. */
export async function planApply(ctx: StoreContext, resources: readonly Resource[], options: PlanOptions = {}): Promise<ApplyPlan> {
  const manifests = validateForApply(resources);
  const current = await readCurrent(ctx, manifests);
  const now = ctx.now().toISOString();
  const results: ApplyResult[] = [];
  const writes: PlannedWrite[] = [];
  const conflicts: string[] = [];
  const keyOf = (r: Resource): string => objectKey(ctx.prefix, r.kind, r.metadata.name);
  const storedOf = (r: Resource): StoredDoc | undefined => {
    const cur = current.get(keyOf(r));
    return cur ? parseStoredLoosely(cur.value) : undefined;
  };

  let incoming = manifests;
  if (options.managed) {
    const managed = options.managed;
    // Merged from the documents as written (not defaulted): a default is not a field the manifest set.
    const merged = resources.map((input) => {
      const { status: _ignored, ...raw } = input as Resource & { status?: unknown };
      return { raw, ...mergeForApply(raw, storedOf(raw), managed) };
    });
    for (const m of merged) {
      if (m.conflicts.length === 0) continue;
      conflicts.push(
        `${m.raw.kind.toLowerCase()}/${m.raw.metadata.name}: conflict with "${m.conflictsWith}" (it applied these fields last): ${m.conflicts.join(', ')}; ` +
          'apply them with --force-conflicts to take them over',
      );
    }
    incoming = validateForApply(
      merged.map((m) => m.doc),
      ", counting apply's last-applied record and the fields kept from the stored object",
    );
    incoming.forEach((r, i) => {
      const expected = merged[i]?.raw.metadata.resourceVersion;
      if (expected !== undefined) r.metadata.resourceVersion = expected;
    });
  }
  const manager = options.managed?.manager ?? options.author ?? 'unknown';
  const revisionsFor: {
    kind: string;
    name: string;
    before?: Record<string, unknown>;
    after: Record<string, unknown>;
    generation: number;
  }[] = [];

  for (const r of incoming) {
    const { kind } = r;
    const { name } = r.metadata;
    const key = objectKey(ctx.prefix, kind, name);
    const cur = current.get(key);
    if (!cur) {
      const metadata: ObjectMeta = { name, ...userMeta(r.metadata), uid: crypto.randomUUID(), generation: 1, creationTimestamp: now };
      writes.push({ kind, name, key, value: serialize({ apiVersion: r.apiVersion, kind, metadata, spec: r.spec }), index: 0 });
      results.push({ kind, name, action: 'created' });
      revisionsFor.push({ kind, name, after: r.spec, generation: 1 });
      continue;
    }
    const stored = parseStoredLoosely(cur.value);
    if (stored?.metadata?.deletionTimestamp) {
      conflicts.push(
        `${kind.toLowerCase()}/${name} is being deleted (since ${stored.metadata.deletionTimestamp}); apply it again once it is gone`,
      );
      continue;
    }
    const expected = r.metadata.resourceVersion;
    if (expected !== undefined && expected !== String(cur.modifyIndex)) {
      conflicts.push(`${kind.toLowerCase()}/${name} has resourceVersion ${cur.modifyIndex}, the document was read at ${expected}`);
      continue;
    }
    const specChanged = !sameJson(stored?.spec, r.spec);
    const metaChanged = !sameJson(userMeta(stored?.metadata ?? { name }), userMeta(r.metadata));
    if (!specChanged && !metaChanged && stored?.apiVersion === r.apiVersion) {
      results.push({ kind, name, action: 'unchanged' });
      continue;
    }
    const old = stored?.metadata ?? { name };
    const generation = Math.max((typeof old.generation === 'number' ? old.generation : 0) + (specChanged ? 1 : 0), 1);
    const metadata: ObjectMeta = {
      name,
      ...userMeta(r.metadata),
      uid: old.uid ?? crypto.randomUUID(),
      generation,
      creationTimestamp: old.creationTimestamp ?? now,
      ...(old.finalizers && old.finalizers.length > 0 ? { finalizers: old.finalizers } : {}),
    };
    writes.push({
      kind,
      name,
      key,
      value: serialize({ apiVersion: r.apiVersion, kind, metadata, spec: r.spec }),
      index: cur.modifyIndex,
      previous: cur.value,
    });
    results.push({ kind, name, action: 'configured' });
    if (specChanged) revisionsFor.push({ kind, name, before: stored?.spec, after: r.spec, generation });
  }

  if (conflicts.length > 0) {
    throw new SwarmopError('Conflict', conflicts.length === 1 ? conflicts[0]! : `${conflicts.length} objects cannot be applied`, {
      details: conflicts.length === 1 ? [] : conflicts,
    });
  }
  // The revisions of every changed spec, written in the same all-or-nothing batches as the objects.
  const revisions = await readKeys(
    ctx,
    revisionsFor,
    (kind) => revisionsPrefix(ctx.prefix, kind),
    (kind, name) => revisionsKey(ctx.prefix, kind, name),
  );
  const revPairs = revisionsFor.map((v) => revisions.get(revisionsKey(ctx.prefix, v.kind, v.name)));
  revisionsFor.forEach((v, i) => {
    const entry = { revision: v.generation, time: now, manager, change: changeSummary(v.before, v.after), spec: v.after };
    const rw = revisionWrite(ctx, v.kind, v.name, revPairs[i], entry);
    writes.push({
      kind: v.kind,
      name: v.name,
      key: rw.key,
      value: rw.value,
      index: revPairs[i]?.modifyIndex ?? 0,
      previous: revPairs[i]?.value,
      unjournaled: true,
    });
  });
  if (options.prune) {
    const pruned = await planPrune(ctx, incoming, options.prune);
    writes.push(...pruned.writes);
    results.push(...pruned.prunes);
  }
  return { results, writes };
}

/**
 * Validates and defaults every document (status dropped: it is never applied), refusing
 * documents too large for one transaction and duplicates; one Invalid error lists all problems.
 */
export function validateForApply(resources: readonly Resource[], sizeNote = ''): Resource[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  const valid: Resource[] = [];
  resources.forEach((input, i) => {
    // Status is never applied; system metadata is read only for resourceVersion.
    const { status: _ignored, ...doc } = input as Resource & { status?: unknown };
    const res = validateResource(doc);
    const label = `${String(input?.kind ?? `document ${i + 1}`)}/${String(input?.metadata?.name ?? '?')}`;
    if (!res.resource) {
      errors.push(...res.errors.map((e) => `${label}: ${e.path ? `${e.path}: ` : ''}${e.message}`));
      return;
    }
    const size = storedSize(res.resource);
    if (size > MAX_STORED_DOCUMENT_BYTES) {
      errors.push(
        `${label}: document is ${size} bytes as stored JSON, more than ${MAX_STORED_DOCUMENT_BYTES} bytes (what one Consul transaction can carry)${sizeNote}`,
      );
      return;
    }
    const id = `${res.resource.kind}/${res.resource.metadata.name}`;
    if (seen.has(id)) errors.push(`${label}: duplicate ${res.resource.kind} "${res.resource.metadata.name}" in this apply`);
    seen.add(id);
    valid.push(res.resource);
  });
  if (errors.length > 0) {
    throw new SwarmopError('Invalid', `${errors.length} error(s) in the documents; nothing was written`, { details: errors });
  }
  return valid;
}

async function readCurrent(ctx: StoreContext, resources: readonly Resource[]): Promise<Map<string, KvPair>> {
  return readKeys(
    ctx,
    resources.map((r) => ({ kind: r.kind, name: r.metadata.name })),
    (kind) => sectionPrefix(ctx.prefix, 'objects', kind),
    (kind, name) => objectKey(ctx.prefix, kind, name),
  );
}

/**
 * Reads one key per object: one GET each for a few, one list per kind for many. Hundreds of GETs
 * at once would open as many connections, and Consul resets a client address past 200
 * (limits.http_max_conns_per_client), also the operator's, which shares the address.
 */
async function readKeys(
  ctx: StoreContext,
  refs: readonly { kind: string; name: string }[],
  kindPrefix: (kind: string) => string,
  keyOf: (kind: string, name: string) => string,
): Promise<Map<string, KvPair>> {
  const found = new Map<string, KvPair>();
  if (refs.length > LIST_READ_THRESHOLD) {
    const kinds = [...new Set(refs.map((r) => r.kind))];
    const lists = await Promise.all(kinds.map((k) => ctx.kv.list(kindPrefix(k))));
    for (const l of lists) for (const p of l.pairs) found.set(p.key, p);
  } else {
    const pairs = await Promise.all(refs.map((r) => ctx.kv.get(keyOf(r.kind, r.name))));
    for (const p of pairs) if (p) found.set(p.key, p);
  }
  return found;
}
