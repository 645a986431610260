/**
 * Fence: the one gate every mutating call passes (a Docker create/start/exec/import, a swarm or Consul
 * agent change, a store write), so that of several operator replicas only the one holding the leader
 * lock changes anything, and an old leader stops BEFORE a new one can start.
 *
 * - `check(action)` throws LeadershipLost unless a lease is held right now. The lease ends at its
 *   deadline (see leaseDeadline in leader-election.ts: earlier than any other replica could take the
 *   lock), or when it is revoked (lock lost, clean stop, the store refused our lock).
 * - `signal` aborts the moment the lease ends: callers hand it to their in-flight calls, which are
 *   aborted rather than drained.
 * - `lock` is the key and session a store write proves in the same transaction (Consul's
 *   `check-session` verb), so a late write from an old leader is refused by the store itself even
 *   if it got past `check` (a paused process, a clock jump).
 * Without leader election the operator uses `openFence()`: always held, never aborts.
 */
import { SwarmopError } from '../errors.js';
import { systemClock, type Clock } from './clock.js';

export interface FenceLock {
  key: string;
  session: string;
}

export interface Fence {
  /** Throws LeadershipLost unless this process may change the world now. */
  check(action: string): void;
  /** Aborts (with a LeadershipLost reason) the moment the current lease ends. */
  readonly signal: AbortSignal;
  /** The lock store writes must prove in the same transaction; undefined without election. */
  readonly lock: FenceLock | undefined;
  /** Ends the current lease (a writer learned from the store that the lock is gone). */
  revoke(reason: string): void;
}

export function leadershipLost(action: string, reason: string): SwarmopError {
  return new SwarmopError('LeadershipLost', `not leading (${reason}): refused ${action}`);
}

export function isLeadershipLost(err: unknown): boolean {
  return err instanceof SwarmopError && err.code === 'LeadershipLost';
}

const NEVER = new AbortController().signal;

/** The fence of an operator without leader election: it always leads. */
export function openFence(): Fence {
  return { check: () => undefined, signal: NEVER, lock: undefined, revoke: () => undefined };
}

export interface Lease extends FenceLock {
  /** Clock time (ms) after which the lease must be taken as lost; re-read on every check. */
  deadline(): number;
}

interface Held {
  lease: Lease;
  abort: AbortController;
}

/**
 * The fence of a replica under leader election: the LeaderElector grants a lease when it takes the
 * lock and revokes it before it lets go of (or learns it lost) the lock.
 */
export class LeaseFence implements Fence {
  readonly #clock: Clock;
  readonly #onRevoke = new Set<(reason: string) => void>();
  readonly #onRefuse: ((action: string, reason: string) => void) | undefined;
  #held: Held | undefined;
  #lastReason = 'not leading yet';
  #endedSignal: AbortSignal = (() => {
    const ac = new AbortController();
    ac.abort(leadershipLost('any call', 'not leading yet'));
    return ac.signal;
  })();

  constructor(options: { clock?: Clock; onRefuse?: (action: string, reason: string) => void } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#onRefuse = options.onRefuse;
  }

  grant(lease: Lease): void {
    this.#held = { lease, abort: new AbortController() };
  }

  held(): boolean {
    const h = this.#held;
    if (!h) return false;
    if (this.#clock.now() >= h.lease.deadline()) {
      this.revoke('lease expired: the leader check was not passed in time');
      return false;
    }
    return true;
  }

  check(action: string): void {
    if (this.held()) return;
    this.#onRefuse?.(action, this.#lastReason);
    throw leadershipLost(action, this.#lastReason);
  }

  get signal(): AbortSignal {
    return this.#held?.abort.signal ?? this.#endedSignal;
  }

  get lock(): FenceLock | undefined {
    const h = this.#held;
    return h ? { key: h.lease.key, session: h.lease.session } : undefined;
  }

  /** Idempotent; listeners hear only the first revocation of a lease. */
  revoke(reason: string): void {
    const h = this.#held;
    if (!h) return;
    this.#held = undefined;
    this.#lastReason = reason;
    const err = leadershipLost('any call', reason);
    this.#endedSignal = h.abort.signal;
    h.abort.abort(err);
    for (const l of this.#onRevoke) l(reason);
  }

  /** Called after every revocation (the elector ends its term on it). Returns an unsubscribe. */
  onRevoke(listener: (reason: string) => void): () => void {
    this.#onRevoke.add(listener);
    return () => this.#onRevoke.delete(listener);
  }
}

/** Any HTTP method but GET and HEAD can change something (no method given is a GET). */
export function isChangingMethod(method: string | undefined): boolean {
  const m = (method ?? 'GET').toUpperCase();
  return m !== 'GET' && m !== 'HEAD';
}

/**
 * For one HTTP call: a mutating method must pass the fence, and is then cut off when the lease ends.
 * Reads pass unchanged. Returns the signal the call must use.
 */
export function guardCall(fence: Fence | undefined, method: string, what: string, signal: AbortSignal): AbortSignal {
  if (!fence || !isChangingMethod(method)) return signal;
  fence.check(what);
  return AbortSignal.any([signal, fence.signal]);
}
