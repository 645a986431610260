import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSwarmopError } from '../errors.js';
import { metricsAuthorized, metricsToken } from './metrics-access.js';

const TOKEN = '0123456789abcdef0123';
const UI = 'fedcba9876543210fedc';

test('/metrics on a loopback address is open unless --metrics-token is given', () => {
  for (const addr of ['127.0.0.1:9464', '127.3.4.5:0', 'localhost:9464', '[::1]:9464', '[::ffff:127.0.0.1]:9464']) {
    assert.equal(metricsToken({ addr }), undefined, addr);
    assert.equal(metricsToken({ addr, uiToken: UI }), undefined, `${addr}: the UI token alone does not close loopback metrics`);
    assert.equal(metricsToken({ addr, metricsToken: TOKEN }), TOKEN, addr);
  }
});

test('/metrics on any other address needs --metrics-token, else the UI token, else the operator refuses to start', () => {
  for (const addr of [':9464', '0.0.0.0:9464', '[::]:9464', '192.168.116.111:9464']) {
    assert.equal(metricsToken({ addr, metricsToken: TOKEN, uiToken: UI }), TOKEN, addr);
    assert.equal(metricsToken({ addr, uiToken: UI }), UI, addr);
    assert.throws(
      () => metricsToken({ addr }),
      (e: unknown) =>
        isSwarmopError(e, 'Invalid') &&
        e.message ===
          `--metrics-addr ${addr} is not a loopback address: anyone who reaches it would read the operator's metrics (every document, host and error); set --metrics-token (or SWARMOP_METRICS_TOKEN, or --ui-token), or listen on 127.0.0.1`,
      addr,
    );
  }
  assert.throws(
    () => metricsToken({ addr: '127.0.0.1:9464', metricsToken: 'short' }),
    (e: unknown) => isSwarmopError(e, 'Invalid') && /--metrics-token must be at least 16 characters/.test(e.message),
  );
});

test('only "Authorization: Bearer TOKEN" with the exact token is authorized', () => {
  assert.equal(metricsAuthorized(TOKEN, `Bearer ${TOKEN}`), true);
  assert.equal(metricsAuthorized(TOKEN, `bearer  ${TOKEN} `), true);
  for (const bad of [undefined, '', TOKEN, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, 'Bearer ']) {
    assert.equal(metricsAuthorized(TOKEN, bad), false, String(bad));
  }
});
