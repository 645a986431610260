/**
 * The operator's Prometheus metrics, on a Registry of their own (never prom-client's global one,
 * so two managers in one test process do not collide).
 *
 * Two families describe the same runs: swarmop's own (`swarmop_*`) and controller-runtime's
 * names and label names (`controller_runtime_*`, `workqueue_*`, `leader_election_master_status`),
 * so stock Kubernetes-operator dashboards and alerts work unchanged. Node's default process
 * metrics are exported both with the `swarmop_` prefix and without one (what stock Node
 * dashboards query).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ReconcileResultLabel = 'success' | 'requeue' | 'error' | 'terminal';

/** controller-runtime's `result` label: requeueAfter is "requeue_after", a terminal failure is an "error". */
export function controllerRuntimeResult(result: ReconcileResultLabel): 'success' | 'requeue_after' | 'error' {
  return result === 'requeue' ? 'requeue_after' : result === 'terminal' ? 'error' : result;
}

/** What the collect-time gauges read from one controller's queue. */
export interface QueueProbe {
  /** Start times (ms, on `now`'s clock) of the keys being processed now. */
  inFlightSince(): Iterable<number>;
  now(): number;
}

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
  readonly objectsNotReady: Gauge<'kind'>;
  // controller-runtime's names and label names.
  readonly crReconcileTotal: Counter<'controller' | 'result'>;
  readonly crReconcileErrors: Counter<'controller'>;
  readonly crTerminalErrors: Counter<'controller'>;
  readonly crReconcileTime: Histogram<'controller'>;
  readonly crMaxConcurrent: Gauge<'controller'>;
  readonly crActiveWorkers: Gauge<'controller'>;
  readonly wqDepth: Gauge<'name' | 'controller'>;
  readonly wqAdds: Counter<'name' | 'controller'>;
  readonly wqQueueDuration: Histogram<'name' | 'controller'>;
  readonly wqWorkDuration: Histogram<'name' | 'controller'>;
  readonly wqUnfinished: Gauge<'name' | 'controller'>;
  readonly wqLongest: Gauge<'name' | 'controller'>;
  readonly wqRetries: Counter<'name' | 'controller'>;
  readonly leaderStatus: Gauge<'name'>;
  readonly #queues = new Map<string, QueueProbe>();
  /** Ready or not, per kind and name, as the controllers last computed it. */
  readonly #ready = new Map<string, Map<string, boolean>>();

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
    const ready = this.#ready;
    this.objectsNotReady = new Gauge({
      name: 'swarmop_objects_not_ready',
      help: 'Objects whose Ready condition is not True, by kind (as the controllers last computed it).',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        for (const [kind, byName] of ready) this.set({ kind }, [...byName.values()].filter((r) => !r).length);
      },
    });

    const crBuckets = [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4,
      4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
    ];
    this.crReconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.crReconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.crTerminalErrors = new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.crReconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: crBuckets,
      registers,
    });
    this.crMaxConcurrent = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    });
    const queues = this.#queues;
    this.crActiveWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
      collect() {
        for (const [controller, q] of queues) this.set({ controller }, [...q.inFlightSince()].length);
      },
    });
    const wqLabels = ['name', 'controller'] as const;
    const wqBuckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10];
    this.wqDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: wqLabels, registers });
    this.wqAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: wqLabels,
      registers,
    });
    this.wqQueueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: wqLabels,
      buckets: wqBuckets,
      registers,
    });
    this.wqWorkDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: wqLabels,
      buckets: wqBuckets,
      registers,
    });
    this.wqUnfinished = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames: wqLabels,
      registers,
      collect() {
        for (const [name, q] of queues) {
          const now = q.now();
          let sum = 0;
          for (const t of q.inFlightSince()) sum += now - t;
          this.set({ name, controller: name }, sum / 1000);
        }
      },
    });
    this.wqLongest = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: wqLabels,
      registers,
      collect() {
        for (const [name, q] of queues) {
          const now = q.now();
          let longest = 0;
          for (const t of q.inFlightSince()) longest = Math.max(longest, now - t);
          this.set({ name, controller: name }, longest / 1000);
        }
      },
    });
    this.wqRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: wqLabels,
      registers,
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.",
      labelNames: ['name'],
      registers,
    });

    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'swarmop_' });
      collectDefaultMetrics({ register: this.registry });
    }
  }

  /** A controller's queue, for the gauges read at scrape time (active workers, unfinished work). */
  registerController(name: string, options: { concurrency: number; probe: QueueProbe }): void {
    this.#queues.set(name, options.probe);
    this.crMaxConcurrent.set({ controller: name }, options.concurrency);
    this.crActiveWorkers.set({ controller: name }, 0);
    const labels = { name, controller: name };
    // Zero series from the start, so rate() and absent() behave before the first event.
    this.wqDepth.set(labels, 0);
    this.wqAdds.inc(labels, 0);
    this.wqRetries.inc(labels, 0);
    this.crReconcileErrors.inc({ controller: name }, 0);
    this.crTerminalErrors.inc({ controller: name }, 0);
    // controller-runtime's own result values, all present so increase(...{result="error"}) sees the first error.
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) this.crReconcileTotal.inc({ controller: name, result }, 0);
  }

  unregisterController(name: string): void {
    this.#queues.delete(name);
    this.crActiveWorkers.set({ controller: name }, 0);
    this.wqUnfinished.set({ name, controller: name }, 0);
    this.wqLongest.set({ name, controller: name }, 0);
  }

  /** One finished reconcile, in both families. */
  recordReconcile(controller: string, result: ReconcileResultLabel, seconds: number): void {
    this.reconcileTotal.inc({ controller, result });
    this.reconcileDuration.observe({ controller }, seconds);
    this.crReconcileTotal.inc({ controller, result: controllerRuntimeResult(result) });
    this.crReconcileTime.observe({ controller }, seconds);
    if (result === 'error' || result === 'terminal') {
      this.reconcileErrors.inc({ controller });
      this.crReconcileErrors.inc({ controller });
    }
    if (result === 'terminal') this.crTerminalErrors.inc({ controller });
  }

  /** Leadership in both families; `lease` names the lock (its Consul key). */
  setLeader(lease: string, leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
    this.leaderStatus.set({ name: lease }, leading ? 1 : 0);
  }

  /** The Ready state a controller just computed for one object. */
  setObjectReady(kind: string, name: string, ready: boolean): void {
    let byName = this.#ready.get(kind);
    if (!byName) this.#ready.set(kind, (byName = new Map()));
    byName.set(name, ready);
  }

  /** The object is gone: it no longer counts. */
  forgetObject(kind: string, name: string): void {
    this.#ready.get(kind)?.delete(name);
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
