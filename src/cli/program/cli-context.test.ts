import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consulInput, resolveGlobals, resolveWithConfig, revisionLimitFrom } from './cli-context.js';
import { resolveConsulSettings } from '../../store/consul-connection.js';

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
    consulFlags: { address: 'flag:1' },
    context,
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
  assert.deepEqual(resolveWithConfig({}, { env: { SWARMOP_CONFIG: path.join(dir, 'missing.yaml') }, cwd: dir }).settings, {
    prefix: 'swarmop/',
  });
});

test('a typo in the config file is refused by field name', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'swarmop-cfg-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, 'contexts:\n  - {name: a, adress: "a:1"}\n');
  assert.throws(() => resolveWithConfig({}, { env: { SWARMOP_CONFIG: file }, cwd: dir }), {
    message: new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: contexts\\[0\\]\\.adress: unknown field`),
  });
});

test("the consul CLI's connection flags are a layer of their own; --http-addr wins over --consul-addr", () => {
  const g = resolveGlobals(
    {
      httpAddr: 'https://h:8501',
      consulAddr: 'old:1',
      token: 't',
      tokenFile: '/tf',
      caFile: '/ca',
      caPath: '/ca.d',
      clientCert: '/c',
      clientKey: '/k',
      tlsServerName: 'n',
    },
    { CONSUL_HTTP_ADDR: 'env:1', CONSUL_CACERT: '/env/ca' },
  );
  assert.deepEqual(g.consulFlags, {
    address: 'https://h:8501',
    token: 't',
    tokenFile: '/tf',
    caFile: '/ca',
    caPath: '/ca.d',
    clientCert: '/c',
    clientKey: '/k',
    tlsServerName: 'n',
  });
  assert.equal(g.consulAddr, 'https://h:8501');
  assert.equal(g.settings.caFile, '/ca');
});

test('the store connection layers flags over the environment over the context, as consul-connection.ts resolves them', () => {
  const context = { address: 'https://ctx:8501', caFile: '/ctx/ca.pem', tlsServerName: 'ctx.name', prefix: 'ctx/' };
  const g = resolveGlobals({ caFile: '/flag/ca.pem' }, { CONSUL_HTTP_ADDR: 'https://env:8501' }, context, 'prod');
  const s = resolveConsulSettings(consulInput(g, { CONSUL_HTTP_ADDR: 'https://env:8501' }));
  assert.deepEqual(
    [s.address, s.caFile, s.tlsServerName, s.origins.tlsServerName],
    ['https://env:8501', '/flag/ca.pem', 'ctx.name', 'tlsServerName in context "prod"'],
  );
});

test('SWARMOP_REVISION_HISTORY_LIMIT sets the revisions kept per object; anything but 1-9999 is refused', () => {
  assert.equal(revisionLimitFrom({}), 10);
  assert.equal(revisionLimitFrom({ SWARMOP_REVISION_HISTORY_LIMIT: '3' }), 3);
  assert.throws(() => revisionLimitFrom({ SWARMOP_REVISION_HISTORY_LIMIT: '0' }), {
    code: 'Invalid',
    message: 'SWARMOP_REVISION_HISTORY_LIMIT must be a number from 1 to 9999, got "0"',
  });
});
