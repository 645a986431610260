/**
 * LeaderElector: a Consul session lock on one key, so that of several operator replicas only one
 * reconciles (controller-runtime's leader election, on Consul's documented leader-election recipe).
 *
 * - Campaign: create a session (TTL, lock-delay, behavior "release"), `acquire` the key; while
 *   someone else holds it, block on the key with a blocking query and try again as soon as it is
 *   released, so a clean hand-over takes one round trip, not a poll period.
 * - Leading: `onStartedLeading(signal)` runs; the session is renewed every TTL/2. Leadership ends
 *   the moment a renewal says the session is gone, or no renewal succeeded for a whole TTL, or the
 *   key shows another (or no) session: the signal aborts and `onStoppedLeading()` is called.
 *   The elector then campaigns again with a new session.
 * - Clean stop (`signal` aborts): the leading callback's signal aborts, its promise is awaited
 *   (controllers drain), then the lock is released and the session destroyed at once, so a
 *   standby takes over within a round trip.
 * - A killed leader is replaced when Consul invalidates its session: Consul 1.8 does so up to
 *   twice the TTL after the last renewal, then the lock-delay keeps the lock from anyone.
 *   Measured (leader-election.int.test.ts, TTL 10 s, lock-delay 1 s): clean stop ~30 ms,
 *   lost session ~20.5 s.
 * - With `checks` (the default in the operator), the session is also bound to a TTL health check
 *   on the local agent that the elector passes every `checkPassMs` (500 ms): a killed or cut-off
 *   leader's check turns critical after `checkTtlSeconds` (2 s), which invalidates the session at
 *   once, so a standby leads about TTL + lock-delay later (~3 s) instead of up to 2x the session
 *   TTL. Safety: a leader that could not pass its check for 3/4 of the check TTL stops leading by
 *   itself, before Consul can give the lock to anyone (check TTL + lock-delay after its last pass).
 * Defaults: TTL 10 s (Consul's minimum), lock-delay 1 s.
 */
import { sleep, systemClock, type Clock } from './clock.js';
import { createSilentLogger, type Logger } from './logger.js';
import { randomUUID } from 'node:crypto';
import type { KvHealthChecks, KvStore } from './kv.js';
import { leadershipLost, type LeaseFence } from './fence.js';

export type ElectorPhase = 'candidate' | 'leader' | 'stopped';

export interface ElectorState {
  phase: ElectorPhase;
  /** True while we hold a live session (leader or standby talking to Consul). */
  healthy: boolean;
  session?: string;
  lastError?: string;
}

export interface LeaderElectorOptions {
  kv: Pick<KvStore, 'createSession' | 'renewSession' | 'destroySession' | 'acquire' | 'release' | 'list'>;
  /** Lock key, e.g. "swarmop/leader". */
  key: string;
  /** Written as the key's value while leading (host name, pid). */
  identity: string;
  /** Session TTL in seconds; default 10 (Consul's minimum). */
  ttlSeconds?: number;
  /** Consul lock-delay in seconds; default 1. */
  lockDelaySeconds?: number;
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  onStateChange?: (state: ElectorState) => void;
  /**
   * Release the lock on stop; default true. False leaves the session to expire, as if the
   * process had been killed (tests of the TTL take-over use it).
   */
  releaseOnStop?: boolean;
  /** Bind the session to a TTL check the elector keeps passing (see above). */
  checks?: KvHealthChecks;
  /** TTL of that check in seconds; default 2. */
  checkTtlSeconds?: number;
  /** How often the check is passed (ms); default 500. */
  checkPassMs?: number;
  /** Pause after errors and between attempts while the lock-delay holds; default 1000 ms. */
  retryMs?: number;
  /**
   * Granted a lease while leading and revoked before the lock is let go or as soon as it is lost:
   * every mutating call of the leader checks it (fence.ts).
   */
  fence?: LeaseFence;
  /**
   * After leadership is LOST (not a clean stop): 'exit' (default) makes start() reject with
   * LeadershipLost, as controller-runtime's managers exit; 'standby' campaigns again.
   */
  onLoss?: 'exit' | 'standby';
  clock?: Clock;
  log?: Logger;
}

/**
 * How long a lease lasts after the last proof that Consul still counts us alive, and the margin
 * before anyone else can take the lock:
 * - with the TTL check: the check turns critical no earlier than checkTtl after a pass we SENT, then
 *   the session is invalidated and the lock-delay keeps the lock from everyone. The lock cannot
 *   move before sent + checkTtl + lockDelay; the lease ends at sent + 3/4 checkTtl (1.5 s of 2 s).
 * - by the session alone: Consul invalidates it no earlier than TTL after a renewal we sent; the
 *   lease ends at sent + 3/4 TTL.
 * The margin (earliest lock move minus lease end) is at least checkTtl/4 (0.5 s) even with a
 * lock-delay of 0, and 1.5 s with the defaults.
 */
