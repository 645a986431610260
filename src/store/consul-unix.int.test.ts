/**
 * CONSUL_HTTP_ADDR=unix:///path against a REAL Consul agent serving its HTTP API on a unix socket
 * only: reads, writes and transactions go over the socket.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { consulBinary } from '../../testing/harness/consul-agent.js';
import { captureIo } from '../../testing/util/capture-io.js';
import { main } from '../cli/main.js';
import { consulConnection } from './consul-connection.js';
import { ConsulKv, consulKvOptions } from './consul-kv.js';

let dir: string;
let child: ChildProcess;
let socket: string;

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((r) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => r(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swarmop-unix-consul-'));
  socket = join(dir, 'http.sock');
  const [serfLan, serfWan, server] = await freePorts(3);
  const hcl = `disable_update_check = true\naddresses { http = "unix://${socket}" }\nports { dns = -1, grpc = -1, serf_lan = ${serfLan}, serf_wan = ${serfWan}, server = ${server} }`;
  child = spawn(
    await consulBinary(),
    ['agent', '-dev', '-node', `swarmop-unix-${serfLan}`, '-bind', '127.0.0.1', '-log-level', 'warn', '-hcl', hcl],
    { stdio: 'ignore' },
  );
  const end = Date.now() + 30_000;
  const kv = new ConsulKv(consulKvOptions(consulConnection({ env: { CONSUL_HTTP_ADDR: `unix://${socket}` } }), { requestTimeoutMs: 1000 }));
  try {
    for (;;) {
      if (
        existsSync(socket) &&
        (await kv.set('probe', 'ok').then(
          () => true,
          () => false,
        ))
      )
        break;
      if (Date.now() > end || child.exitCode !== null) throw new Error('consul on a unix socket did not serve KV within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    kv.close();
  }
});

after(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a unix:// address reaches Consul over its socket: set, get, list, txn', async () => {
  const kv = new ConsulKv(consulKvOptions(consulConnection({ env: { CONSUL_HTTP_ADDR: `unix://${socket}` } })));
  try {
    await kv.set('unix-test/a', 'one');
    assert.equal((await kv.get('unix-test/a'))?.value, 'one');
    await kv.txn([{ verb: 'set', key: 'unix-test/b', value: 'two' }]);
    const listed = await kv.list('unix-test/');
    assert.deepEqual(
      listed.pairs.map((p) => [p.key, p.value]),
      [
        ['unix-test/a', 'one'],
        ['unix-test/b', 'two'],
      ],
    );
    assert.ok(listed.index > 0);
  } finally {
    kv.close();
  }
});

test('the CLI takes a unix:// address from CONSUL_HTTP_ADDR and from -http-addr', async () => {
  const host =
    'apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: u1}\nspec: {endpoint: "tcp://127.0.0.1:1", address: 127.0.0.1}\n';
  const applyIo = captureIo({ env: { CONSUL_HTTP_ADDR: `unix://${socket}`, SWARMOP_PREFIX: 'unix-cli/' }, stdin: host });
  assert.deepEqual([await main(['apply', '-f', '-'], applyIo), applyIo.out, applyIo.err], [0, 'dockerhost/u1 created\n', '']);
  // The variable points nowhere: the flag wins.
  const getIo = captureIo({ env: { CONSUL_HTTP_ADDR: '127.0.0.1:1', SWARMOP_PREFIX: 'unix-cli/' } });
  assert.deepEqual(
    [await main(['-http-addr', `unix://${socket}`, 'get', 'dockerhosts', '-o', 'name'], getIo), getIo.out, getIo.err],
    [0, 'dockerhost/u1\n', ''],
  );
});
