/**
 * The objects journal: a small change feed next to `<prefix>objects/`, so a watcher can learn
 * WHICH objects changed without re-listing all of them (10,000 documents are ~6 MB per listing).
 *
 *   <prefix>journal/objects/head    {"seq":N,"epoch":E,"slots":S}  the last sequence number
 *   <prefix>journal/objects/<slot>  {"seq":N,"epoch":E,"keys":["<plural>/<name>",...]}   slot = N mod slots
 *
 * Every ResourceStore write of an objects key (apply, rollback, delete, finalizer add/remove,
 * removal) goes through `ObjectJournal.txn`, which appends one entry in the SAME Consul
 * transaction: a CAS on `head` (seq+1) and a set of the slot. Sequence numbers are therefore
 * gap-free, and a reader that sees head=N and every seq in (last, N] in the slots has seen every
 * journaled change. The epoch is a random tag chosen when the head is created: a journal that
 * was deleted, or lost with an agent that restarted empty, starts a new epoch, so its numbers are
 * never mistaken for the old ones (entries of another epoch do not count). A missing seq (the
 * ring wrapped: more than `slots` writes since the reader's last look), another epoch, a head
 * below the reader's position or an unreadable entry is a gap: the reader must re-list `objects/`.
 * The ring size is fixed per epoch and recorded in the head, so a reader can GET one slot.
 * Writes that bypass the store (a document put into KV by hand) are not journaled: a reader tells
 * them apart because the index it woke on is not the ModifyIndex of any journal slot.
 *
 * Writers serialize on `head`: a transaction that lost only the head's CAS is retried with the
 * new head (the caller's own compare-and-sets are untouched); any other conflict is the caller's.
 * Each journaled transaction carries 2 extra operations: `JOURNAL_TXN_OPS`.
 *
 * The keys are built by store-keys.ts; JournalWatcher (journal-watcher.ts) is the reader.
 */
import { randomBytes } from 'node:crypto';
import { SwarmopError } from '../errors.js';
import { KvTxnConflictError, isTxnConflict } from './kv-errors.js';
import type { KvPair, KvStore, KvTxnOp, KvTxnResult } from './kv.js';
import { journalHeadKey, journalPrefixOf, journalSlotKey, sectionPrefix } from './store-keys.js';

/** Operations the journal adds to every journaled transaction (head CAS + slot set). */
export const JOURNAL_TXN_OPS = 2;
/** Default ring size: a reader more than this many transactions behind re-lists. */
export const DEFAULT_JOURNAL_SLOTS = 128;

export interface JournalHead {
  seq: number;
  epoch: string;
  /** Ring size, so a reader can GET the slot of one seq instead of listing the ring. */
  slots: number;
}

export interface JournalEntry {
  seq: number;
  epoch: string;
  /** Changed objects keys, relative to `<prefix>objects/` ("dockerhosts/a"). */
  keys: string[];
}

/** A head value; seq 0 and epoch '' for a missing or unreadable head. */
export function parseHead(value: string | undefined): JournalHead {
  try {
    const v = JSON.parse(value ?? '') as { seq?: unknown; epoch?: unknown; slots?: unknown };
    if (typeof v?.seq === 'number' && Number.isSafeInteger(v.seq) && v.seq > 0 && typeof v.epoch === 'string') {
      const slots = typeof v.slots === 'number' && Number.isSafeInteger(v.slots) && v.slots > 0 ? v.slots : 0;
      return { seq: v.seq, epoch: v.epoch, slots };
    }
  } catch {
    // unreadable: as if missing
  }
  return { seq: 0, epoch: '', slots: 0 };
}

/** A slot's entry; undefined when it is not one (a reader treats that as a gap if it needs it). */
export function parseEntry(value: string): JournalEntry | undefined {
  try {
    const v = JSON.parse(value) as { seq?: unknown; epoch?: unknown; keys?: unknown };
    if (typeof v?.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq <= 0 || typeof v.epoch !== 'string') return undefined;
    if (!Array.isArray(v.keys) || !v.keys.every((k) => typeof k === 'string')) return undefined;
    return { seq: v.seq, epoch: v.epoch, keys: v.keys as string[] };
  } catch {
    return undefined;
  }
}

/** What one listing of the journal prefix says: the head and the entries by seq. */
export interface JournalView {
  head: number;
  epoch: string;
  entries: Map<number, JournalEntry>;
  /** Raft indexes of the journaled writes still in the ring (= ModifyIndex of their objects keys). */
  writeIndexes: Set<number>;
}

/** Reads a listing of the journal of the store at `prefix` (the store's prefix). */
export function readJournal(prefix: string, pairs: readonly KvPair[]): JournalView {
  const headKey = journalHeadKey(prefix);
  const head = parseHead(pairs.find((p) => p.key === headKey)?.value);
  const entries = new Map<number, JournalEntry>();
  const writeIndexes = new Set<number>();
  for (const p of pairs) {
    if (p.key === headKey) continue;
    const e = parseEntry(p.value);
    if (e && e.epoch === head.epoch) {
      entries.set(e.seq, e);
      writeIndexes.add(p.modifyIndex);
    }
  }
  return { head: head.seq, epoch: head.epoch, entries, writeIndexes };
}

