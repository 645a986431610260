/**
 * The KV port (KvStore, KvPair, transactions, sessions) is defined in src/runtime/kv.ts, where
 * the kind-agnostic watcher and leader election use it; the store, the CLI and the controllers
 * import it from here, next to its Consul implementation (consul-kv.ts).
 */
export * from '../runtime/kv.js';
