import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { elfHeader, tarOf } from '../../testing/util/rootfs-archive.js';
import { elfArchitecture, rootfsArchitecture, tarArchitecture } from './helper-architecture.js';

test('an ELF header names its architecture as Docker does (GOARCH)', () => {
  assert.equal(elfArchitecture(elfHeader(0x3e)), 'amd64');
  assert.equal(elfArchitecture(elfHeader(0xb7)), 'arm64');
  assert.equal(elfArchitecture(elfHeader(0x28)), 'arm');
  assert.equal(elfArchitecture(elfHeader(0x15, true)), 'ppc64le');
  assert.equal(elfArchitecture(elfHeader(0x16, false)), 's390x');
  assert.equal(elfArchitecture(Buffer.from('root:x:0:0:root:/:/bin/sh\n')), undefined);
  assert.equal(elfArchitecture(elfHeader(0x9999)), undefined);
});

test("a root filesystem's architecture is its first ELF file's, past directories and text files", async () => {
  const tar = tarOf([
    { name: './', type: '5' },
    { name: './THIRD_PARTY_NOTICES', content: Buffer.from('Third-party software\n'.repeat(40)) },
    { name: './etc/', type: '5' },
    { name: './lib/aarch64-linux-gnu/libc.so.6', content: Buffer.concat([elfHeader(0xb7), Buffer.alloc(700, 1)]) },
    { name: './usr/bin/ip', content: elfHeader(0x3e) },
  ]);
  assert.equal(tarArchitecture(tar), 'arm64');
  assert.equal(await rootfsArchitecture(gzipSync(tar)), 'arm64');
  assert.equal(tarArchitecture(tarOf([{ name: './etc/passwd', content: Buffer.from('root\n') }])), undefined);
});
