import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricsPageRoute, storeConnection } from './run-operator.js';

function recordingLog(): {
  warnings: [string, Record<string, unknown> | undefined][];
  warn: (m: string, f?: Record<string, unknown>) => void;
} {
  const warnings: [string, Record<string, unknown> | undefined][] = [];
  return { warnings, warn: (m, f) => warnings.push([m, f]) };
}

test('the operator logs a warning at start when the store Consul certificate is not verified', () => {
  const log = recordingLog();
  const conn = storeConnection(
    { consul: { env: { CONSUL_HTTP_ADDR: 'https://consul.example:8501', CONSUL_HTTP_SSL_VERIFY: 'false' } } },
    log,
  );
  assert.equal(conn.tls?.rejectUnauthorized, false);
  assert.equal(log.warnings.length, 1);
  assert.equal(log.warnings[0]![0], 'store Consul certificate not verified');
  assert.equal(log.warnings[0]![1]?.setting, 'CONSUL_HTTP_SSL_VERIFY');
  assert.equal(log.warnings[0]![1]?.consul, 'https://consul.example:8501');

  const quiet = recordingLog();
  storeConnection({ consul: { env: { CONSUL_HTTP_ADDR: 'https://consul.example:8501' } } }, quiet);
  assert.deepEqual(quiet.warnings, []);
});

test('the page under /ui on the metrics address: checked like --ui-addr; left off a non-loopback metrics address without a token', async () => {
  const { createServer, request } = await import('node:http');
  const page = {
    owns: (p: string) => p.startsWith('/ui'),
    handle: async (_req: unknown, res: import('node:http').ServerResponse) => void res.end('page'),
  };
  const log = recordingLog();
  assert.equal(metricsPageRoute(page as never, '0.0.0.0:9464', {}, log), undefined);
  assert.deepEqual(
    log.warnings.map(([m]) => m),
    ['status page not served on the metrics address'],
  );
  assert.ok(metricsPageRoute(page as never, '0.0.0.0:9464', { token: 'a-token-of-16-chars+' }, recordingLog()));

  const route = metricsPageRoute(page as never, '127.0.0.1:9464', {}, recordingLog())!;
  const server = createServer((req, res) => void route.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const status = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/ui/', headers: { host } },
        (res) => (res.resume(), resolve(res.statusCode ?? 0)),
      );
      req.on('error', reject);
      req.end();
    });
  try {
    assert.equal(await status(`127.0.0.1:${port}`), 200);
    assert.equal(await status('rebound.attacker.example:9464'), 421, 'a DNS-rebinding Host is refused on loopback too');
  } finally {
    server.close();
  }
});
