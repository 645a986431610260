import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'swarmop-pack-'));
// swarmop-test: exclusive — it rebuilds dist/ (and the pack rebuilds assets/), which the lab suites run
// from, so hack/test.sh runs it in the lab chain, one file at a time (hence one describe).
describe('the npm package', { concurrency: false }, () => {
  after(() => rmSync(tmp, { recursive: true, force: true }));

  interface PackResult {
    filename: string;
    files: { path: string }[];
  }

  let packed: Promise<PackResult> | undefined;

  /** One real `npm pack` into a temporary folder (runs the `prepare` build and the pack scripts), shared by the tests. */
  function pack(): Promise<PackResult> {
    packed ??= promisify(execFile)('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', tmp], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 180_000,
    }).then(({ stdout }) => {
      // The build's own output may precede the JSON document.
      const [result] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as PackResult[];
      return result!;
    });
    return packed;
  }

  /** What `npm pack` puts in the tarball. */
  async function packedFiles(): Promise<string[]> {
    return (await pack()).files.map((f) => f.path).sort();
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
      assert.deepEqual(
        files.filter((f) => pattern.test(f)),
        [],
        `the package must not contain ${what}`,
      );
    }
    // Everything is under the "files" list's folders, plus what npm always adds: npm-shrinkwrap.json
    // (written from package-lock.json by the prepack script) pins every dependency of an install.
    assert.deepEqual(
      files.filter((f) => !/^(bin|dist\/src|assets)\//.test(f)),
      ['LICENSE', 'README.md', 'npm-shrinkwrap.json', 'package.json'],
    );
    // assets/: the default network helper's root filesystem, which the operator imports into hosts (run time, not a fixture),
    // and the notices of the Debian packages its binaries come from (src/package-licences.test.ts checks what they say).
    const needed = ['bin/swarmop.js', 'dist/src/cli/main.js', 'dist/src/cli/operator/run-operator.js', 'dist/src/store/consul-kv.js'];
    for (const f of [...needed, 'assets/nethelper-rootfs.tar.gz', 'assets/THIRD_PARTY_NOTICES', 'LICENSE']) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
  });

  test("the package's npm-shrinkwrap.json is this checkout's package-lock.json, and is gone from the checkout after the pack", async () => {
    const { existsSync, readFileSync } = await import('node:fs');
    const result = await pack();
    assert.equal(existsSync(join(ROOT, 'npm-shrinkwrap.json')), false, 'postpack removed it');
    const { stdout: text } = await promisify(execFile)('tar', ['-xOzf', join(tmp, result!.filename), 'package/npm-shrinkwrap.json'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const shrinkwrap = JSON.parse(text) as { packages: Record<string, { version?: string; integrity?: string }> };
    assert.deepEqual(shrinkwrap, JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')));
    // every dependency is pinned by version and content hash (what `npm ci` in the image build installs)
    for (const [path, entry] of Object.entries(shrinkwrap.packages)) {
      if (path !== '') assert.ok(entry.version && entry.integrity?.startsWith('sha512-'), path);
    }
  });
});
