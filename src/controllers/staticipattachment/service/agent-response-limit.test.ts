/**
 * An agent address comes from a document: whatever answers there may send an endless body. The
 * service agent reads at most its cap and then fails, instead of buffering the answer whole.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HttpServiceAgent } from './agent.js';
import { startEndlessAnswerServer, type EndlessAnswerServer } from '../../../../testing/harness/endless-answer-server.js';

let server: EndlessAnswerServer;
before(async () => {
  server = await startEndlessAnswerServer();
});
after(() => server.close());

test('the service agent stops reading an answer over the cap and fails naming it', async () => {
  const agent = new HttpServiceAgent({ port: server.port, timeoutMs: 10_000, maxResponseBytes: 128 * 1024 });
  await assert.rejects(agent.read('127.0.0.1', 'svc'), /consul agent 127\.0\.0\.1: answer over 131072 bytes/);
});
