/**
 * Consul duration strings ("10s", "1m30s", "250ms") to milliseconds. Consul itself parses them
 * with Go's time.ParseDuration; this accepts the same units so the fake and the HTTP timeouts
 * agree with the server.
 */
import { SwarmopError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = part.exec(trimmed); m !== null; m = part.exec(trimmed)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new SwarmopError('Invalid', `invalid duration "${text}" (expected e.g. "10s", "1m30s", "250ms")`);
  }
  return total;
}
