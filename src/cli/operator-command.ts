/**
 * `swarmop operator`: builds the operator from its flags and runs it until SIGTERM/SIGINT.
 * A signal aborts one AbortSignal; controllers drain their in-flight reconciles, a leader releases
 * its lock at once, and the process exits 0. A second signal exits at once with 130.
 */
import { hostname } from 'node:os';
import { allReconcilers } from '../controllers/index.js';
import { Operator } from '../operator/operator.js';
import { createLogger, type LogLevel } from '../runtime/logger.js';
import { LeaderElector } from '../runtime/leader-election.js';
import { MetricsServer } from '../runtime/metrics-server.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { ConsulKv, consulOptionsFromEnv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { leaderKey } from '../store/store-keys.js';
import type { OperatorOptions } from './commands/operator.js';

/** Leader-election timing (seconds); defaults in src/runtime/leader-election.ts (TTL 10 s, lock-delay 1 s). */
export interface LeaseOptions {
  leaseSeconds?: number;
  lockDelaySeconds?: number;
}

export async function runOperator(options: OperatorOptions & LeaseOptions): Promise<number> {
  const log = createLogger({ format: options.logFormat, level: options.logLevel as LogLevel });
  const consul = { ...consulOptionsFromEnv(), ...(options.consulAddr ? { address: options.consulAddr } : {}) };
  const kv = new ConsulKv(consul);
  const store = new ResourceStore({ kv, prefix: options.prefix });
  const metrics = new RuntimeMetrics();
  const identity = `${hostname()}/${process.pid}`;

  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn('second signal, exiting without draining', { signal: sig });
      process.exit(130);
    }
    log.info('stopping: draining in-flight reconciles', { signal: sig });
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let current: Operator | undefined;
  let leading = !options.leaderElect;
  let elector: LeaderElector | undefined;
  const newOperator = () =>
    new Operator({
      kv,
      store,
      reconcilers: allReconcilers(),
      log,
      metrics,
      resyncMs: options.resyncSeconds * 1000,
      concurrency: options.maxConcurrentReconciles,
    });

  let server: MetricsServer | undefined;
  if (options.metricsAddr !== '0') {
    server = new MetricsServer({
      addr: options.metricsAddr,
      metrics,
      log,
      readiness: () => {
        const synced = current?.hasSynced() ?? false;
        const electorHealthy = elector?.state.healthy ?? true;
        const checks = [`leader election: ${options.leaderElect ? (leading ? 'leader' : 'standby') : 'off'}`, `cache: ${synced ? 'synced' : 'not synced'}`];
        return { ready: leading ? synced : electorHealthy, checks };
      },
    });
    const addr = await server.listen();
    log.info('serving metrics', { addr: `${addr.address}:${addr.port}` });
  }

  log.info('operator starting', { prefix: store.prefix, consul: consul.address, leaderElect: options.leaderElect, identity });
  try {
    if (!options.leaderElect) {
      metrics.leader.set(1);
      current = newOperator();
      await current.start(stop.signal);
    } else {
      metrics.leader.set(0);
      elector = new LeaderElector({
        kv,
        key: leaderKey(store.prefix),
        identity,
        ttlSeconds: options.leaseSeconds,
        lockDelaySeconds: options.lockDelaySeconds,
        log,
        onStartedLeading: async (signal) => {
          leading = true;
          metrics.leader.set(1);
          log.info('became leader', { identity });
          current = newOperator();
          await current.start(signal);
        },
        onStoppedLeading: () => {
          leading = false;
          metrics.leader.set(0);
          log.info('stopped leading', { identity });
        },
      });
      await elector.start(stop.signal);
    }
  } finally {
    await server?.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  log.info('operator stopped');
  return 0;
}