/**
 * The objects keys changed after position `since` (seq in `epoch`) up to the view's head, or
 * 'gap' when the journal cannot tell (wrapped, another epoch, unreadable). Empty: nothing new.
 */
export function changesSince(view: JournalView, since: { seq: number; epoch: string }): string[] | 'gap' {
  // A reader that has seen no journal yet (seq 0) can take any epoch from its first entry on.
  if (since.seq > 0 && view.epoch !== since.epoch) return 'gap';
  if (view.head < since.seq) return 'gap';
  const keys = new Set<string>();
  for (let seq = since.seq + 1; seq <= view.head; seq++) {
    const e = view.entries.get(seq);
    if (!e) return 'gap';
    for (const k of e.keys) keys.add(k);
  }
  return [...keys];
}

/** Request-body bytes one journaled objects key adds to its transaction (see txn-batches.ts). */
export function journalKeyBytes(objectKey: string): number {
  return Math.ceil((Buffer.byteLength(objectKey, 'utf8') + 3) / 3) * 4;
}

/** Request-body bytes of the journal's own two operations, without the keys. */
export const JOURNAL_FIXED_BYTES = 2 * (96 + 64) + 64;

export interface ObjectJournalOptions {
  kv: KvStore;
  /** The store's prefix (normalized, ends with "/" or is ''). */
  prefix: string;
  /** Ring size; default 128. */
  slots?: number;
  /** Head races tolerated per write before a Conflict error; default 64. */
  attempts?: number;
}

export class ObjectJournal {
  readonly objectsPrefix: string;
  readonly journalPrefix: string;
  readonly headKey: string;
  readonly #prefix: string;
  readonly #kv: KvStore;
  readonly #slots: number;
  readonly #attempts: number;
  /** Head as of our last write, so a lone writer needs no GET per transaction. */
  #head: (JournalHead & { index: number }) | undefined;

  constructor(options: ObjectJournalOptions) {
    this.#kv = options.kv;
    this.#prefix = options.prefix;
    this.#slots = options.slots ?? DEFAULT_JOURNAL_SLOTS;
    this.#attempts = options.attempts ?? 64;
    this.objectsPrefix = sectionPrefix(options.prefix, 'objects');
    this.journalPrefix = journalPrefixOf(options.prefix);
    this.headKey = journalHeadKey(options.prefix);
  }

  /**
   * Runs `ops` (at most 64 - JOURNAL_TXN_OPS) atomically together with one journal entry naming
   * `changedKeys` (full objects keys). Results of the journal's own operations are left out.
   * A conflict on the caller's operations throws KvTxnConflictError naming only those.
   */
  async txn(ops: readonly KvTxnOp[], changedKeys: readonly string[]): Promise<KvTxnResult> {
    const keys = [...new Set(changedKeys)].map((k) => (k.startsWith(this.objectsPrefix) ? k.slice(this.objectsPrefix.length) : k));
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      // First try the head we wrote last; after a lost race read the current one.
      if (this.#head === undefined || attempt > 0) {
        const cur = await this.#kv.get(this.headKey);
        this.#head = { ...parseHead(cur?.value), index: cur?.modifyIndex ?? 0 };
      }
      const seq = this.#head.seq + 1;
      // A new (or unreadable) head starts a new epoch: readers must not trust older slots. The
      // ring size is fixed with the epoch, so every writer maps a seq to the same slot.
      const fresh = this.#head.seq === 0 || this.#head.slots === 0;
      const epoch = fresh ? randomBytes(4).toString('hex') : this.#head.epoch;
      const slots = fresh ? this.#slots : this.#head.slots;
      const journalOps: KvTxnOp[] = [
        { verb: 'cas', key: this.headKey, value: JSON.stringify({ seq, epoch, slots } satisfies JournalHead), index: this.#head.index },
        { verb: 'set', key: journalSlotKey(this.#prefix, seq, slots), value: JSON.stringify({ seq, epoch, keys } satisfies JournalEntry) },
      ];
      try {
        const res = await this.#kv.txn([...ops, ...journalOps]);
        const head = res.results.find((p) => p.key === this.headKey);
        this.#head = head ? { seq, epoch, slots, index: head.modifyIndex } : undefined;
        return { results: res.results.filter((p) => !p.key.startsWith(this.journalPrefix)) };
      } catch (err) {
        if (!isTxnConflict(err)) throw err;
        const theirs = err.failures.filter((f) => !f.key.startsWith(this.journalPrefix));
        if (theirs.length > 0) throw new KvTxnConflictError(theirs);
        // Only the head moved: another journaled write won the race; take the next number.
      }
    }
    throw new SwarmopError('Conflict', `the objects journal ${this.headKey} kept changing underneath (${this.#attempts} attempts)`);
  }
}
