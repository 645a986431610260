/**
 * probeEngine against real TLS servers on loopback (certificates made with openssl): the reason
 * comes from what the handshake did, not from a value the test passes in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import { dockerHostOutcome } from './reconciler.js';
import { probeEngine } from './observe.js';

let dir = '';
let cert = '';
let key = '';
const servers: (TlsServer | HttpServer)[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'swarmop-probe-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
});
after(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listen<S extends TlsServer | HttpServer>(server: S): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

test('an engine that requires a client certificate and gets none: Ready=False TLSHandshakeFailed', async () => {
  // Like dockerd --tlsverify: the server asks for a client certificate and refuses a client without one.
  const port = await listen(createTlsServer({ key, cert, requestCert: true, rejectUnauthorized: true }, (s) => s.end()));
  const probe = await probeEngine(new Docker({ host: '127.0.0.1', port, protocol: 'https', ca: cert } as Docker.DockerOptions), 5000);
  assert.equal(probe.reachable, false);
  assert.equal(probe.reachable === false && probe.reason, 'TLSHandshakeFailed');
  assert.match(probe.reachable === false ? probe.error : '', /^TLS handshake failed: .*certificate/i);
  const out = dockerHostOutcome(`tcp://127.0.0.1:${port}`, probe, 5000);
  assert.equal(out.conditions[0]?.status, 'False');
  assert.equal(out.conditions[0]?.reason, 'TLSHandshakeFailed');
});

test('an engine whose certificate is not signed by the configured CA: TLSHandshakeFailed', async () => {
  const port = await listen(createTlsServer({ key, cert }, (s) => s.end()));
  const probe = await probeEngine(new Docker({ host: '127.0.0.1', port, protocol: 'https' } as Docker.DockerOptions), 5000);
  assert.equal(probe.reachable === false && probe.reason, 'TLSHandshakeFailed');
});

test('a plain-HTTP engine answering 400 to a client that speaks HTTP to a TLS port: TLSRequired', async () => {
  // dockerd's answer (Go's net/http) when plain HTTP reaches its TLS listener.
  const port = await listen(
    createHttpServer((_, res) =>
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Client sent an HTTP request to an HTTPS server.\n'),
    ),
  );
  const probe = await probeEngine(new Docker({ host: '127.0.0.1', port, protocol: 'http' }), 5000);
  assert.equal(probe.reachable === false && probe.reason, 'TLSRequired');
});

test('nothing listening: Unreachable (connection refused)', async () => {
  const port = await listen(createHttpServer());
  servers.pop()!.close();
  await new Promise((r) => setTimeout(r, 50));
  const probe = await probeEngine(new Docker({ host: '127.0.0.1', port, protocol: 'http' }), 5000);
  assert.equal(probe.reachable === false && probe.reason, 'Unreachable');
  assert.match(probe.reachable === false ? probe.error : '', /^connection refused/);
});

test('an endpoint that answers with a large page full of control characters reaches the condition cut to 512 bytes and cleaned', async () => {
  // A DockerHost may name any HTTP server: its answer must not be reflected whole into status.
  const page = `<html>\u001b[31m\r\n${'internal answer '.repeat(4000)}</html>`;
  const port = await listen(createHttpServer((_, res) => res.writeHead(500, { 'content-type': 'text/html' }).end(page)));
  const probe = await probeEngine(new Docker({ host: '127.0.0.1', port, protocol: 'http' }), 5000);
  assert.equal(probe.reachable, false);
  const error = probe.reachable === false ? probe.error : '';
  assert.ok(Buffer.byteLength(error) <= 512, `${Buffer.byteLength(error)} bytes`);
  assert.match(error, /^<html> \[31m {2}internal answer internal answer/);
  const message = dockerHostOutcome(`tcp://127.0.0.1:${port}`, probe, 5000).conditions[0]!.message;
  assert.doesNotMatch(message, /[\u0000-\u001f]/);
  assert.ok(Buffer.byteLength(message) < 512 + 100);
});
