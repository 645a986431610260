/**
 * Runs fuzz cases against a real store: each case through the CLI (`apply -f -` in-process, with
 * captured output) and, when it has objects, through ResourceStore.apply directly, each on its own
 * KV prefix. After every case the prefix is listed: a refused case must leave it empty (never half
 * a batch), an accepted one must read back exactly what was applied after defaulting.
 */
import { main } from '../../src/cli/main.js';
import { captureIo } from '../util/capture-io.js';
import { isSwarmopError } from '../../src/errors.js';
import type { KvStore } from '../../src/store/kv.js';
import { ResourceStore } from '../../src/store/resource-store.js';
import {
  crashSignature,
  describeDifference,
  expectedFromBytes,
  expectedFromObjects,
  rejectionProblems,
  sameShapes,
  shapesFromGetJson,
  sortShapes,
  storedShape,
} from './fuzz-oracle.js';
import type { FuzzCase } from './manifest-fuzzer.js';

export type Outcome = 'accepted' | 'rejected' | 'rejected-empty' | 'failed';

export interface CaseResult {
  id: number;
  mutator: string;
  cli: Outcome;
  /** 'skipped' for text-level cases, which have no objects to hand to the store. */
  store: Outcome | 'skipped';
  failures: string[];
}

export interface FuzzReport {
  seed: number;
  cases: number;
  /** outcome counts: path → outcome → n */
  counts: { cli: Record<string, number>; store: Record<string, number> };
  /** mutator → "cli outcome" → n */
  byMutator: Record<string, Record<string, number>>;
  failures: { id: number; mutator: string; note: string; problems: string[] }[];
  uncaught: string[];
  elapsedMs: number;
}

export interface FuzzRunnerOptions {
  kv: KvStore;
  /** CONSUL_HTTP_ADDR for the CLI runs. */
  consulAddress: string;
  /** Root prefix; case N uses <root>cli/N/ and <root>store/N/. */
  rootPrefix: string;
  /** Cases in flight at once (default 8). */
  concurrency?: number;
  cwd?: string;
  /** Extra environment for the CLI (e.g. CONSUL_HTTP_TOKEN). */
  env?: Record<string, string>;
}

const STDIN = '<stdin>';

export class FuzzRunner {
  readonly #o: FuzzRunnerOptions;

  constructor(options: FuzzRunnerOptions) {
    this.#o = options;
  }

