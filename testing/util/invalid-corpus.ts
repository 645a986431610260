/**
 * The corpus of invalid manifests (testdata/invalid/NN-name.yaml), each with the exact error lines
 * it must produce in NN-name.expected. Exported so the CLI/store integration tests can run the same
 * cases through `apply` against a real Consul.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INVALID_CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'testdata', 'invalid');

export interface InvalidCase {
  /** e.g. 28-gateway-outside-subnet */
  name: string;
  /** Absolute path of the .yaml file. */
  path: string;
  /** Path relative to the repository root, as the expected lines name the file (run from the root). */
  relativePath: string;
  /** Exact `file:line:col: path: reason` lines, in order. */
  expected: string[];
}

export function listInvalidCorpus(): InvalidCase[] {
  return readdirSync(INVALID_CORPUS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.yaml'.length);
      const expected = readFileSync(join(INVALID_CORPUS_DIR, `${name}.expected`), 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      return { name, path: join(INVALID_CORPUS_DIR, f), relativePath: `testing/testdata/invalid/${f}`, expected };
    });
}
