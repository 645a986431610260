import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firstFileOfTar, tarOneFile } from './tar-entry.js';

test('GNU tar reads the archive back: name, content, mode and numeric owner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-tar-'));
  try {
    const content = Buffer.from('{"encrypt":"x"}\n'.repeat(40));
    writeFileSync(join(dir, 'a.tar'), tarOneFile({ name: 'consul/config/s.json', content, mode: 0o600, uid: 100, gid: 1000 }));
    const listing = execFileSync('tar', ['-tvf', join(dir, 'a.tar'), '--numeric-owner'], { encoding: 'utf8' });
    assert.match(listing, /^-rw------- 100\/1000 +640 .* consul\/config\/s\.json\n$/);
    execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
    assert.deepEqual(readFileSync(join(dir, 'consul/config/s.json')), content);
    const back = firstFileOfTar(readFileSync(join(dir, 'a.tar')))!;
    assert.deepEqual(
      { ...back, content: back.content.toString() },
      { name: 'consul/config/s.json', content: content.toString(), mode: 0o600, uid: 100, gid: 1000 },
    );
    assert.equal(statSync(join(dir, 'consul/config/s.json')).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the first regular file of a tar made by GNU tar is found, after a directory entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-tar-'));
  try {
    execFileSync('mkdir', ['-p', join(dir, 'etc')]);
    writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nconsul:x:100:1000::/consul:/bin/false\n');
    const tar = execFileSync('tar', ['-cf', '-', '-C', dir, 'etc']);
    assert.equal(firstFileOfTar(tar)?.content.toString('utf8'), readFileSync(join(dir, 'etc/passwd'), 'utf8'));
    assert.equal(firstFileOfTar(Buffer.alloc(1024)), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('absolute or empty names are refused', () => {
  assert.throws(() => tarOneFile({ name: '/etc/x', content: Buffer.from(''), mode: 0o600, uid: 0, gid: 0 }), /relative/);
  assert.throws(() => tarOneFile({ name: '', content: Buffer.from(''), mode: 0o600, uid: 0, gid: 0 }), /relative/);
});
