/**
 * The WAN calls of agent-http against two REAL Consul 1.8.7 servers of two datacenters (loopback,
 * free ports, no lab): the WAN pool and datacenters as readWanView parses them, and join -wan.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { joinVia, readWanView } from './agent-http.js';

let east: ConsulAgentHandle;
let west: ConsulAgentHandle;
const port = (a: ConsulAgentHandle) => Number(a.address.split(':')[1]);
const node = (a: ConsulAgentHandle) => `swarmop-test-${port(a)}`;

before(async () => {
  [east, west] = await Promise.all([startConsulAgent({ datacenter: 'east' }), startConsulAgent({ datacenter: 'west' })]);
});
after(async () => {
  await Promise.all([east?.stop(), west?.stop()]);
});

test('a lone server sees itself in the WAN pool and knows only its own datacenter', async () => {
  const v = await readWanView('127.0.0.1', { port: port(east) });
  assert.equal(v.reachable, true);
  assert.deepEqual(v.datacenters, ['east']);
  assert.deepEqual(
    v.members.map((m) => [m.name, m.datacenter, m.status]),
    [[`${node(east)}.east`, 'east', 'alive']],
  );
  assert.match(v.members[0]!.address, /^127\.0\.0\.1:\d+$/);
});

test('join -wan through one server federates both: each sees the other alive and lists both datacenters', async () => {
  const westSelf = (await readWanView('127.0.0.1', { port: port(west) })).members[0]!;
  // The WAN gossip address of the other server (ip:port): the same form a lab server's is joined by.
  await joinVia('127.0.0.1', westSelf.address, { port: port(east) }, true);
  const names = [`${node(east)}.east`, `${node(west)}.west`].sort();
  const deadline = Date.now() + 15_000;
  let seen: string[][] = [];
  while (Date.now() < deadline) {
    const views = await Promise.all([east, west].map((a) => readWanView('127.0.0.1', { port: port(a) })));
    seen = views.map((v) => [
      ...v.members
        .filter((m) => m.status === 'alive')
        .map((m) => m.name)
        .sort(),
      '|',
      ...(v.datacenters ?? []).sort(),
    ]);
    if (seen.every((s) => s.join() === [...names, '|', 'east', 'west'].join())) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(seen, [
    [...names, '|', 'east', 'west'],
    [...names, '|', 'east', 'west'],
  ]);
});

test('a server that does not answer gives an unreachable view, never a throw', async () => {
  const v = await readWanView('127.0.0.1', { port: 1, timeoutMs: 500 });
  assert.deepEqual(v, { address: '127.0.0.1', reachable: false, members: [] });
});
