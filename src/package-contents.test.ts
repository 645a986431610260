import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageFile, packageFiles, packedPackage } from '../testing/util/built-package.js';

const ROOT = join(import.meta.dirname, '..');
// The package hack/test.sh packed for this run (run on its own, the file packs this checkout, which
// rebuilds dist/ and assets/: not beside the lab suites).
describe('the npm package', { concurrency: false }, () => {
  /** What `npm pack` puts in the tarball. */
  async function packedFiles(): Promise<string[]> {
    return packageFiles(await packedPackage());
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
    const tgz = await packedPackage();
    assert.equal(existsSync(join(ROOT, 'npm-shrinkwrap.json')), false, 'postpack removed it');
    const shrinkwrap = JSON.parse((await packageFile(tgz, 'npm-shrinkwrap.json')).toString('utf8')) as {
      packages: Record<string, { version?: string; integrity?: string }>;
    };
    assert.deepEqual(shrinkwrap, JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')));
    // every dependency is pinned by version and content hash (what `npm ci` in the image build installs)
    for (const [path, entry] of Object.entries(shrinkwrap.packages)) {
      if (path !== '') assert.ok(entry.version && entry.integrity?.startsWith('sha512-'), path);
    }
  });
});
