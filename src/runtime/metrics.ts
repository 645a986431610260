/**
 * The operator's Prometheus metrics, on a Registry of their own (never prom-client's global one,
 * so two managers in one test process do not collide).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ReconcileResultLabel = 'success' | 'requeue' | 'error' | 'terminal';

export interface RuntimeMetricsOptions {
  /** Also collect process metrics (RSS, CPU, event-loop lag); default true. */
  processMetrics?: boolean;
}

export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly workqueueDepth: Gauge<'controller'>;
  readonly workqueueRetries: Counter<'controller'>;
  readonly leader: Gauge;
  readonly driftRepairs: Counter<'kind' | 'reason'>;

  constructor(options: RuntimeMetricsOptions = {}) {
    const registers = [this.registry];
    this.reconcileTotal = new Counter({
      name: 'swarmop_reconcile_total',
      help: 'Reconcile runs by controller and result (success, requeue, error, terminal).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'swarmop_reconcile_duration_seconds',
      help: 'Duration of one reconcile run.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'swarmop_reconcile_errors_total',
      help: 'Reconcile runs that ended in an error.',
      labelNames: ['controller'],
      registers,
    });
    this.workqueueDepth = new Gauge({
      name: 'swarmop_workqueue_depth',
      help: 'Keys waiting in the workqueue.',
      labelNames: ['controller'],
      registers,
    });
    this.workqueueRetries = new Counter({
      name: 'swarmop_workqueue_retries_total',
      help: 'Keys re-queued with backoff after an error.',
      labelNames: ['controller'],
      registers,
    });
    this.leader = new Gauge({
      name: 'swarmop_leader',
      help: '1 while this process holds the leader lock (or runs without leader election).',
      registers,
    });
    this.driftRepairs = new Counter({
      name: 'swarmop_drift_repairs_total',
      help: 'Repairs of actual state that had drifted from the desired state, by kind and reason.',
      labelNames: ['kind', 'reason'],
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'swarmop_' });
  }

  /** Counts one repair; call next to logDriftRepaired. */
  recordDriftRepair(kind: string, reason: string): void {
    this.driftRepairs.inc({ kind, reason });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