export const LEASE_FRACTION = 0.75;

export function leaseDeadline(p: { lastPassSentMs?: number; checkTtlMs?: number; lastRenewSentMs: number; sessionTtlMs: number }): number {
  const bySession = p.lastRenewSentMs + p.sessionTtlMs * LEASE_FRACTION;
  if (p.lastPassSentMs === undefined || p.checkTtlMs === undefined) return bySession;
  return Math.min(bySession, p.lastPassSentMs + p.checkTtlMs * LEASE_FRACTION);
}

/** The earliest time another replica can hold the lock, from the same proofs (for tests and docs). */
export function earliestLockMove(p: {
  lastPassSentMs?: number;
  checkTtlMs?: number;
  lastRenewSentMs: number;
  sessionTtlMs: number;
  lockDelayMs: number;
}): number {
  const bySession = p.lastRenewSentMs + p.sessionTtlMs + p.lockDelayMs;
  if (p.lastPassSentMs === undefined || p.checkTtlMs === undefined) return bySession;
  return Math.min(bySession, p.lastPassSentMs + p.checkTtlMs + p.lockDelayMs);
}

export const DEFAULT_LEADER_TTL_SECONDS = 10;
export const DEFAULT_LOCK_DELAY_SECONDS = 1;

export class LeaderElector {
  readonly #opts: LeaderElectorOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #state: ElectorState = { phase: 'candidate', healthy: false };

