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
