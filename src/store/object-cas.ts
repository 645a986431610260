/**
 * Single-object writes of an objects key, each a compare-and-set on the index just read and
 * journaled in the same transaction: the building blocks of the read-modify-CAS loops (update,
 * delete, finalizers). A lost race is `false`, never an exception, so the loops can re-read.
 */
import { SwarmopError } from '../errors.js';
import { isTxnConflict } from './kv-errors.js';
import type { StoreContext } from './store-context.js';
import type { KvTxnOp } from './kv.js';
import { objectKey, revisionsKey, statusKey } from './store-keys.js';

/** Compare-and-set of one objects key with its journal entry; false when the index did not match. */
export async function casObject(ctx: StoreContext, key: string, value: string, index: number): Promise<boolean> {
  return casObjectWith(ctx, key, value, index, []);
}

/** casObject plus other operations (e.g. a revisions write) in the same transaction. */
export async function casObjectWith(
  ctx: StoreContext,
  key: string,
  value: string,
  index: number,
  more: readonly KvTxnOp[],
): Promise<boolean> {
  try {
    await ctx.journal.txn([{ verb: 'cas', key, value, index }, ...more], [key]);
    return true;
  } catch (err) {
    if (isTxnConflict(err)) return false;
    throw err;
  }
}

/** Deletes objects + status + revisions keys if the objects key is still at `index`; false on a lost race. */
export async function removeObjectKeys(ctx: StoreContext, kind: string, name: string, index: number): Promise<boolean> {
  try {
    const key = objectKey(ctx.prefix, kind, name);
    await ctx.journal.txn(
      [
        { verb: 'delete-cas', key, index },
        { verb: 'delete', key: statusKey(ctx.prefix, kind, name) },
        { verb: 'delete', key: revisionsKey(ctx.prefix, kind, name) },
      ],
      [key],
    );
    return true;
  } catch (err) {
    if (isTxnConflict(err)) return false;
    throw err;
  }
}

/** The error of a read-modify-CAS loop that lost every attempt. */
export function lostRace(kind: string, name: string, what: string): SwarmopError {
  return new SwarmopError(
    'Conflict',
    `could not ${what} ${kind.toLowerCase()}/${name}: it kept changing underneath (lost every compare-and-set)`,
  );
}
