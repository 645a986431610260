import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pidAlive, startConsulAgent } from './consul-agent.js';

async function kvPut(httpAddr: string, key: string, value: string, token?: string): Promise<Response> {
  return fetch(`${httpAddr}/v1/kv/${key}`, { method: 'PUT', body: value, headers: token ? { 'X-Consul-Token': token } : {} });
}

test('a dev agent serves KV on its own port and stop kills exactly its process', async () => {
  const agent = await startConsulAgent();
  try {
    assert.match(agent.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(agent.httpAddr, `http://${agent.address}`);
    assert.equal((await (await kvPut(agent.httpAddr, 'a/b', 'v')).text()).trim(), 'true');
    const got = await fetch(`${agent.httpAddr}/v1/kv/a/b?raw`);
    assert.equal(await got.text(), 'v');
  } finally {
    await agent.stop();
  }
  assert.equal(pidAlive(agent.pid), false);
  await assert.rejects(fetch(`${agent.httpAddr}/v1/status/leader`));
});

test('two agents run side by side on different ports', async () => {
  const [a, b] = await Promise.all([startConsulAgent(), startConsulAgent()]);
  try {
    assert.notEqual(a.address, b.address);
    await kvPut(a.httpAddr, 'only-in-a', '1');
    const inB = await fetch(`${b.httpAddr}/v1/kv/only-in-a`);
    assert.equal(inB.status, 404);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('restart keeps the address; a dev agent comes back empty, a persistent one keeps its data', async () => {
  const dev = await startConsulAgent();
  const persistent = await startConsulAgent({ mode: 'persistent' });
  try {
    for (const agent of [dev, persistent]) {
      await kvPut(agent.httpAddr, 'survives', 'yes');
      const before = agent.pid;
      await agent.restart();
      assert.notEqual(agent.pid, before);
      assert.equal(pidAlive(before), false);
    }
    assert.equal((await fetch(`${dev.httpAddr}/v1/kv/survives`)).status, 404);
    assert.equal(await (await fetch(`${persistent.httpAddr}/v1/kv/survives?raw`)).text(), 'yes');
  } finally {
    await Promise.all([dev.stop(), persistent.stop()]);
  }
});

test('kill makes the agent unreachable until restart', async () => {
  const agent = await startConsulAgent();
  try {
    await agent.kill();
    await assert.rejects(fetch(`${agent.httpAddr}/v1/status/leader`));
    await agent.restart();
    assert.equal((await fetch(`${agent.httpAddr}/v1/status/leader`)).status, 200);
  } finally {
    await agent.stop();
  }
});

test('acl mode refuses anonymous writes and accepts the master token', async () => {
  const agent = await startConsulAgent({ acl: true });
  try {
    assert.ok(agent.masterToken);
    assert.equal((await kvPut(agent.httpAddr, 'k', 'v')).status, 403);
    assert.equal((await kvPut(agent.httpAddr, 'k', 'v', agent.masterToken)).status, 200);
  } finally {
    await agent.stop();
  }
});
