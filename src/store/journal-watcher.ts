/**
 * JournalWatcher: follows every key under the store's `objects/` WITHOUT re-listing it on each change.
 *
 * - It blocks on the prefix's index only (`KvStore.prefixIndex`: Consul's `?keys&separator=/`, a
 *   few bytes however many documents there are), which moves on every write or deletion under
 *   the prefix, journaled or not.
 * - On a wake it reads the objects journal (object-journal.ts): its head, then only the
 *   slots after its position (a list of the whole ring when more than `slotGets` are new), and
 *   GETs only the keys those entries name.
 * - It re-lists the prefix (journal first, then the objects, so nothing written in between is
 *   missed) at start; after any error (the agent may come back with other data); when the index
 *   goes backwards; when the journal has a gap (ring wrapped; another epoch or a head below our
 *   position because the journal was deleted or the agent restarted empty; unreadable entry);
 *   when one wake names more than `maxFetch` keys; when the index it woke on is not the index of a journaled write
 *   (a document written or deleted in KV by hand, bypassing the store); and every `relistMs`
 *   (default 60 s) as the level-triggered safety net.
 *   So a journaled change is seen after one blocking round trip plus a journal read and a GET; a
 *   hand-written one after a re-list (tens to hundreds of ms at 10,000 documents), except when it
 *   lands in the same few milliseconds as a later journaled write (the wake then reports only the
 *   later index): then within `relistMs`.
 * It calls `onList(pairs, index)` with every whole listing and `onChange(changed, removedKeys,
 * index)` with only what changed in between; it keeps no copy of the pairs itself.
 * A fast answer with an unchanged index is followed by a `minIntervalMs` pause (no hot loop);
 * errors back off (base 250 ms, doubling, cap 30 s, +/-10 % jitter), reset by a success.
 * `start(signal)` resolves only when the signal aborts; the watcher never ends silently.
 * It knows keys, not kinds. It lives in the store, next to the journal format it reads; the
 * runtime's part is the generic backoff, clock and logger, and the cache it feeds.
 */
import { backoffDelay, type BackoffOptions } from '../runtime/backoff.js';
import { sleep, systemClock, type Clock } from '../runtime/clock.js';
import { createSilentLogger, type Logger } from '../runtime/logger.js';
import { DEFAULT_WATCH_BACKOFF, type WatcherPhase } from '../runtime/watcher.js';
import type { KvPair, KvStore } from './kv.js';
import { changesSince, parseEntry, parseHead, readJournal, type JournalView } from './object-journal.js';
import { journalHeadKey, journalPrefixOf, journalSlotKey, sectionPrefix } from './store-keys.js';

export interface JournalWatcherState {
  phase: WatcherPhase;
  /** Journal position applied last: sequence number and the journal's epoch. */
  seq: number;
  epoch: string;
  /** Index of the objects prefix the next blocking query passes. */
  objectsIndex: number;
  synced: boolean;
  lastError?: string;
  consecutiveFailures: number;
  /** Full listings of the objects prefix so far, and why the last one happened. */
  relists: number;
  lastRelistReason?: string;
  /** Wakes whose changes were applied from the journal, without a listing. */
  incremental: number;
}

export interface JournalWatcherOptions {
  kv: Pick<KvStore, 'list' | 'get' | 'prefixIndex'>;
  /** The store's prefix (normalized, e.g. "swarmop/"): its `objects/` and their journal are followed. */
  prefix: string;
  /** A whole listing of the prefix. */
  onList: (pairs: KvPair[], index: number) => void | Promise<void>;
  /** Keys that changed (their current pairs) and keys that are gone. */
  onChange: (changed: KvPair[], removedKeys: string[], index: number) => void | Promise<void>;
  /** Longest blocking query, ms; default 60 000. */
  waitMs?: number;
  /** Period of the safety-net full re-list, ms; default 60 000. */
  relistMs?: number;
  /** More changed keys than this in one wake are fetched by a re-list; default 256. */
  maxFetch?: number;
  /** Parallel GETs of changed keys; default 16. */
  fetchConcurrency?: number;
  /** New journal entries read one GET each up to this many, else by listing the ring; default 8. */
  slotGets?: number;
  backoff?: BackoffOptions;
  /** Minimum gap after a fast answer with an unchanged index; default 1000 ms. */
  minIntervalMs?: number;
  onStateChange?: (state: JournalWatcherState) => void;
  clock?: Clock;
  log?: Logger;
}

