/** The runtime's public surface (kind-agnostic; see each module's doc comment). */
export * from './backoff.js';
export * from './cache.js';
export * from './clock.js';
export * from './controller.js';
export * from './docker-events.js';
export * from './kv.js';
export * from './leader-election.js';
export * from './logger.js';
export * from './manager.js';
export * from './metrics-server.js';
export * from './metrics.js';
export * from './reflector.js';
export * from './watcher.js';
export * from './workqueue.js';
