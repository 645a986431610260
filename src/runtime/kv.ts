/**
 * KvStore: the slice of Consul's KV/session/txn API that swarmop needs, behind an interface so
 * unit tests use an in-memory fake (testing/fakes/memory-kv.ts) and everything else the real Consul
 * (src/store/consul-kv.ts). It lives in the runtime because the watcher and leader election need it
 * and the runtime imports nothing from src/store.
 * Indexes are Consul's raft indexes (X-Consul-Index / ModifyIndex).
 */
export interface KvPair {
  key: string;
  /** Decoded UTF-8 value ('' for a key with no value). */
  value: string;
  createIndex: number;
  modifyIndex: number;
  /** Session holding the key's lock, if any. */
  session?: string;
}

export interface KvListResult {
  /** X-Consul-Index of the answer: pass it back as `index` to block until something changes. */
  index: number;
  pairs: KvPair[];
}

export interface KvListOptions {
  /** Blocking query: return when the prefix's index exceeds this, or after `wait`. */
  index?: number;
  /** Max blocking time, Consul duration syntax ("30s"). */
  wait?: string;
  signal?: AbortSignal;
}

/** One operation of an atomic Consul transaction (/v1/txn). */
export type KvTxnOp =
  | { verb: 'set'; key: string; value: string }
  /** Set only if ModifyIndex == index; index 0 means "only if the key does not exist". */
  | { verb: 'cas'; key: string; value: string; index: number }
  | { verb: 'get'; key: string }
  | { verb: 'delete'; key: string }
  | { verb: 'delete-tree'; key: string }
  | { verb: 'delete-cas'; key: string; index: number }
  | { verb: 'check-index'; key: string; index: number }
  | { verb: 'check-not-exists'; key: string }
  /** Fails unless `key` is locked by `session` (fencing: only the lock holder's write applies). */
  | { verb: 'check-session'; key: string; session: string };

export interface KvTxnResult {
  /** Pairs returned by the operations (get/set/cas), in order. */
  results: KvPair[];
}

export interface SessionOptions {
  name: string;
  /** Consul duration, e.g. "10s" (Consul's minimum is 10s). */
  ttl: string;
  /** Consul duration, e.g. "15s"; 0s disables the lock delay. */
  lockDelay: string;
  behavior: 'release' | 'delete';
  /**
   * Health checks (on the agent's node) the session is bound to: Consul invalidates the session
   * the moment one of them turns critical. Default (absent): Consul's own `serfHealth` only.
   */
  checks?: string[];
}

/**
 * TTL health checks on the local Consul agent: a check the process keeps passing; when the
 * process dies or is cut off, the agent turns it critical after the TTL.
 */
export interface KvHealthChecks {
  registerTtlCheck(options: { id: string; name: string; ttl: string }): Promise<void>;
  passCheck(id: string): Promise<void>;
  deregisterCheck(id: string): Promise<void>;
  /** The agent's checks (id, name, status). */
  listChecks(): Promise<{ id: string; name: string; status: string }[]>;
}

export interface KvStore {
  get(key: string, options?: { signal?: AbortSignal }): Promise<KvPair | undefined>;
  list(prefix: string, options?: KvListOptions): Promise<KvListResult>;
  /**
   * The prefix's index (X-Consul-Index: the highest ModifyIndex under it, deletions included)
   * without transferring its values; blocks like `list` when `index` is given. Consul serves it
   * as `?keys&separator=/`, a few bytes however many keys the prefix holds.
   */
  prefixIndex(prefix: string, options?: KvListOptions): Promise<number>;
  set(key: string, value: string): Promise<void>;
  /** Compare-and-set on ModifyIndex (0 = create only). Resolves false when the index did not match. */
  cas(key: string, value: string, index: number): Promise<boolean>;
  delete(key: string, options?: { cas?: number; recurse?: boolean }): Promise<boolean>;
  /**
   * Atomic: either every operation applies or none. At most 64 operations (Consul 1.8).
   * Throws SwarmopError('Conflict') naming the failing keys when a check/cas fails.
   */
  txn(ops: readonly KvTxnOp[]): Promise<KvTxnResult>;

  createSession(options: SessionOptions): Promise<string>;
  /** Resolves false when the session no longer exists (expired or destroyed). */
  renewSession(id: string): Promise<boolean>;
  destroySession(id: string): Promise<void>;
  /** Lock acquisition through ?acquire=; false when another session holds the lock. */
  acquire(key: string, value: string, session: string): Promise<boolean>;
  release(key: string, session: string): Promise<boolean>;
}

/** Consul 1.8 refuses transactions with more operations than this. */
export const MAX_TXN_OPS = 64;
