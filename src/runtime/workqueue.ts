/**
 * WorkQueue: keys, not events (client-go's workqueue / kube-rs' scheduler), with p-queue as the
 * worker pool. Guarantees, each tested in workqueue.test.ts:
 * - a key waits in the queue at most once, however often it is added;
 * - a key is never processed by two workers at once;
 * - a key added while it is processed is processed once more afterwards;
 * - `{type:'retry'}` re-adds the key after a per-key exponential backoff (default base 200 ms,
 *   doubling, cap 60 s; options), reset by the next success or by a terminal outcome;
 * - `{type:'success', requeueAfterMs}` re-adds the key after that delay (a planned re-check);
 * - `{type:'terminal'}` stops retries until the key is added again by `add()`;
 * - every `resyncMs` (default 30 s, 0 = off) every known key is added again (level-triggered:
 *   what an event missed, the resync heals), except keys in backoff, stopped as terminal, or
 *   being processed;
 * - a key in backoff is not run earlier by `add()` (an event about a failing key, often one its
 *   own failed action caused, is no reason to fail sooner): its retry timer runs it; only
 *   `addChanged()` (the object's spec changed: a new reason to try) runs it now and restarts its
 *   backoff. The same holds for an add that arrives while the failing run is in flight;
 * - otherwise an immediate `add()` cancels the key's pending delayed add (a planned requeueAfter):
 *   the run it causes decides the next delay;
 * - `shutdown()` drops waiting keys and timers and resolves when in-flight work has finished.
 */
import PQueue from 'p-queue';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock, type ClockTimer } from './clock.js';

export type WorkOutcome =
  | { type: 'success'; requeueAfterMs?: number }
  /** Back off and retry; `afterMs` overrides the exponential delay for this failure. */
  | { type: 'retry'; afterMs?: number; error?: unknown }
  | { type: 'terminal'; error?: unknown };

export interface WorkQueueHooks {
  /** Waiting keys (not counting in-flight ones) after every change. */
  onDepth?: (depth: number) => void;
  onRetry?: (key: string, failures: number, delayMs: number) => void;
  /** A process function threw instead of returning an outcome (treated as retry). */
  onUnexpectedError?: (key: string, err: unknown) => void;
  /** A key entered the queue (or was marked to run again after its current run). */
  onAdd?: (key: string) => void;
  /** A worker took the key, after it waited `waitedMs` in the queue. */
  onStart?: (key: string, waitedMs: number) => void;
  /** The key's run finished after `workedMs`. */
  onDone?: (key: string, workedMs: number) => void;
}

export interface WorkQueueOptions {
  process: (key: string) => Promise<WorkOutcome>;
  /** Max keys processed at once; default 4. */
  concurrency?: number;
  /** Per-key backoff after retry outcomes; default base 200 ms, cap 60 s. */
  backoff?: BackoffOptions;
  /** Resync period in ms; default 30 000; 0 disables. */
  resyncMs?: number;
  /** Keys the resync adds; default every key ever added and not forgotten. */
  resyncKeys?: () => Iterable<string>;
  clock?: Clock;
  hooks?: WorkQueueHooks;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffOptions = { baseMs: 200, capMs: 60_000 };
export const DEFAULT_RESYNC_MS = 30_000;

interface Delayed {
  timer: ClockTimer;
  at: number;
  backoff: boolean;
}

export class WorkQueue {
  readonly #opts: WorkQueueOptions;
  readonly #clock: Clock;
  readonly #pool: PQueue;
  readonly #queued = new Set<string>();
  readonly #active = new Set<string>();
  /** Keys added while being processed; true when the add was a change (see `addChanged`). */
  readonly #dirty = new Map<string, boolean>();
  readonly #delayed = new Map<string, Delayed>();
  readonly #failures = new Map<string, number>();
  readonly #terminal = new Set<string>();
  readonly #known = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #queuedAt = new Map<string, number>();
  readonly #startedAt = new Map<string, number>();
  /** Pool tasks not started yet / running a key (see #pump). */
  #tasksWaiting = 0;
  #tasksRunning = 0;
  #resyncTimer: ClockTimer | undefined;
  #closed = false;

