/**
 * An agent address comes from a document: whatever answers there may send an endless body. Every
 * agent call reads at most its cap and then fails, instead of buffering the answer whole.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { joinVia } from '../../consul/agent-http.js';
import { readKeyring } from './gossip-keyring.js';
import { reclaimNodeName } from './node-identity.js';
import { startEndlessAnswerServer, type EndlessAnswerServer } from '../../../testing/harness/endless-answer-server.js';

let server: EndlessAnswerServer;
before(async () => {
  server = await startEndlessAnswerServer();
});
after(() => server.close());

test('agent calls stop reading an answer over the cap and fail naming it', async () => {
  const o = { port: server.port, maxResponseBytes: 128 * 1024, timeoutMs: 10_000 };
  await assert.rejects(joinVia('127.0.0.1', '10.0.0.9', o), /consul agent 127\.0\.0\.1: answer over 131072 bytes/);
  await assert.rejects(readKeyring('127.0.0.1', o), /answer over 131072 bytes/);
  await assert.rejects(reclaimNodeName('127.0.0.1', 'n1', 'id', '10.0.0.9', o), /answer over 131072 bytes/);
});
