import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryKv } from '../../../testing/fakes/memory-kv.js';
import type { AclApi } from './cluster-tokens.js';
import { ClusterTokenKeeper } from './token-keeper.js';
import { KvTokenRecords } from './token-records.js';

function keeper(calls: string[]) {
  const tokens = new Map<string, { accessorID: string; description: string; secretID: string }>();
  const acl: AclApi = {
    readPolicyByName: async () => undefined,
    createPolicy: async (p) => (calls.push(`policy ${p.name}`), 'id'),
    updatePolicy: async () => undefined,
    listTokens: async () => (calls.push('list'), [...tokens.values()]),
    readTokenSecret: async (a) => tokens.get(a)?.secretID,
    createToken: async (t) => void tokens.set(t.accessorID, t),
  };
  return new ClusterTokenKeeper({
    records: new KvTokenRecords(new MemoryKv(), 'p/'),
    aclApi: () => acl,
    setAgentToken: async (address) => void calls.push(`set ${address}`),
    selfAccessor: async () => 'mgmt-accessor',
  });
}

const input = { cluster: 'c', datacenter: 'dc1', nodes: ['s1'], discoveryFolders: [] };
const pass = { ...input, via: '10.0.0.1', agents: [{ node: 's1', address: '10.0.0.1', answering: true }], management: {} };

test('status lists each token by accessor ID and purpose, never a secret', async () => {
  const k = keeper([]);
  const { records } = await k.pass(pass);
  const status = k.status('c', records);
  assert.deepEqual(
    status.map((t) => [t.purpose, t.node ?? '']),
    [
      ['initial-management', ''],
      ['agent', 's1'],
      ['discovery', ''],
      ['operator', ''],
    ],
  );
  assert.equal(status[0]!.accessorID, 'mgmt-accessor');
  const text = JSON.stringify(status);
  for (const r of records.values()) {
    assert.ok(text.includes(r.accessorID));
    assert.equal(text.includes(r.secretID), false);
  }
});

test('after a complete pass no other is needed until the nodes or discovery folders change, or the cluster is forgotten', async () => {
  const calls: string[] = [];
  const k = keeper(calls);
  assert.equal(k.needsPass(input, new Map()), true);
  const { records } = await k.pass(pass);
  assert.ok(calls.includes('set 10.0.0.1'));
  assert.equal(k.needsPass(input, records), false);
  assert.equal(k.needsPass({ ...input, nodes: ['s1', 's2'] }, records), true);
  assert.equal(k.needsPass({ ...input, discoveryFolders: ['swarm/docker/swarm/nodes/'] }, records), true);
  k.forget('c');
  assert.equal(k.needsPass(input, records), true);
});

test('an agent that did not answer keeps the pass wanted until it has its token', async () => {
  const k = keeper([]);
  const { records } = await k.pass({ ...pass, agents: [{ node: 's1', address: '10.0.0.1', answering: false }] });
  assert.equal(k.needsPass(input, records), true);
  const second = await k.pass(pass);
  assert.equal(k.needsPass(input, second.records), false);
});
