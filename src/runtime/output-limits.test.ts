import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { BoundedChunks, OutputLimitError, readBoundedText } from './output-limits.js';

let server: Server;
let base = '';
let sentBytes = 0;
before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/small') return void res.end('{"ok":true}');
    // An endless answer: only the reader's cap ends it.
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = 'z'.repeat(64 * 1024);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) sentBytes += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => res.removeAllListeners('drain'));
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('chunks are kept up to the cap; one byte more is an OutputLimitError naming what overflowed', () => {
  const c = new BoundedChunks({ maxBytes: 10, what: 'exec output' });
  c.push(Buffer.from('12345'));
  c.push(Buffer.from('67890'));
  assert.equal(c.text(), '1234567890');
  assert.throws(
    () => c.push(Buffer.from('!')),
    (e: unknown) => e instanceof OutputLimitError && e.message === 'exec output over 10 bytes' && e.code === 'Unavailable',
  );
});

test('a response body within the cap is read whole; an endless one is cut off at the cap and the connection dropped', async () => {
  assert.equal(await readBoundedText(await fetch(`${base}/small`), 1024, 'agent answer'), '{"ok":true}');
  const started = Date.now();
  await assert.rejects(
    readBoundedText(await fetch(`${base}/endless`), 256 * 1024, 'agent answer'),
    (e: unknown) => e instanceof OutputLimitError && /agent answer over 262144 bytes/.test((e as Error).message),
  );
  assert.ok(Date.now() - started < 5_000);
  const at = sentBytes;
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(sentBytes - at < 4 * 1024 * 1024, 'the server is not read any further');
});
