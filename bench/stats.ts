/** n, p50, p99, max of a latency sample (ms), printed the same way by every benchmark. */
export interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  text: string;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

export function stats(xs: readonly number[]): Stats {
  const n = xs.length;
  const p50 = percentile(xs, 50);
  const p99 = percentile(xs, 99);
  const max = n ? Math.max(...xs) : NaN;
  return { n, p50, p99, max, text: `n=${n} p50 ${p50.toFixed(0)} ms  p99 ${p99.toFixed(0)} ms  max ${max.toFixed(0)} ms` };
}

/** n, p50, p99 and max when n >= 20; a smaller sample prints n, p50 and max only (its "p99" would be its max). */
export function sampleText(xs: readonly number[]): string {
  const s = stats(xs);
  return s.n >= 20 ? s.text : `n=${s.n} p50 ${s.p50.toFixed(0)} ms  max ${s.max.toFixed(0)} ms (n < 20: no p99)`;
}
