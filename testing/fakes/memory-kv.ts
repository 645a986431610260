/**
 * MemoryKv: an in-memory KvStore for unit tests, with Consul's semantics where they matter to
 * callers (checked by the same contract tests as ConsulKv, see kv-contract.ts):
 * - one monotonic raft-like index; every write (and every transaction, as a whole) takes the
 *   next index, so all keys of one transaction share a ModifyIndex;
 * - a prefix's list index is the highest ModifyIndex under it, including deletions (tombstones);
 * - blocking lists resolve on a change under the prefix, or with the same index when `wait`
 *   runs out, and reject with the signal's reason when aborted;
 * - transactions are all-or-nothing and report every failing operation;
 * - sessions hold locks; destroying or invalidating a session releases (or deletes) its keys
 *   and starts the lock delay. TTLs do not run out by themselves: call `invalidateSession`.
 *
 * Test hooks: `failNext(err)` makes the next call throw (e.g. an 'Unavailable' outage), and
 * `resetIndex()` drops every key and restarts the index, like a restarted dev agent.
 */
import { SwarmopError } from '../../src/errors.js';
import { parseGoDuration } from '../../src/go-duration.js';
import { KvTxnConflictError, type TxnFailure } from '../../src/store/kv-errors.js';
import {
  MAX_TXN_OPS,
  type KvListOptions,
  type KvListResult,
  type KvPair,
  type KvStore,
  type KvTxnOp,
  type KvTxnResult,
  type SessionOptions,
} from '../../src/store/kv.js';

interface Entry {
  value: string;
  createIndex: number;
  modifyIndex: number;
  session?: string;
}

interface Session {
  id: string;
  options: SessionOptions;
  lockDelayMs: number;
}

export interface MemoryKvOptions {
  /** Clock for lock delays (ms since epoch); defaults to Date.now. */
  now?: () => number;
  /** Default wait of a blocking list without `wait` (ms); Consul's default is 5 minutes. */
  defaultWaitMs?: number;
}

export class MemoryKv implements KvStore {
  private entries = new Map<string, Entry>();
  /**
   * The highest modifyIndex under each prefix asked about, kept up to date by every write: a
   * blocking query's index check no longer scans the whole store (which made a first sync of
   * thousands of objects quadratic in the fake alone).
   */
  private readonly prefixMax = new Map<string, number>();
  /** key -> index at which it was deleted, so lists under its prefix report the deletion. */
  private tombstones = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();
  /** key -> time until which no session may acquire it. */
  private readonly lockDelays = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private index = 1;
  private pendingFailure: Error | undefined;
  private readonly now: () => number;
  private readonly defaultWaitMs: number;

  constructor(options: MemoryKvOptions = {}) {
    this.now = options.now ?? Date.now;
    this.defaultWaitMs = options.defaultWaitMs ?? 5 * 60_000;
  }

  /** The current raft-like index (for assertions). */
  get currentIndex(): number {
    return this.index;
  }

  /** The next call on this store throws `err` (once). */
  failNext(err: Error = new SwarmopError('Unavailable', 'cannot reach Consul at memory: injected failure')): void {
    this.pendingFailure = err;
  }

  /** Forgets every key and session and restarts the index at 1 (a restarted dev agent). */
  resetIndex(): void {
    this.entries = new Map();
    this.tombstones = new Map();
    this.prefixMax.clear();
    this.sessions.clear();
    this.lockDelays.clear();
    this.index = 1;
    this.notify();
  }

