/**
 * hack/helper-rootfs.sh's Debian package check (`--check FILE...`, the same function the build runs
 * on every file before it packs anything): against this machine's real dpkg database, and against
 * stand-in dpkg tools that report a package file as changed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const SCRIPT = join(import.meta.dirname, '..', 'helper-rootfs.sh');
const dir = mkdtempSync(join(tmpdir(), 'swarmop-rootfs-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function check(files: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(SCRIPT, ['--check', ...files], { env }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

test('files that Debian packages installed unchanged pass, under their merged-/usr names too', async () => {
  const r = await check(['/usr/bin/nsenter', '/usr/bin/setsid', '/lib64/ld-linux-x86-64.so.2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /checked 3 files against Debian packages: .*util-linux/);
});

test('a file no package installed fails the check, naming it', async () => {
  const stray = join(dir, 'nsenter');
  copyFileSync('/usr/bin/nsenter', stray);
  const r = await check(['/usr/bin/nsenter', stray]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${stray}: not from any installed Debian package \\(dpkg -S\\)`));
  assert.match(r.stderr, /takes only files that Debian's packages installed unchanged/);
});

test('a package file that dpkg --verify reports changed fails the check, naming file and package', async () => {
  const bin = join(dir, 'bin');
  const tool = join(dir, 'tool');
  writeFileSync(tool, 'not what the package shipped\n');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(bin, { recursive: true });
  // Stand-ins with dpkg's output formats: `pkg: /path` for -S, `??5??????   /path` for --verify.
  writeFileSync(
    join(bin, 'dpkg-query'),
    `#!/bin/sh\n[ "$1" = -S ] && [ "$2" = "${tool}" ] && { echo "fakepkg: ${tool}"; exit 0; }\necho "dpkg-query: no path found matching pattern $2" >&2; exit 1\n`,
  );
  writeFileSync(join(bin, 'dpkg'), `#!/bin/sh\n[ "$1" = --verify ] && [ "$2" = fakepkg ] && echo "??5??????   ${tool}"\nexit 0\n`);
  chmodSync(join(bin, 'dpkg-query'), 0o755);
  chmodSync(join(bin, 'dpkg'), 0o755);
  const r = await check([tool], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`${tool}: changed since package fakepkg installed it \\(dpkg --verify: \\?\\?5\\?\\?\\?\\?\\?\\?   ${tool}\\)`),
  );
});
