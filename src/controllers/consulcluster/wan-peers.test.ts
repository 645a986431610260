import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulCluster, ConsulClusterSpec } from '../../crds/consul-cluster.js';
import { wanPeers } from './wan-peers.js';

const HOSTS: Record<string, string> = { a1: '10.0.1.1', a2: '10.0.1.2', b1: '10.0.2.1', c1: '10.0.3.1' };
const address = (h: string) => HOSTS[h];

function cluster(name: string, datacenter: string, hosts: string[], wanJoin?: string[], deleting = false): ConsulCluster {
  const spec: ConsulClusterSpec = {
    datacenter,
    image: 'hashicorp/consul:1.8.7',
    ui: false,
    servers: hosts.map((h) => ({ host: h, node: h })),
    bootstrapExpect: hosts.length,
    dataDir: `/var/lib/swarmop/consul/${name}`,
    ...(wanJoin ? { wanJoin } : {}),
  };
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec,
  };
}

test('a named cluster is a peer this cluster keeps joined, its servers the -retry-join-wan addresses', () => {
  const one = cluster('one', 'dc1', ['a1', 'a2']);
  const two = cluster('two', 'dc2', ['b1'], ['one']);
  assert.deepEqual(wanPeers('two', two.spec, [one, two], address), {
    peers: [
      {
        cluster: 'one',
        datacenter: 'dc1',
        servers: [
          { cluster: 'one', datacenter: 'dc1', node: 'a1', name: 'a1.dc1', address: '10.0.1.1' },
          { cluster: 'one', datacenter: 'dc1', node: 'a2', name: 'a2.dc1', address: '10.0.1.2' },
        ],
        repairs: true,
      },
    ],
    problems: [],
    retryJoinWan: ['10.0.1.1', '10.0.1.2'],
  });
});

test('the named side sees the cluster that names it as a peer it does not repair, and gets no -retry-join-wan', () => {
  const one = cluster('one', 'dc1', ['a1', 'a2']);
  const two = cluster('two', 'dc2', ['b1'], ['one']);
  const r = wanPeers('one', one.spec, [one, two], address);
  assert.deepEqual(
    r.peers.map((p) => [p.cluster, p.repairs, p.servers.map((s) => s.name)]),
    [['two', false, ['b1.dc2']]],
  );
  assert.deepEqual(r.retryJoinWan, []);
  assert.deepEqual(r.problems, []);
});

test('two clusters naming each other: only the one whose name sorts first repairs', () => {
  const one = cluster('one', 'dc1', ['a1'], ['two']);
  const two = cluster('two', 'dc2', ['b1'], ['one']);
  assert.deepEqual(
    wanPeers('one', one.spec, [one, two], address).peers.map((p) => p.repairs),
    [true],
  );
  assert.deepEqual(
    wanPeers('two', two.spec, [one, two], address).peers.map((p) => p.repairs),
    [false],
  );
  // Both still start their servers with -retry-join-wan to the other.
  assert.deepEqual(wanPeers('two', two.spec, [one, two], address).retryJoinWan, ['10.0.1.1']);
});

test('an unknown or deleted name, a peer in the same datacenter and a peer without host addresses are problems, never peers', () => {
  const three = cluster('three', 'dc1', ['c1']);
  const gone = cluster('gone', 'dc4', ['c1'], undefined, true);
  const homeless = cluster('homeless', 'dc5', ['nowhere']);
  const one = cluster('one', 'dc1', ['a1'], ['missing', 'three', 'gone', 'homeless']);
  const r = wanPeers('one', one.spec, [one, three, gone, homeless], address);
  assert.deepEqual(r.peers, []);
  assert.deepEqual(r.retryJoinWan, []);
  assert.deepEqual(r.problems, [
    { cluster: 'missing', reason: 'ClusterNotFound', message: 'wanJoin names ConsulCluster missing, which does not exist' },
    {
      cluster: 'three',
      reason: 'DatacenterConflict',
      message: 'ConsulCluster three runs datacenter dc1 too; WAN federation joins different datacenters, so it is not joined',
    },
    { cluster: 'gone', reason: 'ClusterNotFound', message: 'wanJoin names ConsulCluster gone, which does not exist' },
    {
      cluster: 'homeless',
      reason: 'PeerHostNotFound',
      message: "a DockerHost of ConsulCluster homeless's servers is not found; its servers have no address to join",
    },
  ]);
});

test('a cluster that federates with nobody has no peers and no problems', () => {
  const one = cluster('one', 'dc1', ['a1']);
  assert.deepEqual(wanPeers('one', one.spec, [one, cluster('other', 'dc2', ['b1'])], address), {
    peers: [],
    problems: [],
    retryJoinWan: [],
  });
});
