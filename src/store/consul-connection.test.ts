import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isSwarmopError } from '../errors.js';
import {
  ConsulSettingsError,
  consulConnection,
  parseConsulEndpoint,
  resolveConsulSettings,
  unverifiedTlsWarning,
} from './consul-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'swarmop-conn-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('with nothing set the address is the consul CLI default, plain HTTP, no token', () => {
  const c = consulConnection({ env: {} });
  assert.equal(c.address, '127.0.0.1:8500');
  assert.deepEqual(c.endpoint, { secure: false, host: '127.0.0.1', port: 8500, pathPrefix: '' });
  assert.equal(c.token, undefined);
  assert.equal(c.tls, undefined);
});

test('each setting: flag over environment over the defaults object', () => {
  const flags = { address: 'flag:1', caFile: '/flag/ca' };
  const env = { CONSUL_HTTP_ADDR: 'env:2', CONSUL_CACERT: '/env/ca', CONSUL_CLIENT_CERT: '/env/cert', CONSUL_TLS_SERVER_NAME: 'env.name' };
  const defaults = {
    address: 'ctx:3',
    caFile: '/ctx/ca',
    clientCert: '/ctx/cert',
    clientKey: '/ctx/key',
    tlsServerName: 'ctx.name',
    caPath: '/ctx/ca.d',
  };
  const s = resolveConsulSettings({ flags, env, defaults });
  assert.deepEqual(
    {
      address: s.address,
      caFile: s.caFile,
      clientCert: s.clientCert,
      clientKey: s.clientKey,
      tlsServerName: s.tlsServerName,
      caPath: s.caPath,
    },
    {
      address: 'flag:1',
      caFile: '/flag/ca',
      clientCert: '/env/cert',
      clientKey: '/ctx/key',
      tlsServerName: 'env.name',
      caPath: '/ctx/ca.d',
    },
  );
  assert.deepEqual(s.origins, {
    address: '--http-addr',
    caFile: '--ca-file',
    clientCert: 'CONSUL_CLIENT_CERT',
    clientKey: 'clientKey in the config context',
    tlsServerName: 'CONSUL_TLS_SERVER_NAME',
    caPath: 'caPath in the config context',
  });
});

test('a token file that is set and not empty wins over a token, as in consul', () => {
  const tokenFile = file('token', '  file-token\n');
  assert.equal(consulConnection({ env: { CONSUL_HTTP_TOKEN: 'env-token', CONSUL_HTTP_TOKEN_FILE: tokenFile } }).token, 'file-token');
  // consul merges flags and environment field by field: a flag token does not hide an env token file.
  assert.equal(consulConnection({ flags: { token: 'flag-token' }, env: { CONSUL_HTTP_TOKEN_FILE: tokenFile } }).token, 'file-token');
  assert.equal(consulConnection({ flags: { token: 'flag-token' }, env: { CONSUL_HTTP_TOKEN: 'env-token' } }).token, 'flag-token');
  const empty = file('empty-token', '\n');
  assert.equal(consulConnection({ env: { CONSUL_HTTP_TOKEN: 'env-token', CONSUL_HTTP_TOKEN_FILE: empty } }).token, 'env-token');
});

test("the defaults' token and token file count only when flags and environment name neither", () => {
  const ctxFile = file('ctx-token', 'ctx-file-token');
  const defaults = { token: 'ctx-token', tokenFile: ctxFile };
  assert.equal(consulConnection({ env: {}, defaults }).token, 'ctx-file-token');
  assert.equal(consulConnection({ env: { CONSUL_HTTP_TOKEN: 'env-token' }, defaults }).token, 'env-token');
  assert.equal(consulConnection({ flags: { token: 'flag-token' }, env: {}, defaults }).token, 'flag-token');
});

test('an unreadable token file is a settings error naming where it was set, never a token', () => {
  assert.throws(
    () => consulConnection({ env: { CONSUL_HTTP_TOKEN: 'secret-token', CONSUL_HTTP_TOKEN_FILE: join(dir, 'nope') } }),
    (err: unknown) =>
      err instanceof ConsulSettingsError &&
      isSwarmopError(err, 'Unavailable') &&
      err.message === `cannot read CONSUL_HTTP_TOKEN_FILE file ${join(dir, 'nope')}: no such file`,
  );
});

test('https:// and CONSUL_HTTP_SSL select TLS; an explicit http:// does not undo CONSUL_HTTP_SSL=true', () => {
  assert.deepEqual(parseConsulEndpoint('https://c.example:8501'), { secure: true, host: 'c.example', port: 8501, pathPrefix: '' });
  assert.equal(consulConnection({ env: { CONSUL_HTTP_ADDR: '10.0.0.1:8501', CONSUL_HTTP_SSL: 'true' } }).endpoint.secure, true);
  assert.equal(consulConnection({ env: { CONSUL_HTTP_ADDR: 'http://10.0.0.1:8501', CONSUL_HTTP_SSL: '1' } }).endpoint.secure, true);
  assert.equal(consulConnection({ env: { CONSUL_HTTP_ADDR: '10.0.0.1:8500', CONSUL_HTTP_SSL: 'false' } }).endpoint.secure, false);
  assert.throws(
    () => consulConnection({ env: { CONSUL_HTTP_SSL: 'yes' } }),
    (err: unknown) => isSwarmopError(err, 'Invalid') && /CONSUL_HTTP_SSL="yes" is not a boolean/.test((err as Error).message),
  );
});

