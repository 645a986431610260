import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveGlobals } from './cli-context.js';

test('flags win over the environment, which wins over the defaults', () => {
  assert.deepEqual(resolveGlobals({}, {}), { prefix: 'swarmop/' });
  assert.deepEqual(resolveGlobals({}, { SWARMOP_PREFIX: 'tenant-a/', CONSUL_HTTP_ADDR: '127.0.0.1:1' }), {
    prefix: 'tenant-a/',
    consulAddr: '127.0.0.1:1',
  });
  assert.deepEqual(resolveGlobals({ prefix: 'x/', consulAddr: 'h:2' }, { SWARMOP_PREFIX: 'y/', CONSUL_HTTP_ADDR: 'h:1' }), {
    prefix: 'x/',
    consulAddr: 'h:2',
    consul: { address: 'h:2' },
  });
});

test("the consul CLI's connection flags are kept for the connection resolver; --http-addr wins over --consul-addr", () => {
  assert.deepEqual(
    resolveGlobals({ httpAddr: 'https://h:8501', consulAddr: 'old:1', token: 't', tokenFile: '/tf', caFile: '/ca', caPath: '/ca.d', clientCert: '/c', clientKey: '/k', tlsServerName: 'n' }, {}),
    {
      prefix: 'swarmop/',
      consulAddr: 'https://h:8501',
      consul: { address: 'https://h:8501', token: 't', tokenFile: '/tf', caFile: '/ca', caPath: '/ca.d', clientCert: '/c', clientKey: '/k', tlsServerName: 'n' },
    },
  );
});

test('a prefix without a trailing slash gets one so tenants never share keys', () => {
  assert.equal(resolveGlobals({ prefix: 'team' }, {}).prefix, 'team/');
});
