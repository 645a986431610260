import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDefaults, parseManifestText, validateDocuments, validateResource, type Resource } from './index.js';

const sia = (spec: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'StaticIPAttachment',
  metadata: { name: 'ubuntu114' },
  spec: { host: 'consul01', container: 'ubuntu114', bridge: 'br0', address: '192.168.116.114/24', gateway: '192.168.116.1', ...spec },
});

function messages(value: unknown): string[] {
  return validateResource(value).errors.map((e) => `${e.path}: ${e.message}`);
}

test('system metadata and status are accepted on apply but dropped from the returned resource', () => {
  const text = `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: consulsvr
  labels: {role: manager}
  uid: 3f0c
  generation: 4
  resourceVersion: "118"
  creationTimestamp: "2024-05-01T10:00:00Z"
  finalizers: [swarmop.io/cleanup]
spec:
  endpoint: tcp://192.168.116.111:2375
  address: 192.168.116.111
status:
  reachable: true
  somethingNewer: 1
`;
  const { resources, errors } = validateDocuments(parseManifestText(text, 'f.yaml').documents);
  assert.deepEqual(errors, []);
  assert.deepEqual(resources, [
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'consulsvr', labels: { role: 'manager' } },
      spec: { endpoint: 'tcp://192.168.116.111:2375', address: '192.168.116.111' },
    },
  ]);
});

test('validateResource keeps system metadata and status (objects read back from the store)', () => {
  const stored = { ...sia({}), metadata: { name: 'ubuntu114', uid: 'u1', generation: 2, resourceVersion: '9' }, status: { pid: 42 } };
  const { resource, errors } = validateResource(stored);
  assert.deepEqual(errors, []);
  assert.equal(resource?.metadata.generation, 2);
  assert.deepEqual(resource?.status, { pid: 42 });
  assert.equal(resource?.spec.interface, 'eth1');
});

test('validateResource of garbage gives errors and never throws', () => {
  for (const v of [
    null,
    42,
    'x',
    [],
    {},
    { kind: 'DockerHost' },
    { apiVersion: 'swarmop.io/v1alpha1', kind: 'DockerHost', metadata: null, spec: [] },
  ])
    assert.ok(validateResource(v).errors.length > 0, JSON.stringify(v));
});

test('the network address and a gateway equal to the address are refused; /31 and /32 have no network address', () => {
  assert.deepEqual(messages(sia({ address: '192.168.116.0/24' })), [
    'spec.address: 192.168.116.0/24 is the network address of 192.168.116.0/24',
  ]);
  assert.deepEqual(messages(sia({ gateway: '192.168.116.114' })), [
    "spec.gateway: gateway 192.168.116.114 is the attachment's own address",
  ]);
  assert.deepEqual(messages(sia({ address: '10.0.0.0/31', gateway: '10.0.0.1' })), []);
  assert.deepEqual(messages(sia({ address: '10.0.0.5/32', gateway: undefined })), []);
});

test('what the StaticIPAttachment controller relies on: a stored document without interface reads back with the default, one without bridge or with a gateway outside the subnet does not read back at all', () => {
  assert.equal(validateResource(sia({})).resource?.spec.interface, 'eth1');
  const { bridge: _b, ...noBridge } = sia({}).spec as Record<string, unknown>;
  assert.equal(validateResource({ ...sia({}), spec: noBridge }).resource, undefined);
  assert.deepEqual(messages(sia({ gateway: '10.0.0.1' })), [
    'spec.gateway: gateway 10.0.0.1 is outside the subnet 192.168.116.0/24 of address 192.168.116.114/24',
  ]);
});

test('uplink cannot be the bridge itself', () => {
  assert.deepEqual(messages(sia({ uplink: 'br0' })), ['spec.uplink: uplink "br0" cannot be the bridge itself']);
});

test('a host listed twice in a ConsulCluster is refused, as is a repeated swarm manager', () => {
  const cc = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name: 'dc' },
    spec: { datacenter: 'dc', image: 'hashicorp/consul:1.8.7', servers: [{ host: 'a', node: 'a' }], clients: [{ host: 'a', node: 'b' }] },
  };
  assert.deepEqual(messages(cc), ['spec.clients[0].host: host "a" already runs an agent (spec.servers[0])']);
  const sc = { apiVersion: 'swarmop.io/v1alpha1', kind: 'SwarmCluster', metadata: { name: 's' }, spec: { managers: ['a', 'a'] } };
  assert.deepEqual(messages(sc), ['spec.managers[1]: host "a" is listed twice (spec.managers[0])']);
});

test('applyDefaults is pure and fills every documented default', () => {
  const input = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name: 'datacenter' },
    spec: {
      datacenter: 'datacenter',
      image: 'hashicorp/consul:1.8.7',
      servers: [
        { host: 'a', node: 'a' },
        { host: 'b', node: 'b' },
      ],
    },
  } as Resource;
  const before = structuredClone(input);
  const out = applyDefaults(input);
  assert.deepEqual(input, before);
  assert.equal(out.spec.bootstrapExpect, 2);
  assert.equal(out.spec.ui, false);
  assert.equal(out.spec.dataDir, '/var/lib/swarmop/consul/datacenter');
  const sc = applyDefaults({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'SwarmCluster',
    metadata: { name: 's' },
    spec: { managers: ['a'] },
  } as Resource);
  assert.deepEqual(sc.spec, { managers: ['a'], workers: [], availability: 'active', prune: false });
  // Applying defaults twice changes nothing (diff compares defaulted specs).
  assert.deepEqual(applyDefaults(out), out);
});

test('explicit values win over defaults', () => {
  const { resource } = validateResource(sia({ interface: 'eth2' }));
  assert.equal(resource?.spec.interface, 'eth2');
});

test('valid documents are returned even when another document of the batch fails', () => {
  const text = `${JSON.stringify(sia({}))}\n---\n${JSON.stringify(sia({ address: 'nope' }))}`.replace('ubuntu114"}', 'ubuntu115"}');
  const { resources, errors } = validateDocuments(parseManifestText(text, 'b.yaml').documents);
  assert.equal(resources.length, 1);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.path, 'spec.address');
});
