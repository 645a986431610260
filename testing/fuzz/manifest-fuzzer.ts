/**
 * Deterministic mutation fuzzer for manifests. From one seed it derives every case: the mutator is
 * picked by weight and each case gets its own Rng forked from (seed, case number), so a single
 * failing case can be regenerated without producing the cases before it.
 *
 *   SWARMOP_FUZZ_SEED=1234 node --import tsx --test testing/fuzz/manifest-fuzz.int.test.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MUTATORS, type Expectation, type Mutator } from './mutators.js';
import { createRng } from './rng.js';

export interface FuzzCase {
  /** 0-based case number within the seed. */
  id: number;
  mutator: string;
  expect: Expectation;
  bytes: Uint8Array;
  /** Objects for the direct ResourceStore.apply path (object-level mutations only). */
  objects?: unknown[];
  note: string;
}

export interface FuzzerOptions {
  seed: number;
  /** The valid documents every mutation starts from (loadSampleDocuments). */
  samples: readonly unknown[];
  mutators?: readonly Mutator[];
}

/** Every document of the *.yaml files in a folder (the sample manifests), in file order. */
export function loadSampleDocuments(dir: string): unknown[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), 'utf8'))
      .map((d) => d.toJS() as unknown)
      .filter((v) => v !== null && v !== undefined),
  );
}

export class ManifestFuzzer {
  readonly seed: number;
  readonly #samples: readonly unknown[];
  readonly #mutators: readonly Mutator[];
  readonly #totalWeight: number;

  constructor(options: FuzzerOptions) {
    if (options.samples.length === 0) throw new RangeError('the fuzzer needs at least one sample document');
    this.seed = options.seed >>> 0;
    this.#samples = options.samples;
    this.#mutators = options.mutators ?? MUTATORS;
    this.#totalWeight = this.#mutators.reduce((n, m) => n + m.weight, 0);
  }

  /** Case number `id` of this seed; the same (seed, id) always gives the same bytes. */
  generate(id: number): FuzzCase {
    const rng = createRng(this.seed).fork(id);
    // Every mutator gets its turn in the first rounds, whatever the weights say.
    const mutator = id < this.#mutators.length ? this.#mutators[id]! : this.#pickWeighted(rng.next());
    const input = mutator.make(rng, this.#samples);
    return { id, mutator: mutator.name, ...input };
  }

  *cases(count: number): Generator<FuzzCase> {
    for (let id = 0; id < count; id++) yield this.generate(id);
  }

  #pickWeighted(r: number): Mutator {
    let left = r * this.#totalWeight;
    for (const m of this.#mutators) {
      left -= m.weight;
      if (left < 0) return m;
    }
    return this.#mutators[this.#mutators.length - 1]!;
  }
}
