/**
 * Who may open the status page on its own address: the decision functions with injected addresses
 * (no test binds anything but loopback), then a real UiServer on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { KindName } from '../crds/kind-info.js';
import { isSwarmopError } from '../errors.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { StatusPage } from './status-page.js';
import { UiServer } from './ui-server.js';
import { UI_TOKEN_COOKIE, checkUiRequest, isLoopbackHost, uiAccessPolicy } from './ui-access.js';

const LOCAL = ['127.0.0.1', '::1', '192.168.116.111', 'fe80::1'];

describe('ui access decisions', () => {
  it('loopback hosts are 127/8, ::1 and localhost; a wildcard or LAN address is not', () => {
    for (const h of ['127.0.0.1', '127.3.2.1', '::1', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '::', '', '192.168.116.111', 'example.com', '128.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
  });

  it('a non-loopback --ui-addr without --ui-token is refused, naming both flags', () => {
    for (const addr of [':8080', '0.0.0.0:8080', '192.168.116.111:8080', '[::]:8080']) {
      assert.throws(
        () => uiAccessPolicy({ addr, localAddresses: LOCAL }),
        (e: unknown) =>
          isSwarmopError(e, 'Invalid') &&
          /--ui-addr .* is not a loopback address: anyone who reaches it would read every document's status; set --ui-token/.test(
            (e as Error).message,
          ),
        addr,
      );
    }
    assert.equal(uiAccessPolicy({ addr: '127.0.0.1:8080', localAddresses: LOCAL }).token, undefined);
    assert.equal(uiAccessPolicy({ addr: '0.0.0.0:8080', token: 's3cret-token-value', localAddresses: LOCAL }).token, 's3cret-token-value');
  });

  it('a token too short to resist guessing is refused', () => {
    assert.throws(
      () => uiAccessPolicy({ addr: '0.0.0.0:8080', token: 'abc', localAddresses: LOCAL }),
      /--ui-token must be at least 16 characters/,
    );
  });

  it('Host header: the bound address, localhost and configured names pass; anything else is refused (DNS rebinding)', () => {
    const wildcard = uiAccessPolicy({
      addr: '0.0.0.0:8080',
      token: 's3cret-token-value',
      hostNames: ['swarmop.example.org'],
      localAddresses: LOCAL,
    });
    const ok = (host: string | undefined) => checkUiRequest(wildcard, { host, authorization: 'Bearer s3cret-token-value' }).status;
    for (const h of [
      '192.168.116.111:8080',
      'localhost:8080',
      '127.0.0.1:8080',
      '[::1]:8080',
      'SWARMOP.example.org:8080',
      'swarmop.example.org',
    ])
      assert.equal(ok(h), 200, h);
    for (const h of ['evil.example:8080', '10.9.9.9:8080', undefined, '']) assert.equal(ok(h), 421, String(h));
    const bound = uiAccessPolicy({ addr: '192.168.116.111:8080', token: 's3cret-token-value', localAddresses: LOCAL });
    assert.equal(checkUiRequest(bound, { host: '192.168.116.111:8080', authorization: 'Bearer s3cret-token-value' }).status, 200);
    assert.equal(
      checkUiRequest(bound, { host: '[fe80::1]:8080', authorization: 'Bearer s3cret-token-value' }).status,
      421,
      'only the bound address, not every local one',
    );
  });

  it('token: a bearer header, the cookie, or ?token= (which sets the cookie); a wrong or missing one is 401', () => {
    const p = uiAccessPolicy({ addr: '0.0.0.0:8080', token: 's3cret-token-value', localAddresses: LOCAL });
    const host = 'localhost:8080';
    assert.equal(checkUiRequest(p, { host }).status, 401);
    assert.equal(checkUiRequest(p, { host, authorization: 'Bearer wrong-token-value!' }).status, 401);
    assert.equal(checkUiRequest(p, { host, cookie: `other=1; ${UI_TOKEN_COOKIE}=s3cret-token-value` }).status, 200);
    const viaQuery = checkUiRequest(p, { host, url: '/ui/?token=s3cret-token-value' });
    assert.equal(viaQuery.status, 200);
    assert.match(viaQuery.setCookie ?? '', new RegExp(`^${UI_TOKEN_COOKIE}=s3cret-token-value; Path=/; HttpOnly; SameSite=Strict`));
    assert.equal(checkUiRequest(p, { host, url: '/ui/?token=nope' }).status, 401);
    // a loopback page without a token needs none
    const open = uiAccessPolicy({ addr: '127.0.0.1:0', localAddresses: LOCAL });
    assert.equal(checkUiRequest(open, { host: '127.0.0.1:5555' }).status, 200);
  });
});

describe('UiServer on loopback with a token', () => {
  const ac = new AbortController();
  let port = 0;
  const TOKEN = 'loopback-test-token-1234';

  before(async () => {
    const page = new StatusPage({
      objects: (_k: KindName) => [],
      kv: new MemoryKv({ defaultWaitMs: 200 }),
      prefix: 'uiaccess/',
      metrics: new RuntimeMetrics({ processMetrics: false }),
      feedIdleMs: 60_000,
      maxSseClients: 2,
      syncWaitMs: 100,
    });
    void page.start(ac.signal);
    const server = new UiServer({ addr: '127.0.0.1:0', page, token: TOKEN, hostNames: ['ops.example.org'] });
    port = (await server.listen()).port;
    void server.start(ac.signal);
  });
  after(() => ac.abort());

  /** A raw request, so the Host header is what the test says (fetch sets its own). */
  function get(
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; close: () => void }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, close: () => res.destroy() });
        if (res.headers['content-type']?.startsWith('text/event-stream') !== true) res.resume();
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses a request without the token, or for a foreign Host, and serves one with it', async () => {
    assert.equal((await get('/ui/', { host: `127.0.0.1:${port}` })).status, 401);
    assert.equal((await get('/ui/', { host: 'attacker.example', authorization: `Bearer ${TOKEN}` })).status, 421);
    assert.equal((await get('/ui/', { host: `localhost:${port}`, authorization: `Bearer ${TOKEN}` })).status, 200);
    assert.equal((await get('/ui/', { host: 'ops.example.org', authorization: `Bearer ${TOKEN}` })).status, 200);
    const first = await get(`/ui/?token=${TOKEN}`, { host: `127.0.0.1:${port}` });
    assert.equal(first.status, 200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    assert.equal((await get('/ui/assets/ui.css', { host: `127.0.0.1:${port}`, cookie })).status, 200);
  });

  it('serves at most maxSseClients event streams; one more gets 503', async () => {
    const auth = { host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}` };
    const a = await get('/ui/events', auth);
    const b = await get('/ui/events', auth);
    assert.deepEqual([a.status, b.status], [200, 200]);
    const c = await get('/ui/events', auth);
    assert.equal(c.status, 503);
    assert.equal(c.headers['retry-after'], '10');
    a.close();
    await new Promise((r) => setTimeout(r, 100));
    const d = await get('/ui/events', auth);
    assert.equal(d.status, 200, 'a freed place is taken again');
    b.close();
    d.close();
  });
});
