/**
 * Manager: runs the operator's long-running parts on one AbortSignal (controller-runtime's
 * Manager). Sources (watchers feeding object indexes) always run, so a standby replica keeps a warm
 * cache; controllers and `leaderRunnables` (e.g. Docker event streams) run only while leading
 * when leader election is on. SIGTERM/SIGINT abort the signal; `run()` resolves once in-flight
 * reconciles have drained, so the process can exit 0. The metrics server serves
 * /healthz, /readyz (every source synced and, with election, leading or a healthy standby) and
 * /metrics.
 */
import { LeaderElector, type LeaderElectorOptions } from './leader-election.js';
import { createSilentLogger, type Logger } from './logger.js';
import { MetricsServer, type HttpRoute, type Readiness } from './metrics-server.js';
import { RuntimeMetrics } from './metrics.js';

export interface Runnable {
  name: string;
  start(signal: AbortSignal): Promise<void>;
}

export interface Source extends Runnable {
  hasSynced(): boolean;
}

export interface ManagerOptions {
  /** Always running: watchers feeding the caches. */
  sources?: Source[];
  /** Always running, not part of readiness (e.g. the status page's feed). */
  runnables?: Runnable[];
  /** Running only while leading (or always, without election): controllers, event streams. */
  leaderRunnables?: Runnable[];
  /** Turns leader election on; the callbacks are the manager's. */
  leaderElection?: Omit<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading' | 'log'>;
  /** "host:port" for /healthz, /readyz, /metrics; none when undefined. */
  metricsAddr?: string;
  /** The token /metrics asks for; undefined: open (a loopback address). */
  metricsToken?: string;
  /** Extra read-only pages served on the metrics address (e.g. the status page under /ui). */
  httpRoutes?: readonly HttpRoute[];
  metrics?: RuntimeMetrics;
  /** Abort on SIGTERM/SIGINT; default true. */
  handleSignals?: boolean;
  log?: Logger;
}

export class Manager {
  readonly metrics: RuntimeMetrics;
  readonly #opts: ManagerOptions;
  readonly #log: Logger;
  #elector: LeaderElector | undefined;
  #server: MetricsServer | undefined;

  constructor(options: ManagerOptions) {
    this.#opts = options;
    this.metrics = options.metrics ?? new RuntimeMetrics();
    this.#log = options.log ?? createSilentLogger();
  }

  /** Bound metrics address once listening (port 0 picks one). */
  get metricsAddress(): { address: string; port: number } | undefined {
    return this.#server?.address;
  }

  readiness(): Readiness {
    const checks: string[] = [];
    let ready = true;
    for (const s of this.#opts.sources ?? []) {
      const synced = s.hasSynced();
      ready &&= synced;
      checks.push(`source ${s.name}: ${synced ? 'synced' : 'not synced'}`);
    }
    if (this.#elector) {
      const st = this.#elector.state;
      const ok = st.phase === 'leader' || st.healthy;
      ready &&= ok;
      checks.push(`leader election: ${st.phase}${st.healthy ? '' : ' (no live session)'}`);
    }
    return { ready, checks };
  }

  /** Runs until `signal` aborts (or SIGTERM/SIGINT); resolves after everything has stopped. */
  async run(signal?: AbortSignal): Promise<void> {
    const ac = new AbortController();
    const stop = (why: string) => () => {
      if (ac.signal.aborted) return;
      this.#log.info('stopping', { reason: why });
      ac.abort();
    };
    const onTerm = stop('SIGTERM');
    const onInt = stop('SIGINT');
    const onOuter = stop('signal');
    if (this.#opts.handleSignals ?? true) {
      process.once('SIGTERM', onTerm);
      process.once('SIGINT', onInt);
    }
    signal?.addEventListener('abort', onOuter, { once: true });
    if (signal?.aborted) ac.abort();
    const tasks: Promise<void>[] = [];
    // Runtime timers are unref'd so that a stopped manager lets the process exit. While it runs,
    // this one keeps the process alive: when the store has no leader, every part may wait on a
    // timer only (watcher and reconciles in backoff, no metrics socket, no host stream open), and
    // Node would otherwise end the process silently (exit 13, unsettled top-level await).
    const keepAlive = setInterval(() => undefined, 2 ** 31 - 1);
    try {
      if (this.#opts.metricsAddr !== undefined) {
        this.#server = new MetricsServer({
          addr: this.#opts.metricsAddr,
          metrics: this.metrics,
          readiness: () => this.readiness(),
          ...(this.#opts.httpRoutes ? { routes: this.#opts.httpRoutes } : {}),
          ...(this.#opts.metricsToken !== undefined ? { metricsToken: this.#opts.metricsToken } : {}),
          log: this.#log,
        });
        await this.#server.listen();
        tasks.push(this.#server.start(ac.signal));
      }
      for (const s of [...(this.#opts.sources ?? []), ...(this.#opts.runnables ?? [])]) tasks.push(this.#guard(s, ac.signal));
      // controller-runtime's lease name; without election this process always leads.
      const lease = this.#opts.leaderElection?.key ?? 'swarmop';
      if (this.#opts.leaderElection) this.metrics.setLeader(lease, false);
      const lead = async (leadSignal: AbortSignal): Promise<void> => {
        this.metrics.setLeader(lease, true);
        try {
          await Promise.all((this.#opts.leaderRunnables ?? []).map((r) => this.#guard(r, leadSignal)));
        } finally {
          this.metrics.setLeader(lease, false);
        }
      };
      if (this.#opts.leaderElection) {
        this.#elector = new LeaderElector({
          ...this.#opts.leaderElection,
          log: this.#log,
          onStartedLeading: lead,
          // At once, not after the leading work wound down: dashboards must not show two leaders.
          onStoppedLeading: () => this.metrics.setLeader(lease, false),
        });
        tasks.push(this.#elector.start(ac.signal));
      } else {
        tasks.push(lead(ac.signal));
      }
      await Promise.all(tasks);
    } finally {
      ac.abort();
      await Promise.allSettled(tasks);
      clearInterval(keepAlive);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      signal?.removeEventListener('abort', onOuter);
      this.#log.info('stopped');
    }
  }

  /** A part that returns or throws before the stop signal is a bug: log it and stop everything. */
  async #guard(r: Runnable, signal: AbortSignal): Promise<void> {
    try {
      await r.start(signal);
      if (!signal.aborted) throw new Error('returned before the stop signal');
    } catch (err) {
      if (signal.aborted) return;
      this.#log.error('runnable failed', { runnable: r.name, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }
}
