import assert from 'node:assert/strict';
import { test } from 'node:test';
import { desiredDiscoveryKeys, discoveryPrefix } from './discovery.js';
import { engineInfoFromApi, nodeFromApi } from './swarm-api.js';

test("a manager whose Status.Addr reads 0.0.0.0 gets its raft address's host; the node spec is kept for updates", () => {
  const n = nodeFromApi({
    ID: 'abc',
    Version: { Index: 42 },
    UpdatedAt: '2026-01-01T00:00:00Z',
    Spec: { Role: 'manager', Availability: 'active', Labels: { a: 'b' }, Name: 'x' },
    Description: { Hostname: 'consulsvr', Engine: { EngineVersion: '20.10.24' } },
    Status: { State: 'ready', Addr: '0.0.0.0' },
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '192.168.116.111:2377' },
  });
  assert.deepEqual(n, {
    id: 'abc',
    version: 42,
    hostname: 'consulsvr',
    role: 'manager',
    availability: 'active',
    state: 'ready',
    labels: { a: 'b' },
    spec: { Role: 'manager', Availability: 'active', Labels: { a: 'b' }, Name: 'x' },
    address: '192.168.116.111',
    engineVersion: '20.10.24',
    reachability: 'reachable',
    leader: true,
    updatedAt: '2026-01-01T00:00:00Z',
  });
});

test('a worker has no reachability and an unknown state string maps to unknown', () => {
  const n = nodeFromApi({ ID: 'w', Spec: { Role: 'worker' }, Status: { State: 'weird', Addr: '10.0.0.2' } });
  assert.equal(n.reachability, undefined);
  assert.equal(n.state, 'unknown');
  assert.equal(n.address, '10.0.0.2');
});

test('engine info: only managers carry the cluster id; an unknown local state is an error', () => {
  assert.deepEqual(
    engineInfoFromApi({
      ServerVersion: '20.10',
      Name: 'h',
      Swarm: { LocalNodeState: 'active', NodeID: 'n', ControlAvailable: true, Cluster: { ID: 'C' } },
    }),
    {
      engineVersion: '20.10',
      hostname: 'h',
      swarm: { localNodeState: 'active', controlAvailable: true, nodeID: 'n', clusterID: 'C' },
    },
  );
  assert.equal(engineInfoFromApi({ Swarm: { LocalNodeState: 'bogus' } }).swarm.localNodeState, 'error');
  assert.equal(engineInfoFromApi({}).swarm.localNodeState, 'inactive');
});

test('discovery keys follow classic Swarm: <path>/docker/swarm/nodes/<ip:2375>, ready nodes only', () => {
  assert.equal(discoveryPrefix('/swarm/'), 'swarm/docker/swarm/nodes/');
  const base = { version: 1, role: 'worker' as const, availability: 'active' as const, labels: {}, spec: {} };
  const keys = desiredDiscoveryKeys('swarm', [
    { ...base, id: 'a', hostname: 'a', state: 'ready', address: '10.0.0.1' },
    { ...base, id: 'b', hostname: 'b', state: 'down', address: '10.0.0.2' },
    { ...base, id: 'c', hostname: 'c', state: 'ready', address: '0.0.0.0' },
  ]);
  assert.deepEqual([...keys], [['swarm/docker/swarm/nodes/10.0.0.1:2375', '10.0.0.1:2375']]);
});
