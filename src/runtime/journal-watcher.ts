/**
 * JournalWatcher: follows every key under an objects prefix WITHOUT re-listing it on each change.
 * It blocks on the small objects journal (src/store/object-journal.ts) instead, then GETs only
 * the keys the new journal entries name, and hands the whole, updated set of pairs to
 * `onSnapshot(pairs, index)` — the same contract as PrefixWatcher, so a Reflector fits unchanged
 * (and the pair objects of unchanged keys are the same objects, so decoders can skip them).
 *
 * Semantics:
 * - a full re-list (journal first, then `objects/`, so nothing written in between is missed) at
 *   start, after any error (the agent may come back with other data), when the journal's index
 *   goes backwards, when the journal has a gap (ring wrapped, head below our position: journal
 *   deleted or agent restarted empty, unreadable entry), when one wake names more than
 *   `maxFetch` keys, and every `relistMs` (default 60 s): the level-triggered safety net that
 *   also picks up documents written into KV by hand, which the journal cannot name. A hand-written
 *   document is therefore seen within `relistMs` (plus one listing), a journaled one within one
 *   blocking-query round trip plus its GET;
 * - between re-lists each blocking query waits at most `wait` and never past the next re-list;
 * - a call that returns faster than `minIntervalMs` with an unchanged index is followed by a pause
 *   (no hot loop against a misbehaving server);
 * - errors back off (base 250 ms, doubling, cap 30 s, +/-10 % jitter), reset by a success.
 * `start(signal)` resolves only when the signal aborts; the watcher never ends silently.
 * Kind-agnostic: it knows keys, not kinds.
 */
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { createSilentLogger, type Logger } from './logger.js';
import type { KvPair, KvStore } from '../store/kv.js';
import { changesSince, readJournal } from '../store/object-journal.js';
import { DEFAULT_WATCH_BACKOFF, type WatcherPhase } from './watcher.js';

export interface JournalWatcherState {
  phase: WatcherPhase;
  /** Journal sequence number applied last. */
  seq: number;
  /** Index of the journal listing the next blocking query passes (0 = re-list). */
  journalIndex: number;
  synced: boolean;
  lastError?: string;
  consecutiveFailures: number;
  /** Full listings of the objects prefix so far, and why the last one happened. */
  relists: number;
  lastRelistReason?: string;
  /** Changes applied from the journal without a listing. */
  incremental: number;
}

export interface JournalWatcherOptions {
  kv: Pick<KvStore, 'list' | 'get'>;
  /** The watched prefix, e.g. "swarmop/objects/". */
  prefix: string;
  /** Its journal, e.g. "swarmop/journal/objects/"; entries name keys relative to `prefix`. */
  journalPrefix: string;
  onSnapshot: (pairs: KvPair[], index: number) => void | Promise<void>;
  /** Longest blocking query on the journal, ms; default 60 000. */
  waitMs?: number;
  /** Period of the safety-net full re-list, ms; default 60 000. */
  relistMs?: number;
  /** More changed keys than this in one wake are fetched by a re-list; default 256. */
  maxFetch?: number;
  /** Parallel GETs of changed keys; default 16. */
  fetchConcurrency?: number;
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
  readonly #clock: Clock;
  readonly #log: Logger;
  /** The prefix's pairs as last seen, by key. */
  #pairs = new Map<string, KvPair>();
  #state: JournalWatcherState = { phase: 'syncing', seq: 0, journalIndex: 0, synced: false, consecutiveFailures: 0, relists: 0, incremental: 0 };
  #relistReason: string | undefined = 'start';
  #nextRelistAt = 0;

