/**
 * Cache<T>: what a Controller needs of the cache it is driven by (kube-rs' reflector `Store`,
 * client-go's `Indexer` + informer handlers): read items by key, list the keys for resyncs,
 * be told which keys were added, changed or removed, and know when the first listing is in.
 * The ObjectIndex implements it; unit tests may use any other implementation.
 */
export type CacheEventType = 'added' | 'changed' | 'removed';

export interface CacheEvent<T> {
  type: CacheEventType;
  key: string;
  /** Item before the change (changed/removed). */
  old?: T;
  /** Item after the change (added/changed). */
  new?: T;
}

/** Gets the events of one update of the cache (empty for the first listing when it is empty). */
export type CacheListener<T> = (events: readonly CacheEvent<T>[]) => void;

export interface Cache<T> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  keys(): string[];
  list(): T[];
  /** Calls `listener` with the events of every later update. Returns an unsubscribe function. */
  subscribe(listener: CacheListener<T>): () => void;
  /** True once one full listing has been applied. */
  hasSynced(): boolean;
}
