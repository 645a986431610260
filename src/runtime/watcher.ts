/**
 * PrefixWatcher: follows every key under a Consul KV prefix with blocking queries
 * (`GET /v1/kv/<prefix>?recurse&index=<last>&wait=<wait>`) and hands each new listing to
 * `onSnapshot(pairs, index)`. The status page follows `status/` and `events/` with it; the
 * operator's objects are followed by the store's JournalWatcher, which fetches only what changed.
 *
 * Semantics (Consul's "Blocking Queries" implementation notes, plus restart safety):
 * - resumes from the last X-Consul-Index, so a change made between two calls is never missed;
 * - an index that goes backwards (agent restart, snapshot restore, a different server) resets the
 *   watch to index 0: the next call is a plain list;
 * - an index of 0 is a Consul bug that makes every call return at once; the next call uses 1;
 * - every answer is delivered, also one that returned at the end of `wait` with an unchanged
 *   index: after a restart an agent can reach our old index again with different data, and an
 *   index comparison alone would never notice. So `wait` (default 60 s) bounds how stale the
 *   cache can get; a consumer that diffs per key (ModifyIndex, ObjectIndex identity) makes
 *   re-deliveries cheap and silent;
 * - a call that returns faster than `minIntervalMs` with an unchanged index is followed by a pause
 *   of `minIntervalMs`, so a misbehaving server never puts us in a hot loop;
 * - an error (or a throwing `onSnapshot`) backs off: base 250 ms, doubling, capped at 30 s,
 *   +/-10 % jitter, reset by the next success. The call after an error is a plain list (index 0):
 *   an error often means the agent went away, and it may come back with other data.
 * `start(signal)` resolves only when the signal aborts; the watcher never ends silently.
 */
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { createSilentLogger, type Logger } from './logger.js';
import type { KvPair, KvStore } from './kv.js';

export type WatcherPhase = 'syncing' | 'watching' | 'backoff';

export interface WatcherState {
  phase: WatcherPhase;
  /** Index the next blocking query will pass (0 = plain list). */
  lastIndex: number;
  /** True once a listing has been delivered since start. */
  synced: boolean;
  lastError?: string;
  consecutiveFailures: number;
}

export interface PrefixWatcherOptions {
  kv: Pick<KvStore, 'list'>;
  prefix: string;
  onSnapshot: (pairs: KvPair[], index: number) => void | Promise<void>;
  /** Max time one blocking query waits, Consul duration; default "60s" (Consul caps at 10m). */
  wait?: string;
  /** Backoff after errors; default base 250 ms, cap 30 s. */
  backoff?: BackoffOptions;
  /** Minimum gap after a fast answer with an unchanged index; default 1000 ms. */
  minIntervalMs?: number;
  onStateChange?: (state: WatcherState) => void;
  clock?: Clock;
  log?: Logger;
}

export const DEFAULT_WATCH_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 30_000, jitter: 0.1 };

export class PrefixWatcher {
  /** "watcher <prefix>", for logs and readiness checks. */
  readonly name: string;
  readonly #opts: PrefixWatcherOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #state: WatcherState = { phase: 'syncing', lastIndex: 0, synced: false, consecutiveFailures: 0 };

  constructor(options: PrefixWatcherOptions) {
    this.#opts = options;
    this.name = `watcher ${options.prefix}`;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? createSilentLogger()).child({ component: 'watcher', prefix: options.prefix });
  }

  get state(): Readonly<WatcherState> {
    return { ...this.#state };
  }

  hasSynced(): boolean {
    return this.#state.synced;
  }

  #set(patch: Partial<WatcherState>): void {
    const before = this.#state;
    this.#state = { ...before, ...patch };
    if (before.phase !== this.#state.phase || before.lastError !== this.#state.lastError) {
      this.#opts.onStateChange?.(this.state);
    }
  }

  async start(signal: AbortSignal): Promise<void> {
    const minInterval = this.#opts.minIntervalMs ?? 1000;
    const backoff = this.#opts.backoff ?? DEFAULT_WATCH_BACKOFF;
    while (!signal.aborted) {
      const sent = this.#state.lastIndex;
      const began = this.#clock.now();
      try {
        const res = await this.#opts.kv.list(this.#opts.prefix, {
          index: sent,
          wait: this.#opts.wait ?? '60s',
          signal,
        });
        if (signal.aborted) break;
        if (sent > 0 && res.index < sent) {
          // Consul's index went backwards: our position means nothing any more; start over.
          this.#log.warn('watch index went backwards, re-listing', { previous: sent, index: res.index });
          this.#set({ lastIndex: 0, phase: 'syncing', consecutiveFailures: 0, lastError: undefined });
          continue;
        }
        await this.#opts.onSnapshot(res.pairs, res.index);
        if (signal.aborted) break;
        if (sent !== 0 && res.index === sent && this.#clock.now() - began < minInterval) {
          // Unchanged index but an immediate answer: rate-limit instead of spinning.
          await sleep(this.#clock, minInterval, signal);
        }
        this.#set({
          lastIndex: res.index > 0 ? res.index : 1,
          phase: 'watching',
          synced: true,
          consecutiveFailures: 0,
          lastError: undefined,
        });
      } catch (err) {
        if (signal.aborted) break;
        const failures = this.#state.consecutiveFailures + 1;
        const delay = backoffDelay(failures, backoff);
        const message = err instanceof Error ? err.message : String(err);
        this.#set({ phase: 'backoff', consecutiveFailures: failures, lastError: message, lastIndex: 0 });
        this.#log.warn('watch failed, backing off', { error: message, failures, delayMs: delay });
        await sleep(this.#clock, delay, signal);
      }
    }
  }
}
