import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulCluster, DockerHost, KindName, SwarmCluster } from '../../crds/index.js';
import type { KindReconcileContext, KindTypes, ObjectCache } from '../kind-reconciler.js';
import { recordingDocker } from '../../../testing/fakes/recording-docker.js';
import { MemoryKv } from '../../../testing/fakes/memory-kv.js';
import { ConsulClusterReconciler } from './reconciler.js';
import { KvTokenRecords } from './token-records.js';
import type { AclApi } from './cluster-tokens.js';

const host: DockerHost = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name: 'h1' },
  spec: { endpoint: 'tcp://10.0.0.11:2375', address: '10.0.0.11' },
};
const cc: ConsulCluster = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'ConsulCluster',
  metadata: { name: 'dc', uid: 'u', generation: 1 },
  spec: {
    datacenter: 'dc',
    image: 'hashicorp/consul:1.8.7',
    ui: false,
    bootstrapExpect: 1,
    dataDir: '/var/lib/swarmop/consul/dc',
    servers: [{ host: 'h1', node: 'n1' }],
    aclTokenRef: { kvKey: 'swarmop/secrets/mgmt' },
    acl: { enabled: true },
  },
};
const swarm = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'SwarmCluster',
  metadata: { name: 'sw' },
  spec: { managers: ['h1'], discovery: { consulCluster: 'dc', path: 'swarm' } },
} as unknown as SwarmCluster;

function cache(objects: (DockerHost | ConsulCluster | SwarmCluster)[]): ObjectCache {
  return {
    get: <K extends KindName>(k: K, n: string) =>
      objects.find((o) => o.kind === k && o.metadata.name === n) as unknown as KindTypes[K] | undefined,
    list: <K extends KindName>(k: K) => objects.filter((o) => o.kind === k) as unknown as KindTypes[K][],
    byIndex: () => [],
  };
}

function ctx(objects: (DockerHost | ConsulCluster | SwarmCluster)[]): KindReconcileContext {
  const handle = { name: 'h1', address: '10.0.0.11', docker: recordingDocker([]), ready: false };
  const log = { info() {}, debug() {}, warn() {}, error() {} };
  return {
    log: log as never,
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts: { get: (n) => (n === 'h1' ? handle : undefined), list: () => [handle] },
    cache: cache(objects),
    async repaired() {},
    async event() {},
    now: () => new Date(),
  };
}

test("a SwarmCluster's change queues the ConsulCluster its discovery names (its folder is in the discovery policy)", () => {
  const r = new ConsulClusterReconciler();
  assert.deepEqual(r.mapObjectChange('SwarmCluster', 'sw', cache([swarm])), ['dc']);
  assert.deepEqual(r.mapObjectChange('SwarmCluster', 'gone', cache([swarm])), []);
});

test('without a leader no ACL call is made; status lists the recorded tokens by accessor ID only', async () => {
  const kv = new MemoryKv();
  const records = new KvTokenRecords(kv, 'swarmop/');
  await records.create('dc', 'operator', { accessorID: 'acc-op', secretID: 'SECRET-OP' });
  const aclCalls: string[] = [];
  const acl = new Proxy({} as AclApi, {
    get: (_t, prop) => async () => {
      aclCalls.push(String(prop));
      throw new Error('no ACL call expected');
    },
  });
  const r = new ConsulClusterReconciler({
    readSecret: async (k) => (k === 'swarmop/secrets/mgmt' ? 'MGMT' : undefined),
    tokenRecords: records,
    acl: { aclApi: () => acl },
    httpTimeoutMs: 200,
    dockerTimeoutMs: 200,
  });
  const out = await r.reconcile(cc, ctx([host, cc, swarm]));
  assert.deepEqual(aclCalls, []);
  assert.deepEqual(out.observed.tokens, [{ purpose: 'operator', accessorID: 'acc-op' }]);
  assert.equal(JSON.stringify(out).includes('SECRET-OP'), false);
  assert.equal(JSON.stringify(out).includes('MGMT'), false);
});