  async run(seed: number, cases: Iterable<FuzzCase>): Promise<FuzzReport> {
    const started = Date.now();
    const uncaught: string[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    const report: FuzzReport = { seed, cases: 0, counts: { cli: {}, store: {} }, byMutator: {}, failures: [], uncaught, elapsedMs: 0 };
    try {
      const iterator = cases[Symbol.iterator]();
      const worker = async (): Promise<void> => {
        for (let next = iterator.next(); !next.done; next = iterator.next()) {
          const c = next.value;
          const r = await this.runCase(c);
          report.cases += 1;
          bump(report.counts.cli, r.cli);
          bump(report.counts.store, r.store);
          bump((report.byMutator[c.mutator] ??= {}), r.cli);
          if (r.failures.length > 0) report.failures.push({ id: c.id, mutator: c.mutator, note: c.note, problems: r.failures });
        }
      };
      await Promise.all(Array.from({ length: this.#o.concurrency ?? 8 }, worker));
    } finally {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    }
    report.elapsedMs = Date.now() - started;
    return report;
  }

  async runCase(c: FuzzCase): Promise<CaseResult> {
    const failures: string[] = [];
    const seen = { sizeRefusal: false, refusal: '' };
    let cli: Outcome;
    try {
      cli = await this.#viaCli(c, failures, seen);
    } catch (err) {
      failures.push(`cli path threw: ${errorText(err)}`);
      cli = 'failed';
    }
    let store: Outcome | 'skipped' = 'skipped';
    if (c.objects) {
      try {
        store = await this.#viaStore(c, c.objects, failures);
      } catch (err) {
        failures.push(`store path threw: ${errorText(err)}`);
        store = 'failed';
      }
      // The CLI measures the YAML text against the 512 KiB limit and apply counts its last-applied
      // record (ResourceStore.apply without a field manager keeps none), so a size refusal by the
      // CLI may be stored by a direct caller; any other disagreement is a bug.
      const agree = (cli === 'accepted') === (store === 'accepted') || (cli === 'rejected' && seen.sizeRefusal);
      if (cli !== 'failed' && store !== 'failed' && !agree)
        failures.push(`the CLI ${cli} what ResourceStore.apply ${store}${seen.refusal ? `: ${seen.refusal}` : ''}`);
    }
    return { id: c.id, mutator: c.mutator, cli, store, failures };
  }

  async #viaCli(c: FuzzCase, failures: string[], seen: { sizeRefusal: boolean; refusal: string }): Promise<Outcome> {
    const prefix = `${this.#o.rootPrefix}cli/${c.id}/`;
    const run = async (argv: string[], stdin?: Uint8Array) => {
      const io = captureIo({
        env: { CONSUL_HTTP_ADDR: this.#o.consulAddress, SWARMOP_PREFIX: prefix, ...this.#o.env },
        ...(stdin ? { stdin } : {}),
        ...(this.#o.cwd ? { cwd: this.#o.cwd } : {}),
      });
      const code = await main(argv, io);
      return { code, out: io.out, err: io.err };
    };
    const applied = await run(['apply', '-f', '-'], c.bytes);
    const crash = crashSignature(applied.err + applied.out);
    if (crash) failures.push(`apply: ${crash}: ${applied.err.split('\n').slice(0, 3).join(' | ').slice(0, 400)}`);
    const left = await this.#keys(prefix);

    if (applied.code === 2) {
      seen.sizeRefusal = / bytes(?: as stored JSON)?, more than \d+ bytes/.test(applied.err);
      seen.refusal = firstLines(applied.err);
      if (left.length > 0) failures.push(`refused apply left ${left.length} keys (e.g. ${left[0]})`);
      const empty = /no objects passed/.test(applied.err) && (expectedFromBytes(c.bytes)?.length ?? -1) === 0;
      if (!empty) {
        for (const p of rejectionProblems(applied.err, STDIN)) failures.push(`apply refusal: ${p}`);
      }
      if (c.expect === 'accept') failures.push(`valid input refused: ${firstLines(applied.err)}`);
      return failures.length > 0 ? 'failed' : empty ? 'rejected-empty' : 'rejected';
    }
    if (applied.code !== 0) {
      failures.push(`apply exited ${applied.code}: ${firstLines(applied.err)}`);
      if (left.length > 0) failures.push(`failed apply left ${left.length} keys (e.g. ${left[0]})`);
      return 'failed';
    }

    // Accepted: exactly what was applied (after defaulting) reads back, and a re-apply is a no-op.
    if (c.expect === 'reject') failures.push('invalid input was accepted');
    const expected = expectedFromBytes(c.bytes);
    const lines = applied.out.split('\n').filter((l) => l !== '');
    if (expected === undefined) failures.push('accepted bytes that do not parse as plain YAML');
    else {
      if (lines.length !== expected.length || !lines.every((l) => / created$/.test(l)))
        failures.push(`apply printed ${JSON.stringify(applied.out.slice(0, 200))}`);
      const got = await run(['get', 'all', '-o', 'json']);
      if (got.code !== 0) failures.push(`get all -o json exited ${got.code}: ${firstLines(got.err)}`);
      else {
        const sorted = shapesFromGetJson(got.out);
        if (!sameShapes(expected, sorted)) failures.push(`round trip: ${describeDifference(expected, sorted)}`);
      }
      const again = await run(['apply', '-f', '-'], c.bytes);
      if (
        again.code !== 0 ||
        !again.out
          .split('\n')
          .filter((l) => l !== '')
          .every((l) => / unchanged$/.test(l))
      ) {
        failures.push(`re-apply was not a no-op (exit ${again.code}): ${firstLines(again.out + again.err)}`);
      }
    }
    return failures.length > 0 ? 'failed' : 'accepted';
  }

  async #viaStore(c: FuzzCase, objects: unknown[], failures: string[]): Promise<Outcome> {
    const prefix = `${this.#o.rootPrefix}store/${c.id}/`;
    const store = new ResourceStore({ kv: this.#o.kv, prefix });
    try {
      await store.apply(structuredClone(objects) as never);
    } catch (err) {
      const left = await this.#keys(prefix);
      if (left.length > 0) failures.push(`store: refused apply left ${left.length} keys (e.g. ${left[0]})`);
      if (!isSwarmopError(err) || (err.code !== 'Invalid' && err.code !== 'Conflict')) {
        failures.push(
          `store: apply failed with ${isSwarmopError(err) ? err.code : 'a non-swarmop error'}: ${errorText(err).slice(0, 300)}`,
        );
        return 'failed';
      }
      if (c.expect === 'accept') failures.push(`store: valid input refused: ${err.message} ${err.details.slice(0, 2).join(' | ')}`);
      return failures.length > 0 ? 'failed' : 'rejected';
    }
    if (c.expect === 'reject') failures.push('store: invalid input was accepted');
    const actual = sortShapes((await store.listAll()).map(storedShape));
    const expected = expectedFromObjects(objects);
    if (!sameShapes(expected, actual)) failures.push(`store round trip: ${describeDifference(expected, actual)}`);
    return failures.length > 0 ? 'failed' : 'accepted';
  }

  async #keys(prefix: string): Promise<string[]> {
    return (await this.#o.kv.list(prefix)).pairs.map((p) => p.key);
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function firstLines(text: string): string {
  return text.split('\n').slice(0, 3).join(' | ').slice(0, 300);
}

function errorText(err: unknown): string {
  if (isSwarmopError(err)) return `${err.code}: ${err.message}${err.details.length ? ` (${err.details.slice(0, 2).join(' | ')})` : ''}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
