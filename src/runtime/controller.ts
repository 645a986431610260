/**
 * Controller<T>: a reconcile function driven by keys (controller-runtime's Controller, kube-rs'
 * `Controller::run`). It wires together
 * - a Cache (cache.ts; the ObjectIndex in the operator): every added/changed/removed key that passes
 *   `filter` is queued as a change of the object, which runs it even while it backs off after failures;
 * - a WorkQueue: dedup, one run per key at a time, backoff, requeueAfter, resync of cached keys;
 * - `enqueue(key)` for any other trigger (a Docker event): it never runs a failing key before its
 *   backoff allows, so events a failing repair causes itself cannot make it spin;
 * - `errorPolicy(err, key)`: decides backoff or terminal for a failed run, not the reconciler.
 * Every run gets a reconcile id and a child logger carrying controller, name and reconcileId, and
 * is counted in the metrics. Reconcile by key: the function re-reads the world every time.
 */
import { randomBytes } from 'node:crypto';
import { isSwarmopError } from '../errors.js';
import type { BackoffOptions } from './backoff.js';
import { isLeadershipLost } from './fence.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { createSilentLogger, type Logger } from './logger.js';
import type { RuntimeMetrics } from './metrics.js';
import type { Cache, CacheEvent } from './cache.js';
import { WorkQueue, type WorkOutcome } from './workqueue.js';

export interface ReconcileContext<T> {
  key: string;
  /** The cached object when the run started; undefined when it is gone. */
  object: T | undefined;
  reconcileId: string;
  log: Logger;
  /** Aborts when the controller stops and the drain timeout has passed (at once when leadership is lost). */
  signal: AbortSignal;
  /** Consecutive failed runs of this key before this one. */
  failures: number;
}

export type ReconcileResult = { requeueAfter?: number } | void;

export type ErrorAction = { type: 'backoff'; afterMs?: number } | { type: 'terminal' };

export type ErrorPolicy = (err: unknown, key: string) => ErrorAction;

/** Default policy: retry everything with the queue's backoff, except input the user must fix. */
export const defaultErrorPolicy: ErrorPolicy = (err) => (isSwarmopError(err, 'Invalid') ? { type: 'terminal' } : { type: 'backoff' });

export type EventFilter<T> = (event: CacheEvent<T>) => boolean;

/**
 * A filter that queues changed items only when `select(item)` differs (e.g. the spec's
 * generation), so a controller's own status writes do not trigger it. Adds and removals pass.
 */
export function changedBy<T>(select: (item: T) => unknown): EventFilter<T> {
  return (e) => e.type !== 'changed' || JSON.stringify(select(e.old as T)) !== JSON.stringify(select(e.new as T));
}

export interface ControllerOptions<T> {
  /** Controller name, used in logs and metric labels (e.g. "staticipattachment"). */
  name: string;
  /** The cache the controller reads objects from and is driven by. */
  cache: Cache<T>;
  reconcile: (key: string, ctx: ReconcileContext<T>) => Promise<ReconcileResult>;
  errorPolicy?: ErrorPolicy;
  /** Which cache events queue their key; default all. */
  filter?: EventFilter<T>;
  /** Max concurrent reconciles; default 4. */
  concurrency?: number;
  /** Per-key backoff; default base 200 ms, cap 60 s. */
  backoff?: BackoffOptions;
  /** Resync period of every cached key; default 30 s; 0 = off. */
  resyncMs?: number;
  /** How long a stop waits for in-flight reconciles before aborting their signal; default 10 s. */
  drainTimeoutMs?: number;
  metrics?: RuntimeMetrics;
  log?: Logger;
  clock?: Clock;
}

export class Controller<T> {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #opts: ControllerOptions<T>;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #runAbort = new AbortController();
  #started = false;

  constructor(options: ControllerOptions<T>) {
    this.#opts = options;
    this.name = options.name;
    this.#log = (options.log ?? createSilentLogger()).child({ controller: options.name });
    this.#clock = options.clock ?? systemClock;
    const m = options.metrics;
    const labels = { controller: options.name };
    const wq = { name: options.name, controller: options.name };
    this.queue = new WorkQueue({
      process: (key) => this.#run(key),
      concurrency: options.concurrency,
      backoff: options.backoff,
      resyncMs: options.resyncMs,
      resyncKeys: () => options.cache.keys(),
      clock: this.#clock,
      hooks: {
        onDepth: (depth) => {
          m?.workqueueDepth.set(labels, depth);
          m?.wqDepth.set(wq, depth);
        },
        onRetry: () => {
          m?.workqueueRetries.inc(labels);
          m?.wqRetries.inc(wq);
        },
        onAdd: () => m?.wqAdds.inc(wq),
        onStart: (_key, waitedMs) => m?.wqQueueDuration.observe(wq, waitedMs / 1000),
        onDone: (_key, workedMs) => m?.wqWorkDuration.observe(wq, workedMs / 1000),
      },
    });
  }