  constructor(options: WorkQueueOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#pool = new PQueue({ concurrency: options.concurrency ?? 4 });
  }

  /** Keys waiting for a worker. */
  get depth(): number {
    return this.#queued.size;
  }

  /** Keys being processed now. */
  get active(): number {
    return this.#active.size;
  }

  /** Keys with a delayed add pending (backoff or requeueAfter). */
  get delayed(): number {
    return this.#delayed.size;
  }

  /** Start times (clock ms) of the runs in progress, for "unfinished work" gauges. */
  inFlightSince(): Iterable<number> {
    return this.#startedAt.values();
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  isTerminal(key: string): boolean {
    return this.#terminal.has(key);
  }

  /**
   * Queue `key` now, or, while it is in backoff, leave it to its retry timer. Clears a terminal
   * stop: an explicit add is a new reason to try.
   */
  add(key: string): void {
    if (this.#closed) return;
    this.#terminal.delete(key);
    this.#enqueue(key, false);
  }

  /**
   * The object behind `key` changed (its spec, not its status): queue it now even in backoff and
   * start its backoff over, since the failures so far were about a spec that is gone.
   */
  addChanged(key: string): void {
    if (this.#closed) return;
    this.#terminal.delete(key);
    if (!this.#active.has(key)) this.#failures.delete(key);
    this.#enqueue(key, true);
  }

  /** True while `key` waits for a retry after a failure. */
  inBackoff(key: string): boolean {
    return this.#delayed.get(key)?.backoff === true;
  }

  /** Queue `key` after `ms`; an earlier pending delayed add of the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#closed) return;
    this.#terminal.delete(key);
    this.#known.add(key);
    // A waiting or re-queued key runs soon anyway, and that run decides its next delay.
    if (this.#queued.has(key) || this.#dirty.has(key)) return;
    this.#schedule(key, ms, false);
  }

  /** Forget a key: no resync, no retries, no pending delayed add (e.g. the object is gone). */
  forget(key: string): void {
    this.#known.delete(key);
    this.#failures.delete(key);
    this.#terminal.delete(key);
    this.#cancelDelayed(key);
  }

  /** Adds every known key that is not in backoff or stopped as terminal. */
  resync(): void {
    const keys = this.#opts.resyncKeys ? this.#opts.resyncKeys() : [...this.#known];
    for (const key of keys) {
      // An active key needs no second run: the running reconcile already reads fresh state.
      if (this.#terminal.has(key) || this.#active.has(key)) continue;
      this.#enqueue(key, false);
    }
  }

  /** Runs the periodic resync until `signal` aborts, then shuts down (waits for in-flight work). */
  async start(signal: AbortSignal): Promise<void> {
    const period = this.#opts.resyncMs ?? DEFAULT_RESYNC_MS;
    const tick = (): void => {
      if (this.#closed) return;
      this.resync();
      this.#resyncTimer = this.#clock.setTimeout(tick, period);
    };
    if (period > 0 && !signal.aborted) this.#resyncTimer = this.#clock.setTimeout(tick, period);
    if (!signal.aborted) await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    await this.shutdown();
  }

  /** Stops accepting keys, drops waiting ones and timers, and waits for in-flight work. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    if (this.#resyncTimer) this.#clock.clearTimeout(this.#resyncTimer);
    for (const key of [...this.#delayed.keys()]) this.#cancelDelayed(key);
    this.#pool.clear();
    this.#tasksWaiting = 0;
    this.#queued.clear();
    this.#queuedAt.clear();
    this.#dirty.clear();
    this.#opts.hooks?.onDepth?.(0);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Resolves when nothing is waiting or running (delayed adds do not count). For tests/benchmarks. */
  async idle(): Promise<void> {
    while (this.#queued.size > 0 || this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight]);
      await this.#pool.onIdle();
    }
  }

  #enqueue(key: string, changed: boolean): void {
    if (this.#closed) return;
    this.#known.add(key);
    if (this.#active.has(key)) {
      if (!this.#dirty.has(key)) this.#opts.hooks?.onAdd?.(key);
      this.#dirty.set(key, changed || this.#dirty.get(key) === true);
      return;
    }
    if (!changed && this.inBackoff(key)) return;
    this.#cancelDelayed(key);
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queuedAt.set(key, this.#clock.now());
    this.#opts.hooks?.onAdd?.(key);
    this.#opts.hooks?.onDepth?.(this.#queued.size);
    this.#pump();
  }

  /**
   * Hands the pool one "run the oldest waiting key" task per free worker, not one task per waiting
   * key: at 10,000 keys queued at once (a first sync, a resync) a task each held ~4 MB of closures
   * and promises for nothing. `#queued` (a Set) keeps arrival order.
   */
  #pump(): void {
    const concurrency = this.#pool.concurrency;
    while (!this.#closed && this.#tasksWaiting + this.#tasksRunning < concurrency && this.#tasksWaiting < this.#queued.size) {
      this.#tasksWaiting++;
      void this.#pool.add(() => this.#runNext());
    }
  }

  #schedule(key: string, ms: number, backoff: boolean): void {
    if (this.#closed) return;
    const at = this.#clock.now() + ms;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.#clock.clearTimeout(existing.timer);
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.#enqueue(key, false);
    }, ms);
    this.#delayed.set(key, { timer, at, backoff });
  }

  #cancelDelayed(key: string): void {
    const d = this.#delayed.get(key);
    if (!d) return;
    this.#clock.clearTimeout(d.timer);
    this.#delayed.delete(key);
  }

  async #runNext(): Promise<void> {
    this.#tasksWaiting--;
    const key = this.#queued.values().next().value;
    if (key === undefined) return; // dropped by shutdown
    this.#queued.delete(key);
    this.#tasksRunning++;
    try {
      await this.#run(key);
    } finally {
      this.#tasksRunning--;
      this.#pump();
    }
  }

  async #run(key: string): Promise<void> {
    this.#opts.hooks?.onDepth?.(this.#queued.size);
    const now = this.#clock.now();
    this.#opts.hooks?.onStart?.(key, now - (this.#queuedAt.get(key) ?? now));
    this.#queuedAt.delete(key);
    this.#startedAt.set(key, now);
    this.#active.add(key);
    const work = this.#process(key);
    this.#inFlight.add(work);
    try {
      await work;
    } finally {
      this.#inFlight.delete(work);
    }
  }

  async #process(key: string): Promise<void> {
    let outcome: WorkOutcome;
    try {
      outcome = await this.#opts.process(key);
    } catch (err) {
      this.#opts.hooks?.onUnexpectedError?.(key, err);
      outcome = { type: 'retry', error: err };
    }
    this.#active.delete(key);
    const started = this.#startedAt.get(key);
    this.#startedAt.delete(key);
    if (started !== undefined) this.#opts.hooks?.onDone?.(key, this.#clock.now() - started);
    const dirty = this.#dirty.get(key);
    this.#dirty.delete(key);
    this.#settle(key, outcome);
    if (dirty === true) this.#failures.delete(key); // a run on the old spec: its failure does not count
    // A plain add during a failed run waits for the backoff; a change runs the key now.
    if (dirty !== undefined) this.#enqueue(key, dirty);
  }

  #settle(key: string, outcome: WorkOutcome): void {
    switch (outcome.type) {
      case 'success':
        this.#failures.delete(key);
        this.#terminal.delete(key);
        if (outcome.requeueAfterMs !== undefined && outcome.requeueAfterMs >= 0) {
          this.#schedule(key, outcome.requeueAfterMs, false);
        }
        return;
      case 'retry': {
        const failures = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, failures);
        const delay = outcome.afterMs ?? backoffDelay(failures, this.#opts.backoff ?? DEFAULT_QUEUE_BACKOFF);
        this.#opts.hooks?.onRetry?.(key, failures, delay);
        this.#schedule(key, delay, true);
        return;
      }
      case 'terminal':
        this.#failures.delete(key);
        this.#terminal.add(key);
        return;
    }
  }
}
