import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { effectiveToken, resolveGlobals, resolveWithConfig } from './cli-context.js';

test('flags win over the environment, which wins over the defaults', () => {
  assert.deepEqual(resolveGlobals({}, {}), { prefix: 'swarmop/', settings: { prefix: 'swarmop/' } });
  const fromEnv = resolveGlobals({}, { SWARMOP_PREFIX: 'tenant-a/', CONSUL_HTTP_ADDR: '127.0.0.1:1' });
  assert.equal(fromEnv.prefix, 'tenant-a/');
  assert.equal(fromEnv.consulAddr, '127.0.0.1:1');
  const fromFlags = resolveGlobals({ prefix: 'x/', consulAddr: 'h:2' }, { SWARMOP_PREFIX: 'y/', CONSUL_HTTP_ADDR: 'h:1' });
  assert.equal(fromFlags.prefix, 'x/');
  assert.equal(fromFlags.consulAddr, 'h:2');
});

test('a prefix without a trailing slash gets one so tenants never share keys', () => {
  assert.equal(resolveGlobals({ prefix: 'team' }, {}).prefix, 'team/');
});

test('a context is the lowest layer, field by field: env and flags override only what they set', () => {
  const context = { address: 'https://ctx:8501', caFile: '/ctx/ca.pem', tokenFile: '/ctx/token', prefix: 'ctx/', sslVerify: false };
  const g = resolveGlobals({ consulAddr: 'flag:1' }, { CONSUL_HTTP_ADDR: 'env:1', CONSUL_CACERT: '/env/ca.pem' }, context, 'prod');
  assert.deepEqual(g, {
    prefix: 'ctx/',
    consulAddr: 'flag:1',
    contextName: 'prod',
    settings: { address: 'flag:1', caFile: '/env/ca.pem', tokenFile: '/ctx/token', prefix: 'ctx/', sslVerify: false },
  });
  assert.equal(resolveGlobals({}, { CONSUL_HTTP_SSL_VERIFY: 'true' }, context).settings.sslVerify, true);
});

test('the config file selects currentContext, --context overrides it, and an unknown one is an error naming the file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarmop-cfg-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, 'currentContext: a\ncontexts:\n  - {name: a, address: "a:1", prefix: pa/}\n  - {name: b, address: "b:1"}\n');
  const io = { env: { SWARMOP_CONFIG: file }, cwd: dir };
  assert.equal(resolveWithConfig({}, io).consulAddr, 'a:1');
  assert.equal(resolveWithConfig({}, io).prefix, 'pa/');
  assert.equal(resolveWithConfig({ context: 'b' }, io).consulAddr, 'b:1');
  assert.equal(resolveWithConfig({ context: 'b' }, io).prefix, 'swarmop/');
  assert.throws(() => resolveWithConfig({ context: 'c' }, io), { message: `--context "c" is not a context in ${file} (known: a, b)` });
  assert.deepEqual(resolveWithConfig({}, { env: { SWARMOP_CONFIG: path.join(dir, 'missing.yaml') }, cwd: dir }).settings, { prefix: 'swarmop/' });
});

test('a typo in the config file is refused by field name', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarmop-cfg-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, 'contexts:\n  - {name: a, adress: "a:1"}\n');
  assert.throws(() => resolveWithConfig({}, { env: { SWARMOP_CONFIG: file }, cwd: dir }), {
    message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: contexts\\[0\\]\\.adress: unknown field`),
  });
});

test('the token comes from CONSUL_HTTP_TOKEN before a token file; a missing file is a clear error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarmop-tok-'));
  writeFileSync(path.join(dir, 't'), 'secret-from-file\n');
  assert.equal(effectiveToken({ tokenFile: path.join(dir, 't') }), 'secret-from-file');
  assert.equal(effectiveToken({ token: 'env', tokenFile: path.join(dir, 't') }), 'env');
  assert.throws(() => effectiveToken({ tokenFile: path.join(dir, 'nope') }), /cannot read the token file/);
});
