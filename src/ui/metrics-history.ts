/**
 * Repairs per minute and reconcile latency for the status page's chart, from the operator's own
 * prom-client registry (the same counters /metrics serves): a sample every `intervalMs`, kept for
 * `minutes`, turned into per-minute deltas by a pure function.
 */
import type { RuntimeMetrics } from '../runtime/metrics.js';

export interface MetricsSample {
  /** ms since the epoch. */
  t: number;
  /** swarmop_drift_repairs_total, all labels. */
  repairs: number;
  /** swarmop_reconcile_duration_seconds sum and count, all controllers. */
  reconcileSeconds: number;
  reconciles: number;
}

export interface MinutePoint {
  /** Start of the minute, ms since the epoch. */
  start: number;
  repairs: number;
  reconciles: number;
  /** Mean reconcile duration in that minute (ms); undefined when none ran. */
  meanLatencyMs: number | undefined;
}

/** The last sample at or before `t` (samples sorted by time), or undefined. */
function at(samples: readonly MetricsSample[], t: number): MetricsSample | undefined {
  let found: MetricsSample | undefined;
  for (const s of samples) {
    if (s.t > t) break;
    found = s;
  }
  return found;
}

/**
 * One point per whole minute ending at `now`'s minute (the current, partial minute included),
 * oldest first. A minute before the first sample counts as zero; a counter that went down (a
 * registry reset) counts from zero.
 */
export function perMinute(samples: readonly MetricsSample[], now: number, minutes = 30): MinutePoint[] {
  const points: MinutePoint[] = [];
  const currentStart = Math.floor(now / 60_000) * 60_000;
  for (let i = minutes - 1; i >= 0; i--) {
    const start = currentStart - i * 60_000;
    const end = Math.min(start + 60_000, now);
    const a =
      at(samples, start - 1) ??
      (samples[0] && samples[0].t < end ? { ...samples[0], repairs: 0, reconcileSeconds: 0, reconciles: 0 } : undefined);
    const b = at(samples, end);
    if (!a || !b || b.t < start) {
      points.push({ start, repairs: 0, reconciles: 0, meanLatencyMs: undefined });
      continue;
    }
    const d = (x: number, y: number) => (y >= x ? y - x : y);
    const repairs = d(a.repairs, b.repairs);
    const reconciles = d(a.reconciles, b.reconciles);
    const secs = d(a.reconcileSeconds, b.reconcileSeconds);
    points.push({ start, repairs, reconciles, meanLatencyMs: reconciles > 0 ? (secs / reconciles) * 1000 : undefined });
  }
  return points;
}

export interface MetricsHistoryOptions {
  metrics: RuntimeMetrics;
  /** Sampling period; default 5 s. */
  intervalMs?: number;
  /** How much history to keep; default 30 minutes. */
  minutes?: number;
  now?: () => number;
}

export class MetricsHistory {
  readonly #opts: MetricsHistoryOptions;
  readonly #samples: MetricsSample[] = [];
  readonly #now: () => number;

  constructor(options: MetricsHistoryOptions) {
    this.#opts = options;
    this.#now = options.now ?? Date.now;
  }

  get minutes(): number {
    return this.#opts.minutes ?? 30;
  }

  /** Reads the registry now and keeps the sample. */
  async sample(): Promise<MetricsSample> {
    const [repairs, duration] = await Promise.all([this.#opts.metrics.driftRepairs.get(), this.#opts.metrics.reconcileDuration.get()]);
    let reconcileSeconds = 0;
    let reconciles = 0;
    for (const v of duration.values) {
      const name = (v as { metricName?: string }).metricName ?? '';
      if (name.endsWith('_sum')) reconcileSeconds += v.value;
      else if (name.endsWith('_count')) reconciles += v.value;
    }
    const s: MetricsSample = { t: this.#now(), repairs: repairs.values.reduce((n, v) => n + v.value, 0), reconcileSeconds, reconciles };
    this.#samples.push(s);
    const oldest = s.t - (this.minutes + 1) * 60_000;
    while (this.#samples.length > 2 && this.#samples[1]!.t < oldest) this.#samples.shift();
    return s;
  }

  /** Per-minute points with a fresh sample taken first. */
  async points(): Promise<MinutePoint[]> {
    await this.sample();
    return perMinute(this.#samples, this.#now(), this.minutes);
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.sample();
    const timer = setInterval(() => void this.sample(), this.#opts.intervalMs ?? 5_000);
    timer.unref();
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(timer);
  }
}
