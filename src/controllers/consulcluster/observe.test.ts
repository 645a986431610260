import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { analyze } from './analysis.js';
import { desiredAgents } from './desired.js';
import { observeCluster } from './observe.js';

/**
 * Two agents on loopback addresses: the leader (127.0.0.1) and a server cut off from it
 * (127.0.0.2) whose autopilot health is forwarded to a leader it cannot reach, so it never answers.
 */
const LEADER = '127.0.0.1';
const CUT = '127.0.0.2';
const asked: string[] = [];
const servers: Server[] = [];
let port = 0;

function agent(address: string, leader: string): Server {
  return createServer((req, res) => {
    const path = req.url ?? '';
    asked.push(`${address} ${path}`);
    const json = (v: unknown) => res.setHeader('content-type', 'application/json').end(JSON.stringify(v));
    const node = address === LEADER ? 'n1' : 'n2';
    if (path === '/v1/status/leader') return json(leader);
    if (path === '/v1/agent/members')
      return json([
        { Name: 'n1', Addr: LEADER, Status: 1, Tags: { role: 'consul' } },
        { Name: 'n2', Addr: CUT, Status: address === LEADER ? 4 : 1, Tags: { role: 'consul' } },
      ]);
    if (path.startsWith('/v1/operator/raft/configuration'))
      return json({
        Servers: [
          { ID: 'i1', Node: 'n1', Address: `${LEADER}:8300`, Leader: true, Voter: true },
          { ID: 'i2', Node: 'n2', Address: `${CUT}:8300`, Leader: false, Voter: true },
        ],
      });
    if (path === '/v1/operator/autopilot/health') {
      if (address === CUT) return; // forwarded to the leader it cannot reach: hangs
      return json({
        Servers: [
          { Name: 'n1', Healthy: true, Voter: true },
          { Name: 'n2', Healthy: false, Voter: true },
        ],
      });
    }
    if (path === '/v1/agent/self') return json({ Config: { NodeName: node, NodeID: `id-${node}` } });
    if (path.startsWith('/v1/catalog/node/')) return json({ Node: { ID: `id-${node}` } });
    res.statusCode = 404;
    res.end();
  });
}

before(async () => {
  const first = agent(LEADER, `${LEADER}:8300`);
  await new Promise<void>((r) => first.listen(0, LEADER, r));
  port = (first.address() as AddressInfo).port;
  const second = agent(CUT, '');
  await new Promise<void>((r) => second.listen(port, CUT, r));
  servers.push(first, second);
});
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

test('autopilot health is read from the reference agent only: a cut-off server that cannot answer it does not hold the observation', async () => {
  const spec = {
    datacenter: 'dc1',
    image: 'consul:any',
    servers: [
      { host: 'h1', node: 'n1' },
      { host: 'h2', node: 'n2' },
    ],
    bootstrapExpect: 2,
  };
  const { agents } = desiredAgents('c', spec as never, (h) => (h === 'h1' ? LEADER : CUT));
  const obs = await observeCluster('c', agents, [], { dockerTimeoutMs: 1000, http: { port, timeoutMs: 1500 } });
  assert.deepEqual(
    asked.filter((a) => a.endsWith('/v1/operator/autopilot/health')),
    [`${LEADER} /v1/operator/autopilot/health`],
  );
  const a = analyze(agents, obs);
  assert.equal(a.reference?.address, LEADER);
  assert.deepEqual(a.reference?.autopilot, [
    { name: 'n1', healthy: true, voter: true },
    { name: 'n2', healthy: false, voter: true },
  ]);
  assert.equal(obs.views.find((v) => v.address === CUT)?.reachable, true, 'the cut server still answers its own endpoints');
  assert.equal(obs.views.find((v) => v.address === CUT)?.autopilot, undefined);
});

test('without a leader autopilot is not asked at all (the request would wait for one)', async () => {
  asked.length = 0;
  const spec = { datacenter: 'dc1', image: 'consul:any', servers: [{ host: 'h2', node: 'n2' }], bootstrapExpect: 1 };
  const { agents } = desiredAgents('c', spec as never, () => CUT);
  const obs = await observeCluster('c', agents, [], { dockerTimeoutMs: 1000, http: { port, timeoutMs: 1500 } });
  assert.equal(obs.views[0]?.reachable, true);
  assert.equal(obs.views[0]?.leader, '');
  assert.deepEqual(
    asked.filter((a) => a.endsWith('/v1/operator/autopilot/health')),
    [],
  );
});
