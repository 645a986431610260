/** `swarmop ui` in-process: the URL it prints, and `--check` against a page that answers or not. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { captureIo } from '../../../testing/util/capture-io.js';
import { main } from '../main.js';

async function run(argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

describe('swarmop ui', () => {
  it("prints the page's URL for the operator's default metrics address, or the given one", async () => {
    assert.deepEqual(await run(['ui']), { code: 0, out: 'http://127.0.0.1:9464/ui/\n', err: '' });
    assert.deepEqual(await run(['ui', '--ui-addr', ':8080']), { code: 0, out: 'http://127.0.0.1:8080/ui/\n', err: '' });
  });

  it('--check: exit 0 when the page answers, 5 with the reason when nothing listens there', async () => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/ui/' ? 200 : 404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      assert.deepEqual(await run(['ui', '--metrics-addr', `127.0.0.1:${port}`, '--check']), {
        code: 0,
        out: `http://127.0.0.1:${port}/ui/\n`,
        err: '',
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const r = await run(['ui', '--metrics-addr', `127.0.0.1:${port}`, '--check']);
    assert.equal(r.code, 5);
    assert.equal(r.out, `http://127.0.0.1:${port}/ui/\n`);
    assert.match(r.err, new RegExp(`no status page answers at http://127\\.0\\.0\\.1:${port}/ui/`));
  });

  it('--check: a page that asks for its token (--ui-token) answers: exit 0, with how to open it', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="swarmop status page"' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      const r = await run(['ui', '--ui-addr', `127.0.0.1:${port}`, '--check']);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `http://127.0.0.1:${port}/ui/\n`);
      assert.equal(r.err, `the page asks for its token (--ui-token): open http://127.0.0.1:${port}/ui/?token=TOKEN once\n`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
