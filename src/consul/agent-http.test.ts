import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { joinVia, LAN_JOIN_WAIT_MS, WAN_JOIN_WAIT_MS } from './agent-http.js';

/** An agent whose join never answers, as one does while the target's packets are dropped. */
let server: Server;
let port: number;
const seen: { path: string; token?: string; abandonedAfterMs?: number }[] = [];

before(async () => {
  server = createServer((req: IncomingMessage) => {
    const started = Date.now();
    const entry: (typeof seen)[number] = {
      path: req.url ?? '',
      ...(req.headers['x-consul-token'] ? { token: String(req.headers['x-consul-token']) } : {}),
    };
    seen.push(entry);
    req.socket.on('close', () => (entry.abandonedAfterMs = Date.now() - started));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('a LAN join that hangs is given up after LAN_JOIN_WAIT_MS, not the WAN wait, so a fresh try can follow a heal', async () => {
  seen.length = 0;
  await assert.rejects(joinVia('127.0.0.1', '10.1.2.3', { port, localToken: 'tok' }), (err: Error & { code?: string }) => {
    assert.match(err.message, /consul agent 127\.0\.0\.1: PUT \/v1\/agent\/join\/10\.1\.2\.3 failed/);
    assert.equal(err.code, 'Timeout', 'a timeout is told apart from a refusal');
    return true;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.path, '/v1/agent/join/10.1.2.3');
  assert.equal(seen[0]!.token, 'tok');
  const waited = seen[0]!.abandonedAfterMs;
  assert.ok(waited !== undefined, 'the client hung up');
  // Well before the WAN wait: the short bound is the one applied (the timer starts before the
  // connection, so the server sees less than LAN_JOIN_WAIT_MS when the client starts up slowly).
  assert.ok(waited <= LAN_JOIN_WAIT_MS + 250 && LAN_JOIN_WAIT_MS + 250 < WAN_JOIN_WAIT_MS, `hung up after ${waited} ms`);
});

test('a WAN join is waited for longer (slow links)', async () => {
  seen.length = 0;
  const started = Date.now();
  await assert.rejects(joinVia('127.0.0.1', '10.1.2.3', { port }, true), /\?wan=1 failed/);
  assert.equal(seen[0]!.path, '/v1/agent/join/10.1.2.3?wan=1');
  assert.ok(Date.now() - started >= WAN_JOIN_WAIT_MS - 50);
});
