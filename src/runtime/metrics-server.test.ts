import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsServer, parseListenAddr } from './metrics-server.js';
import { RuntimeMetrics } from './metrics.js';

test('parses host:port, :port and [v6]:port listen addresses', () => {
  assert.deepEqual(parseListenAddr('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseListenAddr(':9090'), { host: '0.0.0.0', port: 9090 });
  assert.deepEqual(parseListenAddr('[::1]:0'), { host: '::1', port: 0 });
  assert.throws(() => parseListenAddr('localhost'), /invalid listen address/);
  assert.throws(() => parseListenAddr('a:99999'), /invalid listen address/);
});

test('serves healthz, readyz from the readiness check, and metrics; stops on abort', async () => {
  const metrics = new RuntimeMetrics({ processMetrics: false });
  metrics.leader.set(1);
  let ready = false;
  const server = new MetricsServer({
    addr: '127.0.0.1:0',
    metrics,
    readiness: () => ({ ready, checks: [`watcher swarmop/: ${ready ? 'synced' : 'syncing'}`] }),
  });
  const { port } = await server.listen();
  const ac = new AbortController();
  const running = server.start(ac.signal);
  const base = `http://127.0.0.1:${port}`;

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  const notReady = await fetch(`${base}/readyz`);
  assert.equal(notReady.status, 503);
  assert.match(await notReady.text(), /watcher swarmop\/: syncing\nnot ready/);
  ready = true;
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  const m = await fetch(`${base}/metrics`);
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
  assert.match(await m.text(), /swarmop_leader 1/);
  assert.equal((await fetch(`${base}/nope`)).status, 404);

  ac.abort();
  await running;
  await assert.rejects(fetch(`${base}/healthz`));
});

test('with a metrics token, /metrics answers 401 without "Authorization: Bearer TOKEN"; /healthz and /readyz stay open', async () => {
  const token = '0123456789abcdef0123';
  const metrics = new RuntimeMetrics({ processMetrics: false });
  metrics.leader.set(1);
  const server = new MetricsServer({ addr: '127.0.0.1:0', metrics, readiness: () => ({ ready: true, checks: [] }), metricsToken: token });
  const { port } = await server.listen();
  const ac = new AbortController();
  const running = server.start(ac.signal);
  const base = `http://127.0.0.1:${port}`;
  try {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: token }];
    for (const headers of attempts) {
      const res = await fetch(`${base}/metrics`, { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="swarmop metrics"');
      assert.equal(await res.text(), 'the metrics need their token: send Authorization: Bearer TOKEN (--metrics-token)\n');
    }
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /swarmop_leader 1/);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  } finally {
    ac.abort();
    await running;
  }
});
