/**
 * Go duration strings ("10s", "1m30s", "250ms", "1.5h") to milliseconds. Consul parses its wait,
 * TTL and lock-delay values with Go's time.ParseDuration and kubectl reads --timeout the same
 * way, so the store client, the fake KV, the schema's duration fields and the CLI share this one
 * parser and accept exactly the same text.
 */
import { SwarmopError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when `text` is not a Go duration. "0" is zero, as in Go. */
export function goDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = part.exec(text); m !== null; m = part.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = part.lastIndex;
  }
  return consumed > 0 && consumed === text.length ? total : undefined;
}

export interface ParseDurationOptions {
  /** A bare number counts as seconds (kubectl's `--timeout=30`). */
  bareSeconds?: boolean;
}

/** Milliseconds of `text` (trimmed); a SwarmopError `Invalid` naming the text when it is not a duration. */
export function parseGoDuration(text: string, options: ParseDurationOptions = {}): number {
  const trimmed = text.trim();
  if (options.bareSeconds && /^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const ms = goDurationMs(trimmed);
  if (ms === undefined) throw new SwarmopError('Invalid', `invalid duration "${text}" (expected e.g. 10s, 1m30s, 250ms)`);
  return ms;
}
