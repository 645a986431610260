import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredSwarm, EngineObservation, SwarmNode, SwarmWorld } from './model.js';
import { swarmStatus } from './status.js';

const d: DesiredSwarm = {
  nodes: [
    { host: 'consulsvr', role: 'manager', availability: 'active', address: '10.0.0.111', advertise: '10.0.0.111' },
    { host: 'consul01', role: 'worker', availability: 'active', address: '10.0.0.112', advertise: '10.0.0.112' },
  ],
  prune: false,
  allowForceNewCluster: false,
};
const active = (host: string, id: string, manager = false): EngineObservation => ({
  host,
  reachable: true,
  swarm: { localNodeState: 'active', nodeID: id, controlAvailable: manager },
});
const n = (id: string, hostname: string, octet: number, over: Partial<SwarmNode> = {}): SwarmNode => ({
  id,
  version: 1,
  hostname,
  role: 'worker',
  availability: 'active',
  state: 'ready',
  address: `10.0.0.${octet}`,
  labels: {},
  spec: {},
  engineVersion: '20.10.24',
  ...over,
});
const world = (nodes: SwarmNode[]): SwarmWorld => ({
  engines: new Map([
    ['consulsvr', active('consulsvr', 'm1', true)],
    ['consul01', active('consul01', 'w1')],
  ]),
  cluster: { kind: 'ok', clusterID: 'C1', managerHost: 'consulsvr', nodes },
});
const cond = (r: ReturnType<typeof swarmStatus>, type: string) => r.conditions.find((c) => c.type === type)!;

test('all listed nodes ready in their roles: Ready True, Degraded False, nodes listed sorted with facts', () => {
  const r = swarmStatus(
    d,
    world([n('w1', 'consul01', 112), n('m1', 'consulsvr', 111, { role: 'manager', reachability: 'reachable', leader: true })]),
    [],
  );
  assert.equal(r.ready, true);
  assert.deepEqual(cond(r, 'Ready'), {
    type: 'Ready',
    status: 'True',
    reason: 'AllNodesReady',
    message: '2 nodes ready (1 manager, 1 worker)',
  });
  assert.equal(cond(r, 'Degraded').status, 'False');
  assert.equal(r.observed.swarmID, 'C1');
  assert.deepEqual(r.observed.nodes, [
    {
      hostname: 'consul01',
      nodeID: 'w1',
      role: 'worker',
      state: 'ready',
      availability: 'active',
      engineVersion: '20.10.24',
      address: '10.0.0.112',
    },
    {
      hostname: 'consulsvr',
      nodeID: 'm1',
      role: 'manager',
      state: 'ready',
      availability: 'active',
      engineVersion: '20.10.24',
      reachability: 'reachable',
      leader: true,
      address: '10.0.0.111',
    },
  ]);
});

test('a listed node that is down makes Ready False and Degraded True naming the host', () => {
  const r = swarmStatus(
    d,
    world([n('m1', 'consulsvr', 111, { role: 'manager', reachability: 'reachable' }), n('w1', 'consul01', 112, { state: 'down' })]),
    [],
  );
  assert.equal(cond(r, 'Ready').status, 'False');
  assert.equal(cond(r, 'Ready').reason, 'NodeNotReady');
  assert.equal(cond(r, 'Degraded').status, 'True');
  assert.match(cond(r, 'Degraded').message, /consul01 shows down/);
});

test('a wrong role keeps the cluster not Ready', () => {
  const r = swarmStatus(
    d,
    world([n('m1', 'consulsvr', 111, { role: 'manager', reachability: 'reachable' }), n('w1', 'consul01', 112, { role: 'manager' })]),
    [],
  );
  assert.equal(cond(r, 'Ready').reason, 'WrongRole');
});

test('quorum lost: Ready False with reason QuorumLost and the planner message', () => {
  const r = swarmStatus(
    d,
    { engines: new Map(), cluster: { kind: 'quorum-lost', clusterID: 'C1', managerHost: 'consulsvr', error: 'no leader' } },
    [{ reason: 'QuorumLost', message: 'run docker swarm init --force-new-cluster', severity: 'blocking' }],
  );
  assert.deepEqual(cond(r, 'Ready'), {
    type: 'Ready',
    status: 'False',
    reason: 'QuorumLost',
    message: 'run docker swarm init --force-new-cluster',
  });
  assert.equal(r.observed.swarmID, 'C1');
  assert.equal(r.observed.nodes, undefined);
});

test('no swarm yet: Ready False with SwarmNotInitialized', () => {
  const r = swarmStatus(d, { engines: new Map(), cluster: { kind: 'none' } }, []);
  assert.equal(cond(r, 'Ready').reason, 'SwarmNotInitialized');
});

test('a degraded-only problem (a failed prune) leaves Ready True but Degraded True', () => {
  const r = swarmStatus(d, world([n('m1', 'consulsvr', 111, { role: 'manager', reachability: 'reachable' }), n('w1', 'consul01', 112)]), [
    { reason: 'PruneBlocked', message: 'unlisted manager kept', severity: 'degraded' },
  ]);
  assert.equal(cond(r, 'Ready').status, 'True');
  assert.deepEqual(cond(r, 'Degraded'), { type: 'Degraded', status: 'True', reason: 'PruneBlocked', message: 'unlisted manager kept' });
});
