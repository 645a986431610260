import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '..');

interface PackResult {
  files: { path: string }[];
}

/** What `npm pack` would put in the tarball (runs the `prepare` build, like a real pack). */
async function packedFiles(): Promise<string[]> {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 180_000,
  });
  // The build's own output may precede the JSON document.
  const json = stdout.slice(stdout.indexOf('[\n'));
  const [result] = JSON.parse(json) as PackResult[];
  return result!.files.map((f) => f.path).sort();
}

const FORBIDDEN: readonly [string, RegExp][] = [
  ['test files', /\.test\.(js|ts)$/],
  ['TypeScript sources', /\.ts$/],
  ['source maps', /\.map$/],
  ['test data', /(^|\/)testdata\//],
  ['test support', /(^|\/)testing\//],
  ['benchmarks', /(^|\/)bench\//],
  ['lab scripts', /^hack\//],
  ['e2e specs', /^e2e\//],
  ['lab state', /^\.(lab|cache)\//],
];

test('the npm package holds the compiled CLI and its runtime modules only', async () => {
  const files = await packedFiles();
  for (const [what, pattern] of FORBIDDEN) {
    assert.deepEqual(files.filter((f) => pattern.test(f)), [], `the package must not contain ${what}`);
  }
  // Everything is under the "files" list's folders, plus what npm always adds.
  assert.deepEqual(
    files.filter((f) => !/^(bin|dist\/src|assets)\//.test(f)),
    ['LICENSE', 'README.md', 'package.json'],
  );
  // assets/: the default network helper's root filesystem, which the operator imports into hosts (run time, not a fixture),
  // and the notices of the Debian packages its binaries come from (src/package-licences.test.ts checks what they say).
  const needed = ['bin/swarmop.js', 'dist/src/cli/main.js', 'dist/src/cli/operator/run-operator.js', 'dist/src/store/consul-kv.js'];
  for (const f of [...needed, 'assets/nethelper-rootfs.tar.gz', 'assets/THIRD_PARTY_NOTICES', 'LICENSE']) {
    assert.ok(files.includes(f), `${f} is in the package`);
  }
});