  /** Ends a session as if its TTL ran out. */
  async invalidateSession(id: string): Promise<void> {
    await this.destroySession(id);
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<KvPair | undefined> {
    this.enter(options.signal);
    const e = this.entries.get(key);
    return e ? toPair(key, e) : undefined;
  }

  async list(prefix: string, options: KvListOptions = {}): Promise<KvListResult> {
    this.enter(options.signal);
    const minIndex = options.index;
    if (minIndex !== undefined && minIndex > 0 && this.indexUnder(prefix) <= minIndex) {
      const waitMs = options.wait === undefined ? this.defaultWaitMs : parseGoDuration(options.wait);
      await this.waitForChange(prefix, minIndex, waitMs, options.signal);
    }
    const pairs = [...this.entries.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, e]) => toPair(k, e));
    return { index: this.indexUnder(prefix), pairs };
  }

  async prefixIndex(prefix: string, options: KvListOptions = {}): Promise<number> {
    this.enter(options.signal);
    const minIndex = options.index;
    if (minIndex !== undefined && minIndex > 0 && this.indexUnder(prefix) <= minIndex) {
      const waitMs = options.wait === undefined ? this.defaultWaitMs : parseGoDuration(options.wait);
      await this.waitForChange(prefix, minIndex, waitMs, options.signal);
    }
    return this.indexUnder(prefix);
  }

  async set(key: string, value: string): Promise<void> {
    this.enter();
    this.commit((idx) => this.write(key, value, idx));
  }

  async cas(key: string, value: string, index: number): Promise<boolean> {
    this.enter();
    const cur = this.entries.get(key);
    if (index === 0 ? cur !== undefined : cur?.modifyIndex !== index) return false;
    this.commit((idx) => this.write(key, value, idx));
    return true;
  }

  async delete(key: string, options: { cas?: number; recurse?: boolean } = {}): Promise<boolean> {
    this.enter();
    if (options.cas !== undefined) {
      const cur = this.entries.get(key);
      if (options.cas === 0 ? cur !== undefined : cur?.modifyIndex !== options.cas) return false;
    }
    const keys = options.recurse ? [...this.entries.keys()].filter((k) => k.startsWith(key)) : [key];
    this.commit((idx) => keys.forEach((k) => this.remove(k, idx)));
    return true;
  }

  async txn(ops: readonly KvTxnOp[]): Promise<KvTxnResult> {
    this.enter();
    if (ops.length === 0) return { results: [] };
    if (ops.length > MAX_TXN_OPS) {
      throw new SwarmopError('Internal', `a Consul transaction holds at most ${MAX_TXN_OPS} operations, got ${ops.length}`);
    }
    // Remember what the touched keys held and put it back unless every operation succeeded
    // (Consul aborts the whole txn). Copying both maps instead made each txn cost the store's size.
    const saved = new Map<string, { entry: Entry | undefined; tombstone: number | undefined }>();
    const save = (key: string): void => {
      if (!saved.has(key)) saved.set(key, { entry: this.entries.get(key), tombstone: this.tombstones.get(key) });
    };
    for (const op of ops) {
      save(op.key);
      if (op.verb === 'delete-tree') for (const k of this.entries.keys()) if (k.startsWith(op.key)) save(k);
    }
    const idx = this.index + 1;
    const failures: TxnFailure[] = [];
    const results: KvPair[] = [];
    ops.forEach((op, opIndex) => {
      const what = this.applyTxnOp(op, idx, results);
      if (what !== undefined) failures.push({ opIndex, key: op.key, what });
    });
    if (failures.length > 0) {
      for (const [key, { entry, tombstone }] of saved) {
        if (entry === undefined) this.entries.delete(key);
        else this.entries.set(key, entry);
        if (tombstone === undefined) this.tombstones.delete(key);
        else this.tombstones.set(key, tombstone);
      }
      this.prefixMax.clear();
      throw new KvTxnConflictError(failures);
    }
    const wrote = ops.some((op) => !['get', 'check-index', 'check-not-exists', 'check-session'].includes(op.verb));
    if (wrote) {
      this.index = idx;
      this.notify();
    }
    return { results };
  }

  async createSession(options: SessionOptions): Promise<string> {
    this.enter();
    const ttl = parseGoDuration(options.ttl);
    if (ttl !== 0 && (ttl < 10_000 || ttl > 86_400_000)) {
      throw new SwarmopError('Internal', `Consul rejected session: invalid TTL "${options.ttl}" (10s..24h)`);
    }
    const id = crypto.randomUUID();
    this.sessions.set(id, { id, options, lockDelayMs: parseGoDuration(options.lockDelay) });
    this.commit(() => undefined);
    return id;
  }

  async renewSession(id: string): Promise<boolean> {
    this.enter();
    return this.sessions.has(id);
  }

  async destroySession(id: string): Promise<void> {
    this.enter();
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.commit((idx) => {
      for (const [key, e] of [...this.entries]) {
        if (e.session !== id) continue;
        if (session.lockDelayMs > 0) this.lockDelays.set(key, this.now() + session.lockDelayMs);
        if (session.options.behavior === 'delete') this.remove(key, idx);
        else this.setEntry(key, { value: e.value, createIndex: e.createIndex, modifyIndex: idx });
      }
    });
  }

  async acquire(key: string, value: string, session: string): Promise<boolean> {
    this.enter();
    if (!this.sessions.has(session)) {
      throw new SwarmopError('Internal', `Consul rejected lock of ${key}: invalid session "${session}"`);
    }
    const cur = this.entries.get(key);
    if (cur?.session !== undefined && cur.session !== session) return false;
    const until = this.lockDelays.get(key);
    if (cur?.session !== session && until !== undefined && this.now() < until) return false;
    this.commit((idx) => {
      const e = this.write(key, value, idx);
      e.session = session;
    });
    return true;
  }

  async release(key: string, session: string): Promise<boolean> {
    this.enter();
    const cur = this.entries.get(key);
    if (cur === undefined || cur.session !== session) return false;
    this.commit((idx) => {
      this.setEntry(key, { value: cur.value, createIndex: cur.createIndex, modifyIndex: idx });
    });
    return true;
  }

  private enter(signal?: AbortSignal): void {
    signal?.throwIfAborted();
    const failure = this.pendingFailure;
    if (failure) {
      this.pendingFailure = undefined;
      throw failure;
    }
  }

  private commit(apply: (idx: number) => void): void {
    const idx = this.index + 1;
    apply(idx);
    this.index = idx;
    this.notify();
  }

  private write(key: string, value: string, idx: number): Entry {
    const cur = this.entries.get(key);
    const e: Entry = { value, createIndex: cur?.createIndex ?? idx, modifyIndex: idx };
    if (cur?.session !== undefined) e.session = cur.session;
    this.setEntry(key, e);
    this.tombstones.delete(key);
    return e;
  }

  private setEntry(key: string, e: Entry): void {
    this.entries.set(key, e);
    this.touch(key, e.modifyIndex);
  }

  private remove(key: string, idx: number): void {
    if (!this.entries.delete(key)) return;
    this.tombstones.set(key, idx);
    this.touch(key, idx);
  }

  private touch(key: string, idx: number): void {
    for (const [prefix, max] of this.prefixMax) if (idx > max && key.startsWith(prefix)) this.prefixMax.set(prefix, idx);
  }

  /** Returns undefined on success, or Consul-like reason text on failure. */
  private applyTxnOp(op: KvTxnOp, idx: number, results: KvPair[]): string | undefined {
    const cur = this.entries.get(op.key);
    switch (op.verb) {
      case 'set':
        results.push(toPair(op.key, this.write(op.key, op.value, idx), false));
        return undefined;
      case 'cas':
        if (op.index === 0 ? cur !== undefined : cur?.modifyIndex !== op.index) {
          return `failed to set key "${op.key}", index is stale`;
        }
        results.push(toPair(op.key, this.write(op.key, op.value, idx), false));
        return undefined;
      case 'get':
        if (!cur) return `key "${op.key}" doesn't exist`;
        results.push(toPair(op.key, cur));
        return undefined;
      case 'delete':
        this.remove(op.key, idx);
        return undefined;
      case 'delete-tree':
        for (const k of [...this.entries.keys()]) if (k.startsWith(op.key)) this.remove(k, idx);
        return undefined;
      case 'delete-cas':
        if (!cur || cur.modifyIndex !== op.index) return `failed to delete key "${op.key}", index is stale`;
        this.remove(op.key, idx);
        return undefined;
      case 'check-index':
        if (!cur) return `key "${op.key}" doesn't exist`;
        if (cur.modifyIndex !== op.index) return `current modify index ${cur.modifyIndex} != ${op.index}`;
        results.push(toPair(op.key, cur, false));
        return undefined;
      case 'check-not-exists':
        return cur ? `key "${op.key}" exists` : undefined;
      case 'check-session':
        if (!cur || cur.session !== op.session) return `key "${op.key}" is not locked by session "${op.session}"`;
        results.push(toPair(op.key, cur, false));
        return undefined;
    }
  }

  private indexUnder(prefix: string): number {
    let max = this.prefixMax.get(prefix);
    if (max === undefined) {
      max = 0;
      for (const [k, e] of this.entries) if (k.startsWith(prefix) && e.modifyIndex > max) max = e.modifyIndex;
      for (const [k, i] of this.tombstones) if (k.startsWith(prefix) && i > max) max = i;
      this.prefixMax.set(prefix, max);
    }
    // Consul answers an empty, never-written prefix with the store's index.
    return max === 0 ? this.index : max;
  }

  private waitForChange(prefix: string, minIndex: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      const check = (): void => {
        if (this.indexUnder(prefix) > minIndex) {
          finish();
          resolve();
        }
      };
      const onAbort = (): void => {
        finish();
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        finish();
        resolve();
      }, waitMs);
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

function toPair(key: string, e: Entry, withValue = true): KvPair {
  const pair: KvPair = { key, value: withValue ? e.value : '', createIndex: e.createIndex, modifyIndex: e.modifyIndex };
  if (e.session !== undefined) pair.session = e.session;
  return pair;
}