test('address forms: host:port, http(s) with a path prefix, IPv6, unix sockets; other schemes are refused', () => {
  assert.deepEqual(parseConsulEndpoint('consul:8500'), { secure: false, host: 'consul', port: 8500, pathPrefix: '' });
  assert.deepEqual(parseConsulEndpoint('http://proxy:80/consul/'), { secure: false, host: 'proxy', port: 80, pathPrefix: '/consul' });
  assert.deepEqual(parseConsulEndpoint('https://[::1]:8501'), { secure: true, host: '::1', port: 8501, pathPrefix: '' });
  assert.deepEqual(parseConsulEndpoint('unix:///run/consul/http.sock'), {
    secure: false,
    host: 'localhost',
    port: 0,
    socketPath: '/run/consul/http.sock',
    pathPrefix: '',
  });
  assert.throws(
    () => parseConsulEndpoint('ftp://x:1'),
    (err: unknown) => isSwarmopError(err, 'Invalid') && /scheme must be http, https or unix/.test((err as Error).message),
  );
});

test('TLS files are read for a TLS address: CA file over CA path, client pair, server name, verify switch', () => {
  const ca = file('ca.pem', PEM);
  const caDir = join(dir, 'ca.d');
  mkdirSync(join(caDir, 'sub'), { recursive: true });
  writeFileSync(join(caDir, 'a.pem'), PEM);
  writeFileSync(join(caDir, 'sub', 'b.pem'), PEM);
  writeFileSync(join(caDir, 'README'), 'not a certificate');
  const cert = file('client.pem', 'CERT');
  const key = file('client.key', 'KEY');
  const env = {
    CONSUL_HTTP_ADDR: 'https://127.0.0.1:8501',
    CONSUL_CAPATH: caDir,
    CONSUL_CLIENT_CERT: cert,
    CONSUL_CLIENT_KEY: key,
    CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
  };
  const fromPath = consulConnection({ env });
  assert.equal(fromPath.tls?.ca?.length, 2);
  assert.equal(fromPath.tls?.cert?.toString(), 'CERT');
  assert.equal(fromPath.tls?.key?.toString(), 'KEY');
  assert.equal(fromPath.tls?.servername, 'server.dc1.consul');
  assert.equal(fromPath.tls?.rejectUnauthorized, true);
  assert.equal(fromPath.caSource, `CONSUL_CAPATH=${caDir}`);
  const fromFile = consulConnection({ flags: { caFile: ca }, env: { ...env, CONSUL_HTTP_SSL_VERIFY: 'false' } });
  assert.equal(fromFile.tls?.ca?.length, 1);
  assert.equal(fromFile.caSource, `--ca-file=${ca}`);
  assert.equal(fromFile.tls?.rejectUnauthorized, false);
  // A plain HTTP address reads no TLS files (consul ignores them there too).
  assert.equal(consulConnection({ env: { CONSUL_CACERT: join(dir, 'missing.pem') } }).tls, undefined);
});

test('a client certificate without its key (or the reverse) is refused naming both settings', () => {
  const cert = file('only.pem', 'CERT');
  assert.throws(
    () => consulConnection({ flags: { clientCert: cert }, env: { CONSUL_HTTP_ADDR: 'https://127.0.0.1:8501' } }),
    (err: unknown) =>
      err instanceof ConsulSettingsError &&
      err.message ===
        '--client-cert is set but CONSUL_CLIENT_KEY / --client-key is not: a client certificate needs both the certificate and its key',
  );
});

test('a CA file without a PEM certificate is refused naming it', () => {
  const bad = file('bad-ca.pem', 'hello');
  assert.throws(
    () => consulConnection({ env: { CONSUL_HTTP_ADDR: 'https://127.0.0.1:8501', CONSUL_CACERT: bad } }),
    (err: unknown) => err instanceof ConsulSettingsError && err.message === `CONSUL_CACERT file ${bad} holds no PEM certificate`,
  );
});

test('a TLS connection without certificate verification carries a warning naming the setting; a verified or plain one does not', () => {
  const off = consulConnection({ env: { CONSUL_HTTP_ADDR: 'https://consul.example:8501', CONSUL_HTTP_SSL_VERIFY: 'false' } });
  assert.equal(
    unverifiedTlsWarning(off),
    "CONSUL_HTTP_SSL_VERIFY=false: the store Consul's certificate is not verified, so anyone on the path to https://consul.example:8501 can read and change the store and the token",
  );
  const fromContext = consulConnection({
    env: { CONSUL_HTTP_ADDR: 'https://c:8501' },
    defaults: { sslVerify: false },
    defaultsName: 'context "prod"',
  });
  assert.match(unverifiedTlsWarning(fromContext) ?? '', /^sslVerify in context "prod"=false: /);
  assert.equal(unverifiedTlsWarning(consulConnection({ env: { CONSUL_HTTP_ADDR: 'https://c:8501' } })), undefined);
  assert.equal(unverifiedTlsWarning(consulConnection({ env: { CONSUL_HTTP_ADDR: 'c:8500', CONSUL_HTTP_SSL_VERIFY: 'false' } })), undefined);
});
