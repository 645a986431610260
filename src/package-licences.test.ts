/**
 * The package's licences: swarmop's own (LICENSE, the licence package.json names) and those of the
 * Debian programs and libraries inside the network helper's root filesystem, which the package
 * carries and the operator imports into hosts. GPL and LGPL binaries must travel with their
 * copyright notices and a way to the source, so every binary in the archive is checked against the
 * package dpkg says installed it on this machine.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { packageFile, packedPackage } from '../testing/util/built-package.js';

const ROOT = join(import.meta.dirname, '..');
const run = promisify(execFile);

/** The Debian package that installed `path` here, trying the merged-/usr aliases dpkg may know it by. */
async function debianPackageOf(path: string): Promise<string> {
  const candidates = [path, `/usr${path}`, path.replace(/^\/usr\//, '/')];
  for (const c of candidates) {
    try {
      const { stdout } = await run('dpkg-query', ['-S', '--', c]);
      const line = stdout.split('\n').find((l) => l && !l.startsWith('diversion '));
      if (line) return line.slice(0, line.indexOf(': ')).split(':')[0]!;
    } catch {
      // not known under this name; try the next
    }
  }
  throw new Error(`dpkg knows no package for ${path}`);
}

/** Regular files under `dir`, as absolute paths inside the root filesystem ("/usr/bin/ip"). */
function regularFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = `${prefix}/${e.name}`;
    if (e.isDirectory()) return regularFiles(dir, rel);
    return e.isFile() ? [rel] : [];
  });
}

function isElf(file: string): boolean {
  return readFileSync(file)
    .subarray(0, 4)
    .equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
}

let rootfs = '';
let packagedNotices = '';
// The package hack/test.sh packed for this run (run on its own, the file packs this checkout, which
// rebuilds dist/ and assets/: not beside the lab suites).
describe('licences in the package and the helper root filesystem', { concurrency: false }, () => {
  before(async () => {
    // The root filesystem and the notices exactly as the npm package carries them.
    const tgz = await packedPackage();
    rootfs = mkdtempSync(join(tmpdir(), 'swarmop-rootfs-licences-'));
    const archive = join(rootfs, '..', `${rootfs.split('/').pop()}.tar.gz`);
    writeFileSync(archive, await packageFile(tgz, 'assets/nethelper-rootfs.tar.gz'));
    try {
      await run('tar', ['-xzf', archive, '-C', rootfs]);
    } finally {
      rmSync(archive, { force: true });
    }
    packagedNotices = (await packageFile(tgz, 'assets/THIRD_PARTY_NOTICES')).toString('utf8');
  });
  after(() => {
    if (rootfs) rmSync(rootfs, { recursive: true, force: true });
  });

  test('LICENSE holds the Apache-2.0 text that package.json names, and the package carries it', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
    assert.equal(pkg.license, 'Apache-2.0');
    const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    assert.equal((await packageFile(await packedPackage(), 'LICENSE')).toString('utf8'), text);
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
  });

  test("every binary and library in the helper's root filesystem has its Debian package's copyright file beside it", async () => {
    const files = regularFiles(rootfs);
    const shipped = files.filter((f) => !/^\/(usr\/share|etc)\//.test(f) && f !== '/THIRD_PARTY_NOTICES');
    // The archive holds the helper's tools and their libraries, nothing else unaccounted for.
    for (const name of ['ip', 'nsenter', 'setsid', 'dash', 'cat', 'sleep', 'arping', 'libc.so.6']) {
      assert.ok(
        shipped.some((f) => f.endsWith(`/${name}`)),
        `${name} is in the root filesystem (found ${shipped.join(' ')})`,
      );
    }
    const notices = readFileSync(join(rootfs, 'THIRD_PARTY_NOTICES'), 'utf8');
    for (const f of shipped) {
      assert.ok(isElf(join(rootfs, f)), `${f} is an ELF binary or library`);
      const pkg = await debianPackageOf(f);
      const copyright = join(rootfs, 'usr/share/doc', pkg, 'copyright');
      assert.ok(
        existsSync(copyright),
        `${f} comes from ${pkg}, whose copyright file /usr/share/doc/${pkg}/copyright must be in the root filesystem`,
      );
      assert.equal(
        readFileSync(copyright, 'utf8'),
        readFileSync(`/usr/share/doc/${pkg}/copyright`, 'utf8'),
        `${pkg}'s copyright file is Debian's`,
      );
      const { stdout } = await run('dpkg-query', ['-W', '-f=${Version} ${source:Package} ${source:Version}', pkg]);
      const [version, source, sourceVersion] = stdout.trim().split(' ');
      const line = notices.split('\n').find((l) => l.startsWith(`${pkg} `));
      const end = line?.indexOf('): ') ?? -1;
      assert.equal(
        line?.slice(0, end + 1),
        `${pkg} ${version} (source: ${source} ${sourceVersion})`,
        `THIRD_PARTY_NOTICES names ${pkg}, its version and its source`,
      );
      assert.ok(
        line
          .slice(end + 3)
          .split(' ')
          .includes(f),
        `THIRD_PARTY_NOTICES lists ${f} under ${pkg}`,
      );
    }
  });

  test('the licence texts the copyright files refer to are in the root filesystem too', () => {
    const docs = regularFiles(rootfs).filter((f) => f.startsWith('/usr/share/doc/') && f.endsWith('/copyright'));
    assert.ok(docs.length > 0);
    const referred = new Set(
      docs.flatMap((f) => readFileSync(join(rootfs, f), 'utf8').match(/\/usr\/share\/common-licenses\/[A-Za-z0-9+.-]*[A-Za-z0-9+]/g) ?? []),
    );
    assert.ok(referred.has('/usr/share/common-licenses/GPL-2'), 'iproute2 and util-linux name the GPL-2');
    for (const lic of referred) {
      if (existsSync(lic)) assert.ok(existsSync(join(rootfs, lic)), `${lic} is in the root filesystem`);
    }
  });

  test('THIRD_PARTY_NOTICES beside the archive, which the npm package carries, is the one inside it', () => {
    const notices = packagedNotices;
    assert.equal(notices, readFileSync(join(rootfs, 'THIRD_PARTY_NOTICES'), 'utf8'));
    assert.match(notices, /apt-get source <source package>=<source version>/);
    assert.match(notices, /^libc6 \S+ \(source: glibc \S+\): /m);
  });
});
