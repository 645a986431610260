import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulClusterSpec } from '../../crds/consul-cluster.js';
import { agentArgs, configHash, desiredAgents, stableArgs } from './desired.js';

const HOSTS: Record<string, string> = { consulsvr: '192.168.116.111', consul01: '192.168.116.112', consul02: '192.168.116.113' };
const spec = (over: Partial<ConsulClusterSpec> = {}): ConsulClusterSpec => ({
  datacenter: 'datacenter',
  image: 'hashicorp/consul:1.8.7',
  ui: true,
  servers: [
    { host: 'consulsvr', node: 'consulsvr' },
    { host: 'consul01', node: 'consul01' },
    { host: 'consul02', node: 'consul02' },
  ],
  bootstrapExpect: 3,
  dataDir: '/var/lib/swarmop/consul/datacenter',
  ...over,
});

test('a server gets the seed procedure as arguments: bootstrap-expect, retry-join to the others, bind/advertise, ui, no update check', () => {
  const { agents } = desiredAgents('datacenter', spec(), (h) => HOSTS[h]);
  assert.deepEqual(agents[0]!.args, [
    'agent', '-server', '-bootstrap-expect', '3',
    '-retry-join', '192.168.116.112', '-retry-join', '192.168.116.113',
    '-bind', '192.168.116.111', '-advertise', '192.168.116.111', '-client', '0.0.0.0',
    '-datacenter', 'datacenter', '-node', 'consulsvr', '-data-dir', '/consul/data', '-ui',
    '-hcl', 'disable_update_check = true',
  ]);
  assert.equal(agents[0]!.container, 'swarmop-consul-datacenter');
  assert.equal(agents[0]!.labels['io.swarmop.consulcluster'], 'datacenter');
  assert.equal(agents[0]!.labels['io.swarmop.member'], 'consulsvr');
  assert.equal(agents[0]!.labels['io.swarmop.config-hash'], agents[0]!.configHash);
});

test('clients get no -server and no bootstrap-expect but retry-join every server', () => {
  const { agents } = desiredAgents('dc', spec({ servers: [{ host: 'consulsvr', node: 's1' }], bootstrapExpect: 1, clients: [{ host: 'consul01', node: 'c1' }] }), (h) => HOSTS[h]);
  const client = agents.find((a) => a.role === 'client')!;
  assert.ok(!client.args.includes('-server'));
  assert.ok(!client.args.includes('-bootstrap-expect'));
  assert.deepEqual(client.args.slice(1, 3), ['-retry-join', '192.168.116.111']);
});

test('bindAddress overrides the DockerHost address; unknown hosts are reported', () => {
  const r = desiredAgents('dc', spec({ servers: [{ host: 'consulsvr', node: 'a', bindAddress: '10.0.0.5' }, { host: 'nowhere', node: 'b' }] }), (h) => HOSTS[h]);
  assert.equal(r.agents[0]!.address, '10.0.0.5');
  assert.deepEqual(r.missingHosts, ['nowhere']);
});

test('optional flags: retry-interval, gossip key and ACL token', () => {
  const args = agentArgs({ role: 'server', node: 'n', address: '1.2.3.4', datacenter: 'dc', ui: false, bootstrapExpect: 1, retryJoin: [], retryInterval: '5s', secrets: { gossipKey: 'K', aclToken: 'T"x' } });
  assert.ok(args.join(' ').includes('-retry-interval 5s'));
  assert.ok(args.join(' ').includes('-encrypt K'));
  assert.equal(args.at(-1), 'acl { tokens { agent = "T\\"x" } }');
  assert.ok(!args.includes('-ui'));
});

test('the config hash changes with the image or a flag but not with membership (retry-join, bootstrap-expect)', () => {
  const base = desiredAgents('dc', spec(), (h) => HOSTS[h]).agents[1]!.configHash;
  const image = desiredAgents('dc', spec({ image: 'hashicorp/consul:1.8.8' }), (h) => HOSTS[h]).agents[1]!.configHash;
  const noUi = desiredAgents('dc', spec({ ui: false }), (h) => HOSTS[h]).agents[1]!.configHash;
  const twoServers = desiredAgents('dc', spec({ servers: spec().servers.slice(0, 2), bootstrapExpect: 2 }), (h) => HOSTS[h]).agents[1]!.configHash;
  assert.notEqual(image, base);
  assert.notEqual(noUi, base);
  assert.equal(twoServers, base);
  assert.deepEqual(stableArgs(['agent', '-server', '-bootstrap-expect', '3', '-retry-join', 'x', '-node', 'n']), ['agent', '-server', '-node', 'n']);
  assert.notEqual(configHash('i', ['a'], '/d1'), configHash('i', ['a'], '/d2'));
});