  /**
   * Queue a key from any source (Docker events, other objects). `changed: true` says the desired
   * state behind the key changed (e.g. an object it depends on was edited): it then runs even in
   * backoff; a plain event waits for the backoff.
   */
  enqueue(key: string, options: { changed?: boolean } = {}): void {
    if (options.changed) this.queue.addChanged(key);
    else this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  hasSynced(): boolean {
    return this.#opts.cache.hasSynced();
  }

  /** Runs until `signal` aborts, then drains in-flight reconciles (see drainTimeoutMs). */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error(`controller ${this.name} started twice`);
    this.#started = true;
    const filter = this.#opts.filter ?? (() => true);
    const unsubscribe = this.#opts.cache.subscribe((events) => {
      for (const e of events) if (filter(e)) this.queue.addChanged(e.key);
    });
    // Keys cached before we subscribed are queued once, as a first full pass.
    for (const key of this.#opts.cache.keys()) this.queue.add(key);
    const queue = this.queue;
    const clock = this.#clock;
    this.#opts.metrics?.registerController(this.name, {
      concurrency: this.#opts.concurrency ?? 4,
      probe: { inFlightSince: () => queue.inFlightSince(), now: () => clock.now() },
    });
    this.#log.info('controller started');
    this.#armDrainTimeout(signal);
    try {
      await this.queue.start(signal);
    } finally {
      unsubscribe();
      this.#opts.metrics?.unregisterController(this.name);
      this.#runAbort.abort(); // also cancels the drain timer
      this.#log.info('controller stopped');
    }
  }

  /**
   * After `signal` aborts, in-flight runs get `drainTimeoutMs` before their own signal aborts; when
   * it aborts because leadership was LOST, at once: the lock may be someone else's already.
   */
  #armDrainTimeout(signal: AbortSignal): void {
    const ms = this.#opts.drainTimeoutMs ?? 10_000;
    signal.addEventListener(
      'abort',
      () => {
        if (isLeadershipLost(signal.reason)) {
          this.#runAbort.abort(signal.reason);
          return;
        }
        void sleep(this.#clock, ms, this.#runAbort.signal).then(() => this.#runAbort.abort());
      },
      { once: true },
    );
  }

  async #run(key: string): Promise<WorkOutcome> {
    const reconcileId = randomBytes(4).toString('hex');
    const log = this.#log.child({ name: key, reconcileId });
    const began = this.#clock.now();
    const ctx: ReconcileContext<T> = {
      key,
      object: this.#opts.cache.get(key),
      reconcileId,
      log,
      signal: this.#runAbort.signal,
      failures: this.queue.failures(key),
    };
    let outcome: WorkOutcome;
    let result: 'success' | 'requeue' | 'error' | 'terminal';
    try {
      const r = await this.#opts.reconcile(key, ctx);
      const requeueAfter = r && typeof r === 'object' ? r.requeueAfter : undefined;
      outcome = { type: 'success', requeueAfterMs: requeueAfter };
      result = requeueAfter === undefined ? 'success' : 'requeue';
      // A key that is gone from the cache and reconciled cleanly needs no resync or retries.
      if (!this.#opts.cache.has(key) && requeueAfter === undefined) this.queue.forget(key);
    } catch (err) {
      if (isLeadershipLost(err) || (ctx.signal.aborted && isLeadershipLost(ctx.signal.reason))) {
        // Not a failure of this key: the replica stopped leading and the fence refused a call.
        log.info('reconcile ended: not leading', { error: err instanceof Error ? err.message : String(err) });
        this.#opts.metrics?.recordReconcile(this.name, 'error', (this.#clock.now() - began) / 1000);
        return { type: 'retry', error: err };
      }
      const action = (this.#opts.errorPolicy ?? defaultErrorPolicy)(err, key);
      const message = err instanceof Error ? err.message : String(err);
      if (action.type === 'terminal') {
        outcome = { type: 'terminal', error: err };
        result = 'terminal';
        log.error('reconcile failed, not retrying until the object changes', { error: message });
      } else {
        outcome = { type: 'retry', afterMs: action.afterMs, error: err };
        result = 'error';
        log.warn('reconcile failed, will retry', { error: message, attempt: ctx.failures + 1, failures: ctx.failures + 1 });
      }
    }
    const seconds = (this.#clock.now() - began) / 1000;
    this.#opts.metrics?.recordReconcile(this.name, result, seconds);
    log.debug('reconcile done', { result, ms: Math.round(seconds * 1000) });
    return outcome;
  }
}
