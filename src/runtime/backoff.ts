/**
 * Capped exponential backoff: delay(n) = min(cap, base * factor^(n-1)) for the n-th consecutive
 * failure (n >= 1), optionally with +/- jitter so many retriers do not wake in lockstep.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Default 2. */
  factor?: number;
  /** Fraction of the delay added/removed at random, 0..1; default 0 (deterministic). */
  jitter?: number;
}

export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const n = Math.max(1, failures);
  const raw = options.baseMs * Math.pow(options.factor ?? 2, n - 1);
  const capped = Math.min(options.capMs, Number.isFinite(raw) ? raw : options.capMs);
  const jitter = options.jitter ?? 0;
  if (jitter <= 0) return capped;
  return Math.max(0, Math.round(capped * (1 + jitter * (2 * random() - 1))));
}
