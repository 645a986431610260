import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dockerOptionsFor,
  parseEndpoint,
  DockerClients,
  DOCKER_API_TIMEOUT_MS,
  DOCKER_RESPONSE_LIMIT_BYTES,
  streamDockerOptionsFor,
  newDockerClient,
} from './docker-client.js';
import { OutputLimitError } from '../runtime/output-limits.js';
import { isSwarmopError } from '../errors.js';

test('a tcp endpoint becomes plain http options', () => {
  const o = dockerOptionsFor({ endpoint: 'tcp://192.168.116.111:2375' });
  assert.equal(o.host, '192.168.116.111');
  assert.equal(o.port, 2375);
  assert.equal(o.protocol, 'http');
});

test('a unix endpoint becomes a socket path', () => {
  assert.equal(dockerOptionsFor({ endpoint: 'unix:///run/swarmop-lab/docker.sock' }).socketPath, '/run/swarmop-lab/docker.sock');
});

test('tls files are read and switch the protocol to https', () => {
  const read = (p: string) => Buffer.from(`content of ${p}`);
  const o = dockerOptionsFor({ endpoint: 'tcp://h:2376', tls: { caFile: '/ca', certFile: '/cert', keyFile: '/key' } }, read);
  assert.equal(o.protocol, 'https');
  assert.equal(String(o.ca), 'content of /ca');
  assert.equal(String(o.cert), 'content of /cert');
  assert.equal(String(o.key), 'content of /key');
});

test('an unreadable tls file is an Invalid error naming the file', () => {
  const read = () => {
    throw new Error('ENOENT');
  };
  assert.throws(
    () => dockerOptionsFor({ endpoint: 'tcp://h:2376', tls: { caFile: '/missing/ca.pem' } }, read),
    (e: unknown) => isSwarmopError(e, 'Invalid') && e.message.includes('/missing/ca.pem'),
  );
});

test('malformed endpoints are refused', () => {
  for (const bad of ['http://h:2375', 'tcp://h', 'tcp://h:99999', 'unix://relative.sock', 'tcp://h:2375/x']) {
    assert.throws(
      () => parseEndpoint(bad),
      (e: unknown) => isSwarmopError(e, 'Invalid'),
      bad,
    );
  }
});

test('clients are reused per host until the endpoint changes', () => {
  let made = 0;
  const clients = new DockerClients({ create: () => ({ id: ++made }) as never });
  const a = clients.get('consul01', { endpoint: 'tcp://a:2375' });
  assert.equal(clients.get('consul01', { endpoint: 'tcp://a:2375' }), a);
  assert.notEqual(clients.get('consul01', { endpoint: 'tcp://b:2375' }), a);
  assert.equal(made, 2);
});

test('API clients time requests out; stream clients have no request timeout on any endpoint kind', () => {
  assert.equal(dockerOptionsFor({ endpoint: 'tcp://h:2375' }).timeout, DOCKER_API_TIMEOUT_MS);
  for (const endpoint of ['tcp://h:2375', 'unix:///run/x/docker.sock']) {
    const o = streamDockerOptionsFor({ endpoint });
    assert.equal('timeout' in o, false, endpoint);
  }
});

test("the process's DOCKER_* environment never reaches a client: a unix endpoint still dials its own socket", async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const http = await import('node:http');
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-env-'));
  const socket = join(dir, 'docker.sock');
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(req.url?.endsWith('/_ping') ? 'OK' : '');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const saved = { ...process.env };
  t.after(() => {
    for (const k of ['DOCKER_HOST', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY', 'DOCKER_PATH_PREFIX', 'DOCKER_CLIENT_TIMEOUT']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
  process.env.DOCKER_CERT_PATH = join(dir, 'no-such-certs');
  process.env.DOCKER_TLS_VERIFY = '1';
  process.env.DOCKER_PATH_PREFIX = '/elsewhere/';
  process.env.DOCKER_CLIENT_TIMEOUT = '1';

  for (const docker of [
    new DockerClients().get('h', { endpoint: `unix://${socket}` }),
    newDockerClient(streamDockerOptionsFor({ endpoint: `unix://${socket}` })),
  ]) {
    const modem = docker.modem as unknown as Record<string, unknown>;
    assert.equal(modem.socketPath, socket);
    assert.equal(modem.host, undefined);
    assert.equal(modem.ca, undefined);
    assert.equal(modem.cert, undefined);
    assert.equal(modem.pathPrefix, undefined);
    assert.equal(modem.protocol, 'http');
    assert.equal(String(await docker.ping()), 'OK');
  }
  // and a tcp endpoint keeps its own host, port and plain http
  const tcp = new DockerClients().get('t', { endpoint: 'tcp://192.0.2.7:2375' }).modem as unknown as Record<string, unknown>;
  assert.deepEqual(
    [tcp.host, tcp.port, tcp.protocol, tcp.ca, tcp.pathPrefix, tcp.timeout],
    ['192.0.2.7', 2375, 'http', undefined, undefined, DOCKER_API_TIMEOUT_MS],
  );
  // the environment is left as it was
  assert.equal(process.env.DOCKER_HOST, 'tcp://127.0.0.1:1');
});

test('an API client reads at most its cap of one answer: an endpoint that answers without end is cut off, and the next call works', async (t) => {
  const http = await import('node:http');
  let endless = true;
  const server = http.createServer((req, res) => {
    if (!endless) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as import('node:net').AddressInfo;
  const docker = newDockerClient(
    dockerOptionsFor({ endpoint: `tcp://127.0.0.1:${port}` }, undefined, 30_000, { maxResponseBytes: 1024 * 1024 }),
  );
  const started = Date.now();
  await assert.rejects(
    docker.version(),
    (e: unknown) =>
      e instanceof OutputLimitError && /Docker Engine at 127\.0\.0\.1:\d+: an answer over 1048576 bytes/.test((e as Error).message),
  );
  assert.ok(Date.now() - started < 10_000);
  endless = false;
  assert.equal(String(await docker.ping()), 'OK', 'the cap is per answer: a later one is read');
  assert.equal(String(await docker.ping()), 'OK');
  // the default cap is generous for a real engine's answers
  assert.ok(DOCKER_RESPONSE_LIMIT_BYTES >= 64 * 1024 * 1024);
});

test("an API client's agent prints as one line: docker-modem inspects every request's options, agent included, with depth null", async () => {
  const { inspect } = await import('node:util');
  const options = dockerOptionsFor({ endpoint: 'unix:///nonexistent-swarmop-test.sock' });
  const text = inspect(options, { showHidden: true, depth: null });
  assert.match(text, /\[Agent Docker Engine at \/nonexistent-swarmop-test\.sock\]/);
  assert.ok(text.length < 400, `${text.length} characters`);
});
