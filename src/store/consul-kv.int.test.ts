import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSwarmopError } from '../errors.js';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { ConsulKv, parseConsulAddress } from './consul-kv.js';
import { kvContract } from '../../testing/contracts/kv-contract.js';
import { useRealConsul } from '../../testing/harness/real-consul.js';

let agent: ConsulAgentHandle;
let kv: ConsulKv;

useRealConsul((a, k) => ((agent = a), (kv = k)));

kvContract('ConsulKv', () => ({ kv }));

test('ConsulKv: the http:// address form reaches the same agent', async () => {
  const other = new ConsulKv({ address: agent.httpAddr });
  try {
    await kv.set('addr-form', 'x');
    assert.equal((await other.get('addr-form'))?.value, 'x');
  } finally {
    other.close();
  }
});

test('ConsulKv: an unreachable agent is an Unavailable error naming the address', async () => {
  const dead = new ConsulKv({ address: '127.0.0.1:1', requestTimeoutMs: 2000 });
  try {
    await assert.rejects(dead.get('x'), (err) => {
      assert.ok(isSwarmopError(err, 'Unavailable'));
      assert.match(err.message, /^cannot reach Consul at 127\.0\.0\.1:1: ECONNREFUSED/);
      return true;
    });
  } finally {
    dead.close();
  }
});

test('ConsulKv: a refused token is a Forbidden error that never shows the token', async () => {
  const secured = await startConsulAgent({ acl: true });
  const secret = 'not-a-valid-token-0b5e';
  const anon = new ConsulKv({ address: secured.address });
  const wrong = new ConsulKv({ address: secured.address, token: secret });
  const master = new ConsulKv({ address: secured.address, token: secured.masterToken! });
  try {
    await assert.rejects(anon.set('k', 'v'), (err) => isSwarmopError(err, 'Forbidden'));
    await assert.rejects(wrong.list('k'), (err) => {
      assert.ok(isSwarmopError(err, 'Forbidden'));
      assert.doesNotMatch(`${err.message} ${err.details.join(' ')} ${String(err.cause)}`, new RegExp(secret));
      return true;
    });
    await master.set('k', 'v');
    assert.equal((await master.get('k'))?.value, 'v');
  } finally {
    anon.close();
    wrong.close();
    master.close();
    await secured.stop();
  }
});

test('parseConsulAddress reads the CONSUL_HTTP_ADDR forms', () => {
  assert.deepEqual(parseConsulAddress('10.0.0.1:8500'), { host: '10.0.0.1', port: 8500, secure: false });
  assert.deepEqual(parseConsulAddress('https://consul.local'), { host: 'consul.local', port: 443, secure: true });
  assert.throws(
    () => parseConsulAddress('ftp://x:1'),
    (err) => isSwarmopError(err, 'Invalid'),
  );
});
