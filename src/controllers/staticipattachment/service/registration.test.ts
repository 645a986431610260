import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulCluster, DockerHost } from '../../../crds/index.js';
import { HASH_META, OWNER_META, agentOnHost, desiredRegistration, diffRegistration, type ObservedService } from './registration.js';

const cluster = (extra: Partial<ConsulCluster['spec']> = {}): ConsulCluster => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'ConsulCluster',
  metadata: { name: 'datacenter' },
  spec: {
    datacenter: 'dc1',
    image: 'hashicorp/consul:1.8.7',
    ui: false,
    bootstrapExpect: 1,
    dataDir: '/d',
    servers: [
      { host: 'consulsvr', node: 'consulsvr' },
      { host: 'consul01', node: 'node-01', bindAddress: '10.0.0.12' },
    ],
    clients: [{ host: 'consul02', node: 'client-02' }],
    ...extra,
  },
});
const host = (address: string, endpoint = 'tcp://x:2375'): DockerHost => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name: 'h' },
  spec: { endpoint, address } as DockerHost['spec'],
});

test("the agent is the cluster's member on the attachment's host: its bind address, else the host's address", () => {
  assert.deepEqual(agentOnHost('datacenter', cluster(), 'consul01', host('192.168.116.112', 'tcp://10.0.0.12:2375')), {
    target: { consulCluster: 'datacenter', datacenter: 'dc1', node: 'node-01', address: '10.0.0.12' },
  });
  assert.deepEqual(agentOnHost('datacenter', cluster({ aclTokenRef: { kvKey: 'sec/token' } }), 'consul02', host('192.168.116.113')), {
    target: { consulCluster: 'datacenter', datacenter: 'dc1', node: 'client-02', address: '192.168.116.113', tokenKvKey: 'sec/token' },
  });
});

test("a bindAddress that is not one of its DockerHost's addresses is refused: the cluster's token never goes there", () => {
  assert.deepEqual(agentOnHost('datacenter', cluster(), 'consul01', host('192.168.116.112')), {
    blocked: {
      reason: 'NotAllowed',
      message:
        "ConsulCluster datacenter member node-01: bindAddress 10.0.0.12 is not an address of DockerHost h (192.168.116.112, x); the agent's token is sent only to a known host's address",
    },
  });
});

test('no cluster, no member on the host, or no host: blocked with a reason', () => {
  assert.deepEqual(agentOnHost('dc', undefined, 'consul01', host('1.2.3.4')), {
    blocked: { reason: 'ConsulClusterNotFound', message: 'ConsulCluster dc does not exist' },
  });
  assert.deepEqual(agentOnHost('datacenter', cluster(), 'other', host('1.2.3.4')), {
    blocked: {
      reason: 'NoAgentOnHost',
      message: 'ConsulCluster datacenter has no server or client on host other; add one so the service lives on its node',
    },
  });
  assert.deepEqual(agentOnHost('datacenter', cluster(), 'consulsvr', undefined), {
    blocked: { reason: 'HostNotFound', message: 'DockerHost consulsvr does not exist' },
  });
});

test('the registration carries the fixed address, the check on it, and the owner marks', () => {
  const r = desiredRegistration(
    'ubuntu114',
    {
      consulCluster: 'dc',
      name: 'web',
      port: 8080,
      tags: ['v1'],
      meta: { team: 'ops' },
      check: { tcp: 8080, interval: '2s', timeout: '1s' },
    },
    '192.168.116.114',
  );
  assert.equal(r.Meta[HASH_META]?.length, 16);
  assert.deepEqual(
    { ...r, Meta: { ...r.Meta, [HASH_META]: 'h' } },
    {
      ID: 'ubuntu114',
      Name: 'web',
      Address: '192.168.116.114',
      Port: 8080,
      Tags: ['v1'],
      Meta: { team: 'ops', [OWNER_META]: 'ubuntu114', [HASH_META]: 'h' },
      Check: { CheckID: 'service:ubuntu114', Name: 'tcp 192.168.116.114:8080', TCP: '192.168.116.114:8080', Interval: '2s', Timeout: '1s' },
    },
  );
  const h = desiredRegistration(
    'a',
    { consulCluster: 'dc', name: 'a', check: { http: 'http://10.0.0.5/health', interval: '10s', timeout: '10s' } },
    '10.0.0.5',
  );
  assert.deepEqual(h.Check, {
    CheckID: 'service:a',
    Name: 'http http://10.0.0.5/health',
    HTTP: 'http://10.0.0.5/health',
    Interval: '10s',
    Timeout: '10s',
  });
  assert.equal(desiredRegistration('a', { consulCluster: 'dc', name: 'a' }, '10.0.0.5').Check, undefined);
});

test('the hash changes with the address, the check and the meta, and only then', () => {
  const base = { consulCluster: 'dc', name: 'a', check: { tcp: 22, interval: '10s', timeout: '10s' } };
  const h = (s: typeof base & { meta?: Record<string, string> }, ip = '10.0.0.5') => desiredRegistration('a', s, ip).Meta[HASH_META];
  assert.equal(h(base), h({ ...base }));
  assert.notEqual(h(base), h(base, '10.0.0.6'));
  assert.notEqual(h(base), h({ ...base, check: { ...base.check, interval: '5s' } }));
  assert.notEqual(h(base), h({ ...base, meta: { k: 'v' } }));
});

const observed = (want: ReturnType<typeof desiredRegistration>, over: Partial<ObservedService> = {}): ObservedService => ({
  name: want.Name,
  address: want.Address,
  port: want.Port ?? 0,
  tags: [...want.Tags],
  meta: { ...want.Meta },
  checkIds: want.Check ? [want.Check.CheckID] : [],
  health: 'passing',
  ...over,
});

test('diff: missing service, changed fields, missing check; identical is no change whatever the health', () => {
  const want = desiredRegistration(
    'ubuntu114',
    { consulCluster: 'dc', name: 'ubuntu114', port: 22, check: { tcp: 22, interval: '10s', timeout: '10s' } },
    '192.168.116.114',
  );
  assert.deepEqual(diffRegistration(want, undefined, 'consul01'), {
    register: true,
    reason: 'ServiceMissing',
    found: 'service ubuntu114 is not registered on agent consul01',
  });
  assert.deepEqual(diffRegistration(want, observed(want, { health: 'critical' }), 'consul01'), { register: false });
  assert.deepEqual(diffRegistration(want, observed(want, { address: '192.168.116.240', port: 0 }), 'consul01'), {
    register: true,
    reason: 'ServiceChanged',
    found: 'service ubuntu114 on agent consul01 differs: address 192.168.116.240, port <none>',
  });
  assert.deepEqual(diffRegistration(want, observed(want, { checkIds: [] }), 'n'), {
    register: true,
    reason: 'ServiceChanged',
    found: 'service ubuntu114 on agent n differs: check service:ubuntu114 missing',
  });
  assert.deepEqual(diffRegistration(want, observed(want, { meta: { ...want.Meta, [HASH_META]: 'old' } }), 'n'), {
    register: true,
    reason: 'ServiceChanged',
    found: 'service ubuntu114 on agent n differs: meta',
  });
  const noCheck = desiredRegistration('a', { consulCluster: 'dc', name: 'a' }, '10.0.0.5');
  assert.deepEqual(diffRegistration(noCheck, observed(noCheck, { checkIds: ['service:a'] }), 'n'), {
    register: true,
    reason: 'ServiceChanged',
    found: 'service a on agent n differs: unexpected checks service:a',
  });
});