  constructor(options: JournalWatcherOptions) {
    this.#opts = options;
    this.name = `journal watcher ${options.prefix}`;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? createSilentLogger()).child({ component: 'watcher', prefix: options.prefix });
  }

  get state(): Readonly<JournalWatcherState> {
    return { ...this.#state };
  }

  hasSynced(): boolean {
    return this.#state.synced;
  }

  /** Number of keys currently known. */
  get size(): number {
    return this.#pairs.size;
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
        this.#set({ phase: 'backoff', consecutiveFailures: failures, lastError: message, journalIndex: 0 });
        this.#log.warn('watch failed, backing off', { error: message, failures, delayMs: delay });
        await sleep(this.#clock, delay, signal);
      }
    }
  }

  /** Journal position first, then the listing: a change in between is in both, never in neither. */
  async #relist(reason: string, signal: AbortSignal): Promise<void> {
    const journal = await this.#opts.kv.list(this.#opts.journalPrefix, { signal });
    const listed = await this.#opts.kv.list(this.#opts.prefix, { signal });
    if (signal.aborted) return;
    const view = readJournal(this.#opts.journalPrefix, journal.pairs);
    const next = new Map<string, KvPair>();
    for (const p of listed.pairs) {
      // Keep the pair object of an unchanged key, so consumers can tell it is unchanged cheaply.
      const prev = this.#pairs.get(p.key);
      next.set(p.key, prev && prev.modifyIndex === p.modifyIndex && prev.value === p.value ? prev : p);
    }
    this.#pairs = next;
    await this.#opts.onSnapshot([...next.values()], listed.index);
    if (reason !== 'periodic') this.#log.info('objects re-listed', { reason, keys: next.size, journalSeq: view.head });
    this.#relistReason = undefined;
    this.#nextRelistAt = this.#clock.now() + (this.#opts.relistMs ?? 60_000);
    this.#set({
      phase: 'watching',
      synced: true,
      seq: view.head,
      journalIndex: journal.index,
      consecutiveFailures: 0,
      lastError: undefined,
      relists: this.#state.relists + 1,
      lastRelistReason: reason,
    });
  }

  async #follow(signal: AbortSignal): Promise<void> {
    const sent = this.#state.journalIndex;
    const began = this.#clock.now();
    const waitMs = Math.max(1, Math.min(this.#opts.waitMs ?? 60_000, this.#nextRelistAt - began));
    const res = await this.#opts.kv.list(this.#opts.journalPrefix, { index: sent, wait: `${Math.ceil(waitMs)}ms`, signal });
    if (signal.aborted) return;
    if (res.index < sent) {
      this.#relistReason = 'journal index went backwards';
      return;
    }
    const view = readJournal(this.#opts.journalPrefix, res.pairs);
    const changed = changesSince(view, this.#state.seq);
    if (changed === 'gap') {
      this.#relistReason = view.head < this.#state.seq ? 'journal reset' : 'journal gap';
      return;
    }
    if (changed.length > (this.#opts.maxFetch ?? 256)) {
      this.#relistReason = `${changed.length} changed keys`;
      return;
    }
    if (changed.length > 0) {
      await this.#fetch(changed, signal);
      if (signal.aborted) return;
      await this.#opts.onSnapshot([...this.#pairs.values()], res.index);
    } else if (res.index === sent && this.#clock.now() - began < (this.#opts.minIntervalMs ?? 1000)) {
      await sleep(this.#clock, this.#opts.minIntervalMs ?? 1000, signal);
    }
    this.#set({
      phase: 'watching',
      seq: view.head,
      journalIndex: res.index > 0 ? res.index : 1,
      consecutiveFailures: 0,
      lastError: undefined,
      incremental: this.#state.incremental + (changed.length > 0 ? 1 : 0),
    });
  }

  /** GETs the changed keys (a missing one was deleted) and updates the map in place. */
  async #fetch(relativeKeys: readonly string[], signal: AbortSignal): Promise<void> {
    const keys = relativeKeys.map((k) => `${this.#opts.prefix}${k}`);
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
    keys.forEach((key, i) => {
      const pair = got[i];
      if (pair) this.#pairs.set(key, pair);
      else this.#pairs.delete(key);
    });
  }
}
