import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulCluster, DockerHost, KindName } from '../../crds/index.js';
import type { KindReconcileContext, KindTypes, ObjectCache } from '../kind-reconciler.js';
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

function cluster(over: Partial<ConsulCluster['spec']>): ConsulCluster {
  return {
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
      ...over,
    },
  };
}

const TLS = {
  enabled: true,
  caCertRef: { kvKey: 'swarmop/secrets/tls/ca.pem' },
  agentCertsKvPrefix: 'swarmop/secrets/tls/agents',
  operatorCertRef: { kvKey: 'swarmop/secrets/tls/op.pem' },
  operatorKeyRef: { kvKey: 'swarmop/secrets/tls/op-key.pem' },
};

test('a Consul version outside the supported range is a condition, and no host is called', async () => {
  const calls: string[] = [];
  const c = cluster({ image: 'hashicorp/consul:1.7.14' });
  const out = await new ConsulClusterReconciler().reconcile(c, ctx([host, c], calls));
  assert.deepEqual(out.conditions[0], {
    type: 'Ready',
    status: 'False',
    reason: 'UnsupportedConsulVersion',
    message:
      'image hashicorp/consul:1.7.14 runs Consul 1.7.14; supported: 1.8.0 to 1.x (1.8.0–1.11.x: the 1.8 names; 1.12.0 and later: the current names)',
  });
  assert.deepEqual(calls, []);
});

test('TLS: a missing certificate is SecretNotFound, a bad one TlsCertificateInvalid; neither touches a host', async () => {
  const calls: string[] = [];
  const c = cluster({ tls: TLS });
  const kv = new Map([
    ['swarmop/secrets/tls/ca.pem', 'junk'],
    ['swarmop/secrets/tls/op.pem', 'junk'],
    ['swarmop/secrets/tls/op-key.pem', 'junk'],
    ['swarmop/secrets/tls/agents/n1/cert.pem', 'junk'],
  ]);
  const r = new ConsulClusterReconciler({ readSecret: async (k) => kv.get(k) });
  const missing = await r.reconcile(c, ctx([host, c], calls));
  assert.equal(missing.conditions[0]!.reason, 'SecretNotFound');
  assert.equal(missing.conditions[0]!.message, 'secret swarmop/secrets/tls/agents/n1/key.pem (tls key of n1) not found in the store');
  kv.set('swarmop/secrets/tls/agents/n1/key.pem', 'junk');
  const bad = await r.reconcile(c, ctx([host, c], calls));
  assert.equal(bad.conditions[0]!.reason, 'TlsCertificateInvalid');
  assert.match(bad.conditions[0]!.message, /^the CA certificate: not a PEM certificate/);
  assert.deepEqual(calls, []);
});
