import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulCluster, DockerHost, KindName } from '../../crds/index.js';
import type { KindReconcileContext, KindTypes, ObjectCache } from '../kind-reconciler.js';
import { defaultTrustPolicy } from '../trust-policy.js';
import { recordingDocker } from '../../../testing/fakes/recording-docker.js';
import { ConsulClusterReconciler } from './reconciler.js';

const host: DockerHost = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name: 'h1' },
  spec: { endpoint: 'tcp://10.0.0.11:2375', address: '10.0.0.11' },
};

function ctx(objects: (DockerHost | ConsulCluster)[], calls: string[]): KindReconcileContext {
  const cache: ObjectCache = {
    get: <K extends KindName>(k: K, n: string) =>
      objects.find((o) => o.kind === k && o.metadata.name === n) as unknown as KindTypes[K] | undefined,
    list: <K extends KindName>(k: K) => objects.filter((o) => o.kind === k) as unknown as KindTypes[K][],
    byIndex: () => [],
  };
  const handle = { name: 'h1', address: '10.0.0.11', docker: recordingDocker(calls), ready: true };
  return {
    log: undefined as never,
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts: { get: (n) => (n === 'h1' ? handle : undefined), list: () => [handle] },
    cache,
    async repaired() {},
    async event() {},
    now: () => new Date(),
  };
}

test('a ConsulCluster outside the policy is refused before any secret is read or any host called, the condition naming each field', async () => {
  const calls: string[] = [];
  const read: string[] = [];
  const r = new ConsulClusterReconciler({ policy: defaultTrustPolicy('swarmop/'), readSecret: async (k) => (read.push(k), 'v') });
  const cluster: ConsulCluster = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name: 'dc', uid: 'u', generation: 1 },
    spec: {
      datacenter: 'dc',
      image: 'hashicorp/consul:1.8.7',
      ui: false,
      bootstrapExpect: 1,
      dataDir: '/etc',
      servers: [{ host: 'h1', node: 'n1' }],
      aclTokenRef: { kvKey: 'swarmop/objects/dockerhosts/h1' },
    },
  };
  const out = await r.reconcile(cluster, ctx([host, cluster], calls));
  const ready = out.conditions.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'NotAllowed');
  for (const field of ['spec.dataDir', 'spec.aclTokenRef.kvKey', 'spec.servers[0].host'])
    assert.ok(ready.message.includes(`${field}: `), `${field} in ${ready.message}`);
  assert.deepEqual(read, []);
  assert.deepEqual(calls, []);
});
