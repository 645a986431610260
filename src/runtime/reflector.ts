/**
 * Reflector<T>: the in-memory cache controllers read from (kube-rs' reflector store). It is fed
 * whole listings by a PrefixWatcher (`apply` fits `onSnapshot`), turns them into items with the
 * caller's `decode`, and tells subscribers which keys were added, changed or removed.
 * "Changed" means `identity(item)` differs (e.g. resourceVersion plus the status key's index), so
 * re-deliveries of the same listing notify nobody. Controllers never list Consul per reconcile.
 */
import type { KvPair } from '../store/kv.js';

export type ReflectorEventType = 'added' | 'changed' | 'removed';

export interface ReflectorEvent<T> {
  type: ReflectorEventType;
  key: string;
  /** Item before the change (changed/removed). */
  old?: T;
  /** Item after the change (added/changed). */
  new?: T;
}

export type ReflectorListener<T> = (events: readonly ReflectorEvent<T>[]) => void;

export interface ReflectorOptions<T> {
  /** Builds the items of one listing, by key. Spec and status keys may combine into one item. */
  decode: (pairs: readonly KvPair[]) => Iterable<readonly [string, T]>;
  /** A version of an item; two items with the same identity are the same. Default: JSON text. */
  identity?: (item: T) => string;
}

interface Entry<T> {
  item: T;
  identity: string;
}

export class Reflector<T> {
  readonly #decode: ReflectorOptions<T>['decode'];
  readonly #identity: (item: T) => string;
  #items = new Map<string, Entry<T>>();
  #listeners = new Set<ReflectorListener<T>>();
  #synced = false;
  #index = 0;

  constructor(options: ReflectorOptions<T>) {
    this.#decode = options.decode;
    this.#identity = options.identity ?? ((item) => JSON.stringify(item));
  }

  /** Replaces the cache with one full listing; returns the per-key differences. */
  apply(pairs: readonly KvPair[], index: number): ReflectorEvent<T>[] {
    const next = new Map<string, Entry<T>>();
    for (const [key, item] of this.#decode(pairs)) next.set(key, { item, identity: this.#identity(item) });
    const events: ReflectorEvent<T>[] = [];
    for (const [key, entry] of next) {
      const prev = this.#items.get(key);
      if (!prev) events.push({ type: 'added', key, new: entry.item });
      else if (prev.identity !== entry.identity) events.push({ type: 'changed', key, old: prev.item, new: entry.item });
    }
    for (const [key, prev] of this.#items) {
      if (!next.has(key)) events.push({ type: 'removed', key, old: prev.item });
    }
    this.#items = next;
    this.#index = index;
    const first = !this.#synced;
    this.#synced = true;
    // The first listing is announced even when empty so subscribers can mark themselves synced.
    if (events.length > 0 || first) for (const l of this.#listeners) l(events);
    return events;
  }

  /** Calls `listener` with the events of every later listing. Returns an unsubscribe function. */
  subscribe(listener: ReflectorListener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(key: string): T | undefined {
    return this.#items.get(key)?.item;
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  list(): T[] {
    return [...this.#items.values()].map((e) => e.item);
  }

  get size(): number {
    return this.#items.size;
  }

  /** Consul index of the listing the cache holds. */
  get index(): number {
    return this.#index;
  }

  /** True once one full listing has been applied. */
  hasSynced(): boolean {
    return this.#synced;
  }
}
