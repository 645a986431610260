import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulClusterSpec, DockerHost } from '../../crds/index.js';
import { defaultTrustPolicy } from '../trust-policy.js';
import { consulClusterViolations } from './policy.js';

const hosts: Record<string, DockerHost> = {
  h1: {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name: 'h1' },
    spec: { endpoint: 'tcp://10.0.0.11:2375', address: '10.0.0.11' },
  },
  h2: {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name: 'h2' },
    spec: { endpoint: 'unix:///var/run/docker.sock', address: '10.0.0.12' },
  },
};
const spec = (extra: Partial<ConsulClusterSpec> = {}): ConsulClusterSpec => ({
  datacenter: 'dc',
  image: 'hashicorp/consul:1.8.7',
  ui: false,
  bootstrapExpect: 1,
  dataDir: '/var/lib/swarmop/consul/dc',
  servers: [{ host: 'h2', node: 'n2' }],
  ...extra,
});
const policy = { ...defaultTrustPolicy('swarmop/'), allowedImages: ['hashicorp/consul'] };
const fields = (s: ConsulClusterSpec, p = policy) => consulClusterViolations(s, p, (h) => hosts[h]).map((v) => v.field);

test('a cluster within the policy has no violation', () => {
  assert.deepEqual(fields(spec({ gossipKeyRef: { kvKey: 'swarmop/secrets/dc/gossip' } })), []);
});

test('each field that reaches further than it means is named', () => {
  assert.deepEqual(fields(spec({ dataDir: '/etc' })), ['spec.dataDir']);
  assert.deepEqual(fields(spec({ image: 'evil/consul:1' })), ['spec.image']);
  assert.deepEqual(fields(spec({ gossipKeyRef: { kvKey: 'swarmop/objects/x' }, aclTokenRef: { kvKey: 'other/token' } })), [
    'spec.gossipKeyRef.kvKey',
    'spec.aclTokenRef.kvKey',
  ]);
  assert.deepEqual(fields(spec({ servers: [{ host: 'h2', node: 'n2', bindAddress: '203.0.113.9' }] })), ['spec.servers[0].bindAddress']);
});

test('secrets are refused for a member on a plain-tcp engine unless insecure engines are allowed; without secrets it may run there', () => {
  const onTcp = spec({ servers: [{ host: 'h1', node: 'n1' }], aclTokenRef: { kvKey: 'swarmop/secrets/t' } });
  assert.deepEqual(fields(onTcp), ['spec.servers[0].host']);
  assert.deepEqual(fields(onTcp, { ...policy, allowInsecureEngines: true }), []);
  assert.deepEqual(fields(spec({ servers: [{ host: 'h1', node: 'n1' }] })), []);
});

test('without a policy only the bind address is checked (it is never a setting)', () => {
  assert.deepEqual(
    consulClusterViolations(
      spec({ dataDir: '/etc', servers: [{ host: 'h2', node: 'n2', bindAddress: '1.2.3.4' }] }),
      undefined,
      (h) => hosts[h],
    ).map((v) => v.field),
    ['spec.servers[0].bindAddress'],
  );
});
