import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulClusterSpec } from '../crds/index.js';
import { clusterCredentials, type ClusterTokenReader } from './consul-credentials.js';

const spec = (acl: boolean): ConsulClusterSpec =>
  ({
    datacenter: 'dc',
    image: 'hashicorp/consul:1.8.7',
    servers: [{ host: 'h1', node: 'n1' }],
    aclTokenRef: { kvKey: 'swarmop-secrets/mgmt' },
    ...(acl ? { acl: { enabled: true } } : {}),
  }) as ConsulClusterSpec;
const readSecret = async (k: string) => (k === 'swarmop-secrets/mgmt' ? 'MGMT' : undefined);
const made: ClusterTokenReader = async (cluster, key) => (cluster === 'dc' ? `${key.toUpperCase()}-TOKEN` : undefined);

test('ACL cluster: service registrations carry the operator token, discovery its own token, never the management token', async () => {
  assert.equal((await clusterCredentials('dc', spec(true), readSecret, { job: 'operator', clusterToken: made })).token, 'OPERATOR-TOKEN');
  assert.equal((await clusterCredentials('dc', spec(true), readSecret, { job: 'discovery', clusterToken: made })).token, 'DISCOVERY-TOKEN');
});

test('before the tokens exist, and without ACLs, the cluster aclTokenRef is sent as before', async () => {
  const none: ClusterTokenReader = async () => undefined;
  assert.equal((await clusterCredentials('dc', spec(true), readSecret, { job: 'operator', clusterToken: none })).token, 'MGMT');
  assert.equal((await clusterCredentials('dc', spec(false), readSecret, { job: 'operator', clusterToken: made })).token, 'MGMT');
  assert.equal((await clusterCredentials('dc', spec(true), readSecret)).token, 'MGMT');
});
