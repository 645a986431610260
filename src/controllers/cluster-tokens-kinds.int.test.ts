/**
 * The other kinds on a managed ACL cluster's own tokens, against a REAL Consul 1.8.7 agent (default
 * deny): after the token pass, consul-credentials gives a StaticIPAttachment's service registration
 * the operator token and a SwarmCluster's discovery list the discovery token, and each does its job
 * with it through the real client code (HttpServiceAgent, syncDiscovery over ConsulKv). The
 * operator token cannot write the discovery list: that is why discovery has a token of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import type { ConsulClusterSpec } from '../crds/index.js';
import { ConsulKv } from '../store/consul-kv.js';
import { clusterCredentials } from './consul-credentials.js';
import { ClusterTokenKeeper } from './consulcluster/token-keeper.js';
import { KvTokenRecords } from './consulcluster/token-records.js';
import { HttpServiceAgent } from './staticipattachment/service/agent.js';
import { desiredRegistration } from './staticipattachment/service/registration.js';
import { clearDiscovery, syncDiscovery } from './swarmcluster/discovery.js';
import { discoveryPrefix } from './swarm-discovery-layout.js';

describe("other kinds use a managed ACL cluster's own least-privilege tokens (real Consul 1.8.7)", () => {
  let agent: ConsulAgentHandle;
  let port: number;
  const store = new KvTokenRecords(new MemoryKv(), 'swarmop/');
  const spec = { datacenter: 'dc1', aclTokenRef: { kvKey: 'swarmop-secrets/mgmt' }, acl: { enabled: true } } as ConsulClusterSpec;
  const credentials = (job: 'operator' | 'discovery') =>
    clusterCredentials('it', spec, async () => agent.masterToken, { job, clusterToken: (c, k) => store.secret(c, k) });
  const kvs: ConsulKv[] = [];
  const kvWith = (token: string) => {
    const kv = new ConsulKv({ address: agent.address, token });
    kvs.push(kv);
    return kv;
  };
  const ENTRY = `${discoveryPrefix('swarm')}10.0.0.1:2375`;

  before(async () => {
    agent = await startConsulAgent({ acl: true });
    port = Number(agent.address.split(':')[1]);
    const node = (
      (await (await fetch(`${agent.httpAddr}/v1/agent/self`, { headers: { 'X-Consul-Token': agent.masterToken! } })).json()) as {
        Config: { NodeName: string };
      }
    ).Config.NodeName;
    await new ClusterTokenKeeper({ records: store }).pass({
      cluster: 'it',
      datacenter: 'dc1',
      nodes: [node],
      discoveryFolders: [discoveryPrefix('swarm')],
      via: '127.0.0.1',
      agents: [],
      management: { token: agent.masterToken!, port },
    });
  });

  after(async () => {
    await agent?.stop();
  });

  it('service registration carries the operator token: register, read back, deregister', async () => {
    const { token } = await credentials('operator');
    assert.ok(token && token !== agent.masterToken, 'the operator token, not the management token');
    const services = new HttpServiceAgent({ port });
    await services.register('127.0.0.1', desiredRegistration('web-1', { consulCluster: 'it', name: 'web', port: 80 }, '127.0.0.1'), {
      token,
    });
    assert.equal((await services.read('127.0.0.1', 'web-1', { token }))?.name, 'web');
    await services.deregister('127.0.0.1', 'web-1', { token });
    assert.equal(await services.read('127.0.0.1', 'web-1', { token }), undefined);
  });

  it('the discovery list is written and removed with the discovery token, each key held by a session', async () => {
    const { token } = await credentials('discovery');
    assert.ok(token && token !== agent.masterToken);
    const kv = kvWith(token);
    const change = await syncDiscovery({ kv, path: 'swarm', desired: new Map([[ENTRY, '10.0.0.1:2375']]), ttl: '10s', owner: 'test' });
    assert.deepEqual(change.added, [ENTRY]);
    const held = await kvWith(agent.masterToken!).get(ENTRY);
    assert.equal(held?.value, '10.0.0.1:2375');
    assert.ok(held?.session, 'held by a session');
    assert.equal(await clearDiscovery(kv, 'swarm'), 1);
  });

  it('the operator token cannot write the discovery list (no key rights at all)', async () => {
    const { token } = await credentials('operator');
    await assert.rejects(
      syncDiscovery({ kv: kvWith(token!), path: 'swarm', desired: new Map([[ENTRY, '10.0.0.1:2375']]), ttl: '10s', owner: 'test' }),
      /403|denied|Forbidden/i,
    );
  });
});
