/**
 * An object's revisions: every write that changes its spec records the new spec, with who wrote it
 * and when, in `<prefix>revisions/<plural>/<name>` (a bounded JSON array, oldest first; the
 * revision number is the object's generation). The entry is written in the same transaction as
 * the object, compare-and-set on the revisions key, so history never disagrees with the object;
 * it is deleted with the object's keys.
 */
import type { KvPair, KvTxnOp } from './kv.js';
import type { StoreContext } from './store-context.js';
import { revisionsKey } from './store-keys.js';
import { parseJson } from './stored-document.js';
import { changedPaths } from './three-way-merge.js';

export const DEFAULT_REVISION_LIMIT = 10;

export interface Revision {
  /** The object's generation once this spec was written. */
  revision: number;
  time: string;
  /** The field manager (apply), or who changed it (user@host of edit, patch, rollback). */
  manager: string;
  /** What changed against the previous spec, e.g. "spec.address" or "created". */
  change: string;
  spec: Record<string, unknown>;
}

/** Who wrote a spec change: the field manager, or the CLI's user@host. */
export interface WriteAuthor {
  manager: string;
  /** Replaces the computed change summary (e.g. "rollback to revision 1"). */
  change?: string;
}

export function parseRevisions(value: string | undefined): Revision[] {
  const v = value === undefined ? undefined : parseJson(value);
  if (!Array.isArray(v)) return [];
  return v.filter(
    (r): r is Revision =>
      r !== null &&
      typeof r === 'object' &&
      Number.isInteger(r.revision) &&
      typeof r.time === 'string' &&
      typeof r.manager === 'string' &&
      typeof r.spec === 'object',
  );
}

/** "created", or the changed spec paths (at most 4 named). */
export function changeSummary(before: Record<string, unknown> | undefined, after: Record<string, unknown>): string {
  if (before === undefined) return 'created';
  const paths = changedPaths(before, after).map((p) => `spec${p}`);
  if (paths.length === 0) return 'no spec change';
  return paths.length <= 4 ? paths.join(', ') : `${paths.slice(0, 4).join(', ')} and ${paths.length - 4} more`;
}

export interface RevisionWrite {
  key: string;
  op: KvTxnOp;
  value: string;
  /** The revisions key as read (undefined: none yet). */
  previous?: KvPair;
}

/** The compare-and-set that appends `entry` to the revisions read in `current`, keeping the last `limit`. */
export function revisionWrite(ctx: StoreContext, kind: string, name: string, current: KvPair | undefined, entry: Revision): RevisionWrite {
  const key = revisionsKey(ctx.prefix, kind, name);
  const kept = parseRevisions(current?.value).filter((r) => r.revision < entry.revision);
  const value = JSON.stringify([...kept, entry].slice(-Math.max(1, ctx.revisionLimit)));
  return { key, value, op: { verb: 'cas', key, value, index: current?.modifyIndex ?? 0 }, ...(current ? { previous: current } : {}) };
}

export async function readRevisions(ctx: StoreContext, kind: string, name: string): Promise<Revision[]> {
  return parseRevisions((await ctx.kv.get(revisionsKey(ctx.prefix, kind, name)))?.value);
}
