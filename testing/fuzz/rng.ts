/**
 * A small seeded PRNG (mulberry32) so every fuzz run is reproducible from its printed seed.
 * Math.random is never used by the fuzzer: the seed alone must decide every case.
 */
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Integer in [min, max]. */
  range(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A fresh generator derived from this one's seed and a label (cases stay independent). */
  fork(label: string | number): Rng;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    seed: seed >>> 0,
    next,
    int,
    range: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(items.length)] as T;
    },
    fork: (label) => createRng(hash32(`${seed >>> 0}/${label}`)),
  };
}

/** FNV-1a: a stable 32-bit number for a label. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** SWARMOP_FUZZ_SEED when set (decimal or 0x hex), otherwise a new seed from the clock. */
export function seedFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const raw = env.SWARMOP_FUZZ_SEED?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`SWARMOP_FUZZ_SEED must be a non-negative integer, got "${raw}"`);
    return n >>> 0;
  }
  return hash32(`${Date.now()}/${process.pid}/${process.hrtime.bigint()}`);
}