export class JournalWatcher {
  readonly name: string;
  readonly #opts: JournalWatcherOptions;
  /** `<prefix>objects/`: the keys handed to onList/onChange. */
  readonly #objects: string;
  readonly #journal: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  #state: JournalWatcherState = {
    phase: 'syncing',
    seq: 0,
    epoch: '',
    objectsIndex: 0,
    synced: false,
    consecutiveFailures: 0,
    relists: 0,
    incremental: 0,
  };
  #relistReason: string | undefined = 'start';
  #nextRelistAt = 0;
  /** Aborts the blocking query in flight, so `relistNow` need not wait for it. */
  #wake: AbortController | undefined;
  /** Raft indexes of journaled writes seen since the last listing (bounded), to tell them from hand-made ones. */
  #journaled = new Set<number>();

  constructor(options: JournalWatcherOptions) {
    this.#opts = options;
    this.#objects = sectionPrefix(options.prefix, 'objects');
    this.#journal = journalPrefixOf(options.prefix);
    this.name = `journal watcher ${this.#objects}`;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? createSilentLogger()).child({ component: 'watcher', prefix: this.#objects });
  }

  get state(): Readonly<JournalWatcherState> {
    return { ...this.#state };
  }

  hasSynced(): boolean {
    return this.#state.synced;
  }

  /** Re-lists at once instead of at the next period (e.g. an operator told to, or a benchmark). */
  relistNow(reason = 'requested'): void {
    this.#relistReason ??= reason;
    this.#wake?.abort();
  }

  #set(patch: Partial<JournalWatcherState>): void {
    const before = this.#state;
    this.#state = { ...before, ...patch };
    if (before.phase !== this.#state.phase || before.lastError !== this.#state.lastError) this.#opts.onStateChange?.(this.state);
  }

  async start(signal: AbortSignal): Promise<void> {
    const backoff = this.#opts.backoff ?? DEFAULT_WATCH_BACKOFF;
    while (!signal.aborted) {
      try {
        if (this.#relistReason === undefined && this.#clock.now() >= this.#nextRelistAt) this.#relistReason = 'periodic';
        if (this.#relistReason !== undefined) await this.#relist(this.#relistReason, signal);
        else await this.#follow(signal);
      } catch (err) {
        if (signal.aborted) break;
        const failures = this.#state.consecutiveFailures + 1;
        const delay = backoffDelay(failures, backoff);
        const message = err instanceof Error ? err.message : String(err);
        this.#relistReason = 'error';
        this.#set({ phase: 'backoff', consecutiveFailures: failures, lastError: message });
        this.#log.warn('watch failed, backing off', { error: message, failures, delayMs: delay });
        await sleep(this.#clock, delay, signal);
      }
    }
  }

  /** Journal position first, then the listing: a change in between is in both, never in neither. */
  async #relist(reason: string, signal: AbortSignal): Promise<void> {
    const journal = await this.#opts.kv.list(this.#journal, { signal });
    const listed = await this.#opts.kv.list(this.#objects, { signal });
    if (signal.aborted) return;
    const view = readJournal(this.#opts.prefix, journal.pairs);
    await this.#opts.onList(listed.pairs, listed.index);
    if (reason !== 'periodic') this.#log.info('objects re-listed', { reason, keys: listed.pairs.length, journalSeq: view.head });
    this.#relistReason = undefined;
    this.#journaled.clear();
    this.#nextRelistAt = this.#clock.now() + (this.#opts.relistMs ?? 60_000);
    this.#set({
      phase: 'watching',
      synced: true,
      seq: view.head,
      epoch: view.epoch,
      objectsIndex: listed.index,
      consecutiveFailures: 0,
      lastError: undefined,
      relists: this.#state.relists + 1,
      lastRelistReason: reason,
    });
  }

  async #follow(signal: AbortSignal): Promise<void> {
    const sent = this.#state.objectsIndex;
    const began = this.#clock.now();
    const waitMs = Math.max(1, Math.min(this.#opts.waitMs ?? 60_000, this.#nextRelistAt - began));
    const wake = (this.#wake = new AbortController());
    const onAbort = () => wake.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let index: number;
    try {
      index = await this.#opts.kv.prefixIndex(this.#objects, { index: sent, wait: `${Math.ceil(waitMs)}ms`, signal: wake.signal });
    } catch (err) {
      if (wake.signal.aborted && !signal.aborted) return; // relistNow: #relistReason is set
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#wake = undefined;
    }
    if (signal.aborted || this.#relistReason !== undefined) return;
    if (index < sent) {
      this.#relistReason = 'index went backwards';
      return;
    }
    if (index === sent) {
      // The wait ran out (or a server answered at once): rate-limit instead of spinning.
      if (this.#clock.now() - began < (this.#opts.minIntervalMs ?? 1000))
        await sleep(this.#clock, this.#opts.minIntervalMs ?? 1000, signal);
      return;
    }
    const view = await this.#readJournal(signal);
    if (signal.aborted) return;
    for (const i of view.writeIndexes) this.#journaled.add(i);
    while (this.#journaled.size > 4096) this.#journaled.delete(this.#journaled.values().next().value!);
    const changed = changesSince(view, this.#state);
    if (changed === 'gap') {
      const reset = (this.#state.seq > 0 && view.epoch !== this.#state.epoch) || view.head < this.#state.seq;
      this.#relistReason = reset ? 'journal reset' : 'journal gap';
      return;
    }
    if (!this.#journaled.has(index)) {
      this.#relistReason = 'a change that is not in the journal';
      return;
    }
    if (changed.length > (this.#opts.maxFetch ?? 256)) {
      this.#relistReason = `${changed.length} changed keys`;
      return;
    }
    if (changed.length > 0) {
      const { pairs, removed } = await this.#fetch(changed, signal);
      if (signal.aborted) return;
      await this.#opts.onChange(pairs, removed, index);
    }
    this.#set({
      phase: 'watching',
      seq: view.head,
      epoch: view.epoch,
      objectsIndex: index,
      consecutiveFailures: 0,
      lastError: undefined,
      incremental: this.#state.incremental + (changed.length > 0 ? 1 : 0),
    });
  }

  /**
   * The journal from our position on: the head, then each new slot by GET (the usual case: one
   * or two), or the whole ring in one list when we are further behind. A slot that does not hold
   * the seq and epoch expected is left out, which changesSince reports as a gap.
   */
  async #readJournal(signal: AbortSignal): Promise<JournalView> {
    const { kv, prefix } = this.#opts;
    const headPair = await kv.get(journalHeadKey(prefix), { signal });
    const head = parseHead(headPair?.value);
    const from = this.#state.seq > 0 && head.epoch === this.#state.epoch ? this.#state.seq + 1 : 1;
    const count = head.seq - from + 1;
    if (head.slots === 0 || count > (this.#opts.slotGets ?? 8))
      return readJournal(prefix, (await kv.list(this.#journal, { signal })).pairs);
    const view: JournalView = { head: head.seq, epoch: head.epoch, entries: new Map(), writeIndexes: new Set() };
    if (headPair) view.writeIndexes.add(headPair.modifyIndex);
    const seqs = Array.from({ length: Math.max(0, count) }, (_, i) => from + i);
    const pairs = await Promise.all(seqs.map((seq) => kv.get(journalSlotKey(prefix, seq, head.slots), { signal })));
    pairs.forEach((pair, i) => {
      const entry = pair ? parseEntry(pair.value) : undefined;
      if (!pair || !entry || entry.seq !== seqs[i] || entry.epoch !== head.epoch) return;
      view.entries.set(entry.seq, entry);
      view.writeIndexes.add(pair.modifyIndex);
    });
    return view;
  }

  /** GETs the changed keys; a missing one was deleted. */
  async #fetch(relativeKeys: readonly string[], signal: AbortSignal): Promise<{ pairs: KvPair[]; removed: string[] }> {
    const keys = relativeKeys.map((k) => `${this.#objects}${k}`);
    const limit = this.#opts.fetchConcurrency ?? 16;
    const got: (KvPair | undefined)[] = new Array(keys.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const i = next++;
        got[i] = await this.#opts.kv.get(keys[i]!, { signal });
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, keys.length) }, worker));
    const pairs: KvPair[] = [];
    const removed: string[] = [];
    keys.forEach((key, i) => {
      const pair = got[i];
      if (pair) pairs.push(pair);
      else removed.push(key);
    });
    return { pairs, removed };
  }
}
