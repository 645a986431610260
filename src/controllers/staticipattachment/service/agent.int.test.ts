/**
 * The agent edge against a real Consul agent (ACL default-deny): register with a TCP check on a
 * port that listens, watch the health follow the listener, deregister (twice), and be refused
 * without the token.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { startConsulAgent, type ConsulAgentHandle } from '../../../../testing/harness/consul-agent.js';
import { HttpServiceAgent } from './agent.js';
import { desiredRegistration } from './registration.js';
import { eventually } from '../../../../testing/util/wait-until.js';

let consul: ConsulAgentHandle;
let agent: HttpServiceAgent;
let listener: Server;
let port: number;

before(async () => {
  consul = await startConsulAgent({ acl: true });
  agent = new HttpServiceAgent({ port: Number(consul.address.split(':')[1]) });
  listener = createServer((s) => s.destroy());
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as { port: number }).port;
});
after(async () => {
  listener.close();
  await consul?.stop();
});

test('register, read back, health follows the listener, deregister is idempotent', async () => {
  const token = consul.masterToken!;
  const reg = desiredRegistration(
    'web-1',
    { consulCluster: 'dc', name: 'web', port, tags: ['v1'], meta: { team: 'ops' }, check: { tcp: port, interval: '1s', timeout: '500ms' } },
    '127.0.0.1',
  );
  assert.equal(await agent.read('127.0.0.1', 'web-1', { token }), undefined);
  await agent.register('127.0.0.1', reg, { token });
  const passing = await eventually(
    'passing',
    async () => {
      const s = await agent.read('127.0.0.1', 'web-1', { token });
      return s?.health === 'passing' ? s : undefined;
    },
    { intervalMs: 200 },
  );
  assert.deepEqual(passing, {
    name: 'web',
    address: '127.0.0.1',
    port,
    tags: ['v1'],
    meta: reg.Meta,
    checkIds: ['service:web-1'],
    health: 'passing',
  });

  await new Promise<void>((r) => listener.close(() => r()));
  await eventually(
    'critical',
    async () => ((await agent.read('127.0.0.1', 'web-1', { token }))?.health === 'critical' ? true : undefined),
    { intervalMs: 200 },
  );

  await agent.deregister('127.0.0.1', 'web-1', { token });
  assert.equal(await agent.read('127.0.0.1', 'web-1', { token }), undefined);
  await agent.deregister('127.0.0.1', 'web-1', { token });
});

test('without the token a default-deny agent refuses, and the error names the call, not the token', async () => {
  const reg = desiredRegistration('db', { consulCluster: 'dc', name: 'db' }, '127.0.0.1');
  await assert.rejects(agent.register('127.0.0.1', reg), (err: Error) => {
    assert.match(err.message, /^consul agent 127\.0\.0\.1: PUT \/v1\/agent\/service\/register: HTTP 403 /);
    assert.ok(!err.message.includes(consul.masterToken!));
    return true;
  });
});