  constructor(options: LeaderElectorOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.log ?? createSilentLogger()).child({ component: 'leader-election', key: options.key });
  }

  get state(): Readonly<ElectorState> {
    return { ...this.#state };
  }

  isLeader(): boolean {
    return this.#state.phase === 'leader';
  }

  #set(patch: Partial<ElectorState>): void {
    const before = this.#state;
    this.#state = { ...before, ...patch };
    if (before.phase !== this.#state.phase || before.healthy !== this.#state.healthy) this.#opts.onStateChange?.(this.state);
  }

  /**
   * Campaigns and leads until `signal` aborts; resolves after a clean hand-over. After a LOST
   * leadership it rejects with LeadershipLost unless `onLoss` is 'standby'.
   */
  async start(signal: AbortSignal): Promise<void> {
    const retryMs = this.#opts.retryMs ?? 1000;
    while (!signal.aborted) {
      let ended: 'stopped' | 'lost';
      try {
        ended = await this.#term(signal);
      } catch (err) {
        if (signal.aborted) break;
        const message = err instanceof Error ? err.message : String(err);
        this.#set({ healthy: false, lastError: message, session: undefined });
        this.#log.warn('leader election failed, retrying', { error: message });
        await sleep(this.#clock, retryMs, signal);
        continue;
      }
      if (ended === 'lost' && (this.#opts.onLoss ?? 'exit') === 'exit') {
        this.#set({ phase: 'stopped', healthy: false, session: undefined });
        throw leadershipLost('leading', this.#state.lastError ?? 'the leader lock was lost');
      }
    }
    this.#set({ phase: 'stopped', healthy: false, session: undefined });
  }

  /** One session's life: campaign, maybe lead, end on stop or session loss. */
  async #term(signal: AbortSignal): Promise<'stopped' | 'lost'> {
    const { kv, key } = this.#opts;
    const ttl = this.#opts.ttlSeconds ?? DEFAULT_LEADER_TTL_SECONDS;
    const retryMs = this.#opts.retryMs ?? 1000;
    const checks = this.#opts.checks;
    const checkTtl = this.#opts.checkTtlSeconds ?? 2;
    const checkId = checks ? `swarmop-leader-${randomUUID()}` : undefined;
    // The proofs the lease is measured from: when we SENT the last request Consul accepted.
    const proofs: { lastPassSentMs?: number; lastRenewSentMs: number } = { lastRenewSentMs: this.#clock.now() };
    if (checks && checkId) {
      await this.#dropDeadChecks(checks);
      const sent = this.#clock.now();
      await checks.registerTtlCheck({ id: checkId, name: this.#checkName(), ttl: `${checkTtl}s` });
      proofs.lastPassSentMs = sent;
    }
    let session: string;
    try {
      proofs.lastRenewSentMs = this.#clock.now();
      session = await kv.createSession({
        name: `swarmop-leader ${this.#opts.identity}`,
        ttl: `${ttl}s`,
        lockDelay: `${this.#opts.lockDelaySeconds ?? DEFAULT_LOCK_DELAY_SECONDS}s`,
        behavior: 'release',
        ...(checkId ? { checks: ['serfHealth', checkId] } : {}),
      });
    } catch (err) {
      if (checks && checkId) await checks.deregisterCheck(checkId).catch(() => undefined);
      throw err;
    }
    this.#set({ session, healthy: true, lastError: undefined });
    const deadline = (): number =>
      leaseDeadline({ ...proofs, ...(checkId ? { checkTtlMs: checkTtl * 1000 } : {}), sessionTtlMs: ttl * 1000 });
    const lost = new AbortController();
    let lostReason: string | undefined;
    const loseLeadership = (reason: string): void => {
      if (lost.signal.aborted) return;
      lostReason = reason;
      lost.abort();
    };
    const fence = this.#opts.fence;
    const unsubscribe = fence?.onRevoke((reason) => loseLeadership(reason)) ?? (() => undefined);
    const renewing = this.#renewLoop(session, ttl, proofs, deadline, signal, lost, loseLeadership);
    const passing = checks && checkId ? this.#passLoop(checks, checkId, proofs, deadline, signal, lost, loseLeadership) : Promise.resolve();
    const watchSignal = AbortSignal.any([signal, lost.signal]);
    let lead: { abort: AbortController; done: Promise<void> } | undefined;
    let index = 0;
    // Holder seen by the last blocking query; null before the first one.
    let seenHolder: string | undefined | null = null;
    let ended: 'stopped' | 'lost' = 'stopped';
    try {
      while (!watchSignal.aborted) {
        if (!lead) {
          if (await kv.acquire(key, this.#opts.identity, session)) {
            fence?.grant({ key, session, deadline });
            lead = this.#lead(session);
          } else if (seenHolder === undefined) {
            // Free but refused: Consul's lock-delay after an invalidated session. Retry shortly
            // instead of blocking on a key that will not change when the delay ends.
            await sleep(this.#clock, Math.min(retryMs, 200), watchSignal);
            continue;
          }
        }
        const res = await kv.list(key, { index, wait: `${ttl}s`, signal: watchSignal });
        index = res.index < index ? 0 : res.index;
        seenHolder = res.pairs.find((p) => p.key === key)?.session;
        if (lead && seenHolder !== session) {
          loseLeadership(`the lock is held by ${seenHolder ?? 'no one'}`);
          break;
        }
      }
    } catch (err) {
      if (!watchSignal.aborted) {
        if (!lead) throw err;
        loseLeadership(`watching the lock failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      unsubscribe();
      if (lead && lostReason === undefined && signal.aborted) {
        // Clean stop: the lock is still ours while the leading work drains; the lease ends before
        // the lock is released below.
        lost.abort();
        await this.#stopLeading(lead);
        fence?.revoke('stopping');
      } else if (lead) {
        // Lost: no call passes the fence from here on, in-flight ones are aborted, and the line is
        // logged now, not after the work has wound down.
        const reason = lostReason ?? 'the leader lock was lost';
        fence?.revoke(reason);
        lost.abort();
        this.#set({ lastError: reason });
        await this.#loseLeading(lead, reason);
        ended = 'lost';
      } else {
        lost.abort();
      }
      await renewing;
      await passing;
      const keep = signal.aborted && this.#opts.releaseOnStop === false;
      if (signal.aborted && !keep) {
        await this.#releaseQuietly(session);
      }
      // Not left behind (unless playing a killed process): a dead check only clutters the agent.
      // After a loss the agent may be unreachable (a partition): the next process's start cleans
      // the critical check up (#dropDeadChecks) instead of this one hanging on it.
      if (checks && checkId && !keep && ended !== 'lost') await checks.deregisterCheck(checkId).catch(() => undefined);
      this.#set({ session: undefined, healthy: false });
    }
    return ended;
  }

  #lead(session: string): { abort: AbortController; done: Promise<void> } {
    const abort = new AbortController();
    this.#set({ phase: 'leader' });
    this.#log.info('started leading', { session });
    const done = (async () => {
      try {
        await this.#opts.onStartedLeading(abort.signal);
      } catch (err) {
        this.#log.error('leading callback failed', { error: err instanceof Error ? err.message : String(err) });
      }
    })();
    return { abort, done };
  }

  async #stopLeading(lead: { abort: AbortController; done: Promise<void> }): Promise<void> {
    lead.abort.abort();
    this.#set({ phase: 'candidate' });
    this.#opts.onStoppedLeading?.();
    // A clean stop: logged once the leading work has drained (the lock is still held until then),
    // so no reconcile line of this term ever follows it.
    await lead.done;
    this.#log.info('stopped leading');
  }

  /** The lock is (or must be taken as) gone: abort with a LeadershipLost reason, so nothing drains. */
  async #loseLeading(lead: { abort: AbortController; done: Promise<void> }, reason: string): Promise<void> {
    lead.abort.abort(leadershipLost('leading', reason));
    this.#set({ phase: 'candidate' });
    this.#opts.onStoppedLeading?.();
    this.#log.warn('stopped leading', { reason, lockLost: true });
    await lead.done;
    this.#log.info('leading work ended after the lock was lost');
  }

  async #releaseQuietly(session: string): Promise<void> {
    try {
      await this.#opts.kv.release(this.#opts.key, session);
    } catch (err) {
      this.#log.warn('could not release the leader lock', { error: err instanceof Error ? err.message : String(err) });
    }
    try {
      await this.#opts.kv.destroySession(session);
    } catch (err) {
      this.#log.warn('could not destroy the leader session', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  #checkName(): string {
    return `swarmop-leader ${this.#opts.key}`;
  }

  /** Critical checks of this lock left by killed processes (their sessions are gone already). */
  async #dropDeadChecks(checks: KvHealthChecks): Promise<void> {
    try {
      for (const c of await checks.listChecks()) {
        if (c.name === this.#checkName() && c.status === 'critical') await checks.deregisterCheck(c.id);
      }
    } catch (err) {
      this.#log.debug('could not clean up dead leader checks', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * Passes the check every checkPassMs; ends the term when the lease deadline (from the last pass
   * Consul accepted) is reached. The deadline is checked on every tick, never after awaiting a
   * pass: a request into a partition can hang far longer than the TTL.
   */
  async #passLoop(
    checks: KvHealthChecks,
    id: string,
    proofs: { lastPassSentMs?: number },
    deadline: () => number,
    signal: AbortSignal,
    lost: AbortController,
    lose: (reason: string) => void,
  ): Promise<void> {
    const every = Math.min(this.#opts.checkPassMs ?? 500, 100);
    const passEvery = this.#opts.checkPassMs ?? 500;
    let lastTry = -Infinity;
    let inFlight = false;
    while (!signal.aborted && !lost.signal.aborted) {
      await sleep(this.#clock, every, AbortSignal.any([signal, lost.signal]));
      if (signal.aborted || lost.signal.aborted) return;
      const now = this.#clock.now();
      if (!inFlight && now - lastTry >= passEvery) {
        inFlight = true;
        lastTry = now;
        const sent = now;
        checks.passCheck(id).then(
          () => {
            inFlight = false;
            proofs.lastPassSentMs = Math.max(proofs.lastPassSentMs ?? sent, sent);
          },
          (err: unknown) => {
            inFlight = false;
            this.#set({ lastError: err instanceof Error ? err.message : String(err) });
          },
        );
      }
      if (now >= deadline()) {
        const sinceMs = Math.round(now - (proofs.lastPassSentMs ?? now));
        this.#log.warn('leader check not passed in time, giving up leadership', { sinceMs });
        lose(`the leader check was not passed for ${sinceMs} ms`);
        return;
      }
    }
  }

  /** Renews every TTL/2 (retrying every second on errors); ends the term when the session is gone. */
  async #renewLoop(
    session: string,
    ttl: number,
    proofs: { lastRenewSentMs: number },
    deadline: () => number,
    signal: AbortSignal,
    lost: AbortController,
    lose: (reason: string) => void,
  ): Promise<void> {
    let delay = (ttl * 1000) / 2;
    while (!signal.aborted && !lost.signal.aborted) {
      await sleep(this.#clock, delay, AbortSignal.any([signal, lost.signal]));
      if (signal.aborted || lost.signal.aborted) return;
      const sent = this.#clock.now();
      try {
        if (!(await this.#opts.kv.renewSession(session))) {
          this.#log.warn('leader session expired');
          lose('the leader session is gone');
          return;
        }
        proofs.lastRenewSentMs = Math.max(proofs.lastRenewSentMs, sent);
        delay = (ttl * 1000) / 2;
        this.#set({ healthy: true });
      } catch (err) {
        this.#set({ healthy: false, lastError: err instanceof Error ? err.message : String(err) });
        if (this.#clock.now() >= deadline()) {
          this.#log.warn('leader session not renewed in time, giving up leadership');
          lose('the leader session was not renewed in time');
          return;
        }
        delay = 1000;
      }
    }
  }
}
