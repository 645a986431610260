import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateStatus } from './index.js';

const ready = { type: 'Ready', status: 'True', reason: 'Attached', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' };
const service = { serviceID: 'web', agent: 'consul01', agentAddress: '10.0.0.12:8500', consulCluster: 'dc', health: 'passing' };

test("a status that fits its kind's status schema is read as it is", () => {
  const status = { observedGeneration: 2, conditions: [ready], hostVeth: 'swv0123456789ab', service };
  assert.deepEqual(validateStatus('StaticIPAttachment', status), { status, dropped: [] });
});

test('a hand-written status field that does not validate is dropped; the fields that validate are kept', () => {
  const r = validateStatus('StaticIPAttachment', { conditions: [ready], service: { ...service, agentAddress: 'evil/x#' } });
  assert.deepEqual(r.status, { conditions: [ready] });
  assert.deepEqual(r.dropped, ['status.service']);
});

test('unknown status fields, and a status that is not an object, are no status at all', () => {
  assert.deepEqual(validateStatus('ConsulCluster', { leader: 'a', command: 'rm -rf /' }), {
    status: { leader: 'a' },
    dropped: ['status.command'],
  });
  assert.equal(validateStatus('DockerHost', ['x']).status, undefined);
  assert.equal(validateStatus('DockerHost', 'x').status, undefined);
  assert.equal(validateStatus('DockerHost', undefined).status, undefined);
});

test('what the controllers write reads back whole (a field missing from a status schema would be rewritten at every pass)', () => {
  const conditions = [{ ...ready, observedGeneration: 3 }];
  const samples: [string, Record<string, unknown>][] = [
    [
      'DockerHost',
      {
        observedGeneration: 3,
        conditions,
        reachable: true,
        endpoint: 'tcp://10.0.0.11:2375',
        engineVersion: '24.0.7',
        apiVersion: '1.43',
        os: 'linux',
        arch: 'x86_64',
        kernelVersion: '6.1',
        swarm: { state: 'active', nodeID: 'n', controlAvailable: true },
        helperImage: { image: 'swarmop/nethelper:1', state: 'Imported', id: 'sha256:x', message: 'm', provisionMs: 12 },
      },
    ],
    [
      'ConsulCluster',
      {
        conditions,
        leader: 'a',
        raftPeers: [{ node: 'a', address: '10.0.0.1:8300', voter: true, leader: true }],
        members: [{ node: 'a', host: 'h', address: '10.0.0.1', status: 'alive', role: 'server' }],
        wan: {
          members: [{ name: 'a.dc', datacenter: 'dc', address: '10.0.0.1:8302', status: 'alive' }],
          servers: [{ node: 'a', datacenters: ['dc'] }],
        },
      },
    ],
    [
      'SwarmCluster',
      {
        conditions,
        swarmID: 's',
        nodes: [
          {
            hostname: 'h',
            nodeID: 'n',
            role: 'manager',
            state: 'ready',
            availability: 'active',
            engineVersion: '24',
            reachability: 'reachable',
            leader: true,
            address: '10.0.0.1',
          },
        ],
      },
    ],
    [
      'StaticIPAttachment',
      {
        conditions,
        containerID: 'c',
        pid: 42,
        interface: 'eth1',
        address: '10.0.0.14/24',
        mac: '02:42:00:00:00:01',
        hostVeth: 'swv0123456789ab',
        lastAppliedTime: '2026-01-01T00:00:00Z',
        service,
      },
    ],
  ];
  for (const [kind, status] of samples) assert.deepEqual(validateStatus(kind, status).dropped, [], kind);
});
