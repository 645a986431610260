/**
 * ConsulKv against a local HTTP server posing as Consul: answers over the configured caps are
 * refused with an error naming the key or prefix, whether the body declares its length or streams
 * without one, and the client keeps working afterwards.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isSwarmopError } from '../errors.js';
import { ConsulKv } from './consul-kv.js';
import { byteSize, DEFAULT_MAX_ANSWER_BYTES, DEFAULT_MAX_VALUE_BYTES } from './consul-response-cap.js';

const raw = (key: string, value: string) => ({
  Key: key,
  Value: Buffer.from(value).toString('base64'),
  CreateIndex: 1,
  ModifyIndex: 2,
  Flags: 0,
  LockIndex: 0,
});

/** Sends `body` in 8 KiB chunks without a Content-Length (chunked), as a streaming server would. */
function stream(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'x-consul-index': '7' });
  const buf = Buffer.from(body);
  let at = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (at >= buf.length) return void res.end();
    res.write(buf.subarray(at, at + 8192), next);
    at += 8192;
  };
  next();
}

describe('ConsulKv caps what the store answers', () => {
  let server: Server;
  let kv: ConsulKv;
  let address = '';
  const requests: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      const key = decodeURIComponent(url.pathname.replace(/^\/v1\/kv\//, ''));
      const json = (body: unknown): void => {
        const text = JSON.stringify(body);
        res
          .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-consul-index': '7' })
          .end(text);
      };
      if (key === 'small') return json([raw('small', 'v')]);
      // One value over the per-value cap (4 KiB here), with its length declared.
      if (key === 'big-value') return json([raw('big-value', 'x'.repeat(5000))]);
      // A list whose values are each small but whose whole answer is over the answer cap (64 KiB).
      if ((key === 'huge/' || key === 'declared/') && url.searchParams.has('recurse')) {
        const pairs = Array.from({ length: 40 }, (_, i) => raw(`${key}${i}`, 'y'.repeat(2000)));
        return key === 'huge/' ? stream(res, JSON.stringify(pairs)) : json(pairs);
      }
      if (key === 'fat/' && url.searchParams.has('recurse')) return json([raw('fat/ok', 'a'), raw('fat/too-big', 'z'.repeat(5000))]);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    kv = new ConsulKv({ address, maxAnswerBytes: 64 * 1024, maxValueBytes: 4096 });
  });
  after(async () => {
    kv.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('defaults: 16 MiB per answer, 512 KiB per value', () => {
    assert.deepEqual([byteSize(DEFAULT_MAX_ANSWER_BYTES), byteSize(DEFAULT_MAX_VALUE_BYTES)], ['16 MiB', '512 KiB']);
  });

  it('a value within the caps is read as it is', async () => {
    assert.equal((await kv.get('small'))?.value, 'v');
  });

  it('a value over the per-value cap is refused naming its key', async () => {
    await assert.rejects(kv.get('big-value'), (e: unknown) => {
      assert.ok(isSwarmopError(e, 'Unavailable'));
      assert.equal(e.message, `Consul at ${address}: the value of big-value is 5000 bytes, over the cap of 4 KiB per value: refused`);
      return true;
    });
  });

  it('a list holding one value over the per-value cap is refused naming that key', async () => {
    await assert.rejects(
      kv.list('fat/'),
      (e: unknown) =>
        isSwarmopError(e, 'Unavailable') &&
        e.message === `Consul at ${address}: the value of fat/too-big is 5000 bytes, over the cap of 4 KiB per value: refused`,
    );
  });

  it('a list answer over the answer cap is refused naming the prefix, streamed without a length', async () => {
    const before = requests.length;
    await assert.rejects(kv.list('huge/'), (e: unknown) => {
      assert.ok(isSwarmopError(e, 'Unavailable'));
      assert.equal(
        e.message,
        `Consul at ${address} answered the list of huge/ with more than 64 KiB: refused (the store's answers are capped; is this the store's Consul?)`,
      );
      return true;
    });
    assert.equal(requests.length, before + 1);
  });

  it('and refused by its declared Content-Length too; the client keeps working after', async () => {
    await assert.rejects(
      kv.list('declared/', { index: 1, wait: '1s' }),
      (e: unknown) =>
        isSwarmopError(e, 'Unavailable') &&
        e.message ===
          `Consul at ${address} answered the list of declared/ with more than 64 KiB: refused (the store's answers are capped; is this the store's Consul?)`,
    );
    assert.equal((await kv.get('small'))?.value, 'v');
  });
});
