/**
 * An agent address comes from a document: whatever answers there may send an endless body. Every
 * agent call reads at most its cap and then fails, instead of buffering the answer whole.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { joinVia } from './agent-http.js';
import { readKeyring } from './gossip-keyring.js';
import { reclaimNodeName } from './node-identity.js';
import { HttpServiceAgent } from '../staticipattachment/service-agent.js';

let server: Server;
let port = 0;
before(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = ' '.repeat(64 * 1024);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('agent calls stop reading an answer over the cap and fail naming it', async () => {
  const o = { port, maxResponseBytes: 128 * 1024, timeoutMs: 10_000 };
  await assert.rejects(joinVia('127.0.0.1', '10.0.0.9', o), /consul agent 127\.0\.0\.1: answer over 131072 bytes/);
  await assert.rejects(readKeyring('127.0.0.1', o), /answer over 131072 bytes/);
  await assert.rejects(reclaimNodeName('127.0.0.1', 'n1', 'id', '10.0.0.9', o), /answer over 131072 bytes/);
  const agent = new HttpServiceAgent({ port, timeoutMs: 10_000, maxResponseBytes: 128 * 1024 });
  await assert.rejects(agent.read('127.0.0.1', 'svc'), /consul agent 127\.0\.0\.1: answer over 131072 bytes/);
});
