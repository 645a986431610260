/**
 * FencedKv: the KvStore the operator's controllers and store write through under leader election.
 * Reads pass as they are. Every write first passes the fence (no write leaves a replica whose lease
 * ended), and is sent as a transaction that also proves the leader lock (`check-session` on the lock
 * key with this term's session): Consul itself refuses a late write from an old leader, whatever the
 * old leader's clock or scheduling did. A refusal by the store revokes the lease at once.
 */
import { leadershipLost, type Fence } from '../runtime/fence.js';
import { KvTxnConflictError, isTxnConflict } from './kv-errors.js';
import type { KvListOptions, KvListResult, KvPair, KvStore, KvTxnOp, KvTxnResult, SessionOptions } from './kv.js';

export interface FencedKvOptions {
  kv: KvStore;
  fence: Fence;
  /** Counts writes the store refused because the lock was no longer ours (a metric). */
  onRefusedByStore?: () => void;
  /**
   * A Consul other than the store (SwarmCluster's discovery agents): it holds no leader lock to
   * prove, so writes pass the fence only; its sessions and locks are the writer's own, so they pass
   * the fence too. Default false (the store).
   */
  foreign?: boolean;
}

export class FencedKv implements KvStore {
  readonly #kv: KvStore;
  readonly #fence: Fence;
  readonly #onRefused: (() => void) | undefined;
  readonly #foreign: boolean;

  constructor(options: FencedKvOptions) {
    this.#kv = options.kv;
    this.#fence = options.fence;
    this.#onRefused = options.onRefusedByStore;
    this.#foreign = options.foreign === true;
  }

  get(key: string, options?: { signal?: AbortSignal }): Promise<KvPair | undefined> {
    return this.#kv.get(key, options);
  }

  list(prefix: string, options?: KvListOptions): Promise<KvListResult> {
    return this.#kv.list(prefix, options);
  }

  prefixIndex(prefix: string, options?: KvListOptions): Promise<number> {
    return this.#kv.prefixIndex(prefix, options);
  }

  async set(key: string, value: string): Promise<void> {
    await this.txn([{ verb: 'set', key, value }]);
  }

  async cas(key: string, value: string, index: number): Promise<boolean> {
    return this.#lostOnConflict(() => this.txn([{ verb: 'cas', key, value, index }]));
  }

  async delete(key: string, options?: { cas?: number; recurse?: boolean }): Promise<boolean> {
    const op: KvTxnOp =
      options?.recurse === true
        ? { verb: 'delete-tree', key }
        : options?.cas !== undefined
          ? { verb: 'delete-cas', key, index: options.cas }
          : { verb: 'delete', key };
    return this.#lostOnConflict(() => this.txn([op]));
  }

  async txn(ops: readonly KvTxnOp[]): Promise<KvTxnResult> {
    const what = `store write of ${ops[0]?.key ?? 'nothing'}${ops.length > 1 ? ` and ${ops.length - 1} more` : ''}`;
    this.#fence.check(what);
    const lock = this.#foreign ? undefined : this.#fence.lock;
    if (!lock) return this.#kv.txn(ops);
    try {
      const res = await this.#kv.txn([...ops, { verb: 'check-session', key: lock.key, session: lock.session }]);
      // The check returns the lock's pair last; callers see only their own operations' results.
      return { results: res.results.filter((p, i) => !(i === res.results.length - 1 && p.key === lock.key)) };
    } catch (err) {
      if (isTxnConflict(err) && err.failures.some((f) => f.opIndex === ops.length)) {
        this.#onRefused?.();
        const reason = `the store refused a write: ${lock.key} is no longer locked by session ${lock.session}`;
        this.#fence.revoke(reason);
        throw leadershipLost(what, reason);
      }
      if (isTxnConflict(err)) throw new KvTxnConflictError(err.failures.filter((f) => f.opIndex < ops.length));
      throw err;
    }
  }

  /** cas/delete semantics: a lost compare-and-set is `false`, not an error. */
  async #lostOnConflict(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (isTxnConflict(err)) return false;
      throw err;
    }
  }

  // In the store, sessions and locks are the elector's (it holds the unfenced store); in a foreign
  // Consul they are the operator's own writes (discovery keys held by sessions) and pass the fence.
  async createSession(options: SessionOptions): Promise<string> {
    this.#guardSession('session create');
    return this.#kv.createSession(options);
  }

  async renewSession(id: string): Promise<boolean> {
    this.#guardSession('session renew');
    return this.#kv.renewSession(id);
  }

  async destroySession(id: string): Promise<void> {
    this.#guardSession('session destroy');
    return this.#kv.destroySession(id);
  }

  async acquire(key: string, value: string, session: string): Promise<boolean> {
    this.#guardSession(`lock of ${key}`);
    return this.#kv.acquire(key, value, session);
  }

  async release(key: string, session: string): Promise<boolean> {
    this.#guardSession(`release of ${key}`);
    return this.#kv.release(key, session);
  }

  #guardSession(what: string): void {
    if (this.#foreign) this.#fence.check(what);
  }
}
