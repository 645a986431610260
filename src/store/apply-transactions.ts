/**
 * Writes an apply's planned compare-and-sets all or nothing: in /v1/txn batches within Consul's
 * limits (64 operations, 512 KiB body; each batch journaled), and when a later batch fails, the
 * earlier ones are undone with compensating CAS writes, so Consul never keeps half of an apply.
 * A write someone else changed meanwhile is left as theirs and named in the error. A prune's
 * deletes are undone by writing the value back where the key is still absent.
 */
import { SwarmopError } from '../errors.js';
import { isTxnConflict } from './kv-errors.js';
import type { KvTxnOp } from './kv.js';
import type { PlannedWrite } from './apply-plan.js';
import { JOURNAL_FIXED_BYTES, JOURNAL_TXN_OPS, journalKeyBytes } from './object-journal.js';
import type { StoreContext } from './store-context.js';
import { parseKey } from './store-keys.js';
import { txnBatches, txnOpBytes, type TxnReserve } from './txn-batches.js';

interface DoneWrite extends PlannedWrite {
  newIndex: number;
}

/** Every objects-key transaction carries the journal's operations and its entry's fixed part. */
const JOURNAL_RESERVE: TxnReserve = { ops: JOURNAL_TXN_OPS, bytes: JOURNAL_FIXED_BYTES };

/** Writes every planned CAS; on a failure undoes the batches already written, then throws. */
export async function writeAllOrNothing(ctx: StoreContext, writes: readonly PlannedWrite[]): Promise<void> {
  const done: DoneWrite[] = [];
  const size = (w: PlannedWrite): number => txnOpBytes(w.key, w.verb ? undefined : w.value) + journalKeyBytes(w.key);
  for (const batch of txnBatches(writes, size, JOURNAL_RESERVE)) {
    try {
      const res = await ctx.journal.txn(
        batch.map(opOf),
        batch.filter((w) => !w.unjournaled).map((w) => w.key),
      );
      const newIndex = new Map(res.results.map((p) => [p.key, p.modifyIndex]));
      for (const w of batch) done.push({ ...w, newIndex: newIndex.get(w.key) ?? 0 });
    } catch (err) {
      const unrolled = done.length > 0 ? await rollback(ctx, done) : [];
      throw applyFailure(err, batch, done.length > 0, unrolled, ctx.prefix);
    }
  }
}

function opOf(w: PlannedWrite): KvTxnOp {
  if (w.verb === 'delete-cas') return { verb: 'delete-cas', key: w.key, index: w.index };
  if (w.verb === 'delete') return { verb: 'delete', key: w.key };
  return { verb: 'cas', key: w.key, value: w.value, index: w.index };
}

/** Compensating CAS writes for a failed apply; returns what could not be undone. */
async function rollback(ctx: StoreContext, allDone: readonly DoneWrite[]): Promise<string[]> {
  const undo = (w: DoneWrite): KvTxnOp =>
    w.verb !== undefined
      ? // A pruned key comes back only if nobody created it again meanwhile.
        { verb: 'cas', key: w.key, value: w.previous ?? '', index: 0 }
      : w.previous === undefined
        ? { verb: 'delete-cas', key: w.key, index: w.newIndex }
        : { verb: 'cas', key: w.key, value: w.previous, index: w.newIndex };
  const done = allDone.filter((w) => w.verb === undefined || w.previous !== undefined);
  const failed: string[] = [];
  const size = (w: DoneWrite): number => txnOpBytes(w.key, w.previous) + journalKeyBytes(w.key);
  for (const batch of txnBatches(done, size, JOURNAL_RESERVE)) {
    try {
      await ctx.journal.txn(
        batch.map(undo),
        batch.filter((w) => !w.unjournaled).map((w) => w.key),
      );
    } catch {
      // Someone changed one of them meanwhile: undo the others one by one, keep theirs.
      for (const w of batch) {
        try {
          await ctx.journal.txn([undo(w)], w.unjournaled ? [] : [w.key]);
        } catch (err) {
          failed.push(
            `${w.kind.toLowerCase()}/${w.name}: not rolled back (${isTxnConflict(err) ? 'changed by someone else meanwhile' : (err as Error).message})`,
          );
        }
      }
    }
  }
  return failed;
}

function applyFailure(
  err: unknown,
  batch: readonly PlannedWrite[],
  hadWrites: boolean,
  unrolled: readonly string[],
  prefix: string,
): Error {
  const rollbackNote = unrolled.length > 0 ? ['rollback incomplete:', ...unrolled] : [];
  if (isTxnConflict(err)) {
    const names = err.keys.map((key) => {
      const parsed = parseKey(prefix, key);
      const w = batch.find((b) => b.key === key);
      const what = w?.index === 0 ? 'was created by someone else meanwhile' : 'was changed by someone else meanwhile';
      return parsed ? `${parsed.kind.toLowerCase()}/${parsed.name} ${what}` : `${key} ${what}`;
    });
    const summary = unrolled.length > 0 ? 'the apply was only partly rolled back' : 'nothing was applied';
    return new SwarmopError('Conflict', `conflict: ${names.join('; ')}; ${summary}`, { details: rollbackNote });
  }
  if (err instanceof SwarmopError) {
    const outcome = !hadWrites
      ? 'earlier batches: none'
      : unrolled.length > 0
        ? 'earlier batches partly rolled back'
        : 'earlier batches rolled back';
    return new SwarmopError(err.code, `${err.message} (during apply; ${outcome})`, {
      details: [...err.details, ...rollbackNote],
    });
  }
  return err instanceof Error ? err : new SwarmopError('Internal', String(err));
}
