import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { agentArgs, configHash, desiredAgents, stableArgs } from './desired.js';
import { flagValue } from './observe.js';
import { FIXTURE_HOSTS, fixtureSpec } from '../../../testing/lab/consul-fixtures.js';

test('a server gets the seed procedure as arguments: bootstrap-expect, retry-join to the others, bind/advertise, ui, no update check', () => {
  const { agents } = desiredAgents('datacenter', fixtureSpec(), (h) => FIXTURE_HOSTS[h]);
  assert.deepEqual(agents[0]!.args, [
    'agent',
    '-server',
    '-bootstrap-expect',
    '3',
    '-retry-join',
    '192.168.116.112',
    '-retry-join',
    '192.168.116.113',
    '-bind',
    '192.168.116.111',
    '-advertise',
    '192.168.116.111',
    '-client',
    '192.168.116.111 127.0.0.1',
    '-datacenter',
    'datacenter',
    '-node',
    'consulsvr',
    '-data-dir',
    '/consul/data',
    '-ui',
    '-hcl',
    'disable_update_check = true',
  ]);
  assert.equal(agents[0]!.container, 'swarmop-consul-datacenter');
  assert.equal(agents[0]!.labels['io.swarmop.consulcluster'], 'datacenter');
  assert.equal(agents[0]!.labels['io.swarmop.member'], 'consulsvr');
  assert.equal(agents[0]!.labels['io.swarmop.config-hash'], agents[0]!.configHash);
});

test('the client APIs listen on the bind address and 127.0.0.1 unless every address is asked for', () => {
  const client = (spec: Parameters<typeof fixtureSpec>[0]) =>
    flagValue(desiredAgents('dc', fixtureSpec(spec), (h) => FIXTURE_HOSTS[h]).agents[0]!.args, '-client');
  assert.equal(client({ clientAddress: 'bind' }), '192.168.116.111 127.0.0.1');
  assert.equal(client({ clientAddress: 'any' }), '0.0.0.0');
  assert.equal(client({ servers: [{ host: 'consulsvr', node: 's1', bindAddress: '127.0.0.1' }], bootstrapExpect: 1 }), '127.0.0.1');
});

test('clients get no -server and no bootstrap-expect but retry-join every server', () => {
  const { agents } = desiredAgents(
    'dc',
    fixtureSpec({ servers: [{ host: 'consulsvr', node: 's1' }], bootstrapExpect: 1, clients: [{ host: 'consul01', node: 'c1' }] }),
    (h) => FIXTURE_HOSTS[h],
  );
  const client = agents.find((a) => a.role === 'client')!;
  assert.ok(!client.args.includes('-server'));
  assert.ok(!client.args.includes('-bootstrap-expect'));
  assert.deepEqual(client.args.slice(1, 3), ['-retry-join', '192.168.116.111']);
});

test('bindAddress overrides the DockerHost address; unknown hosts are reported', () => {
  const r = desiredAgents(
    'dc',
    fixtureSpec({
      servers: [
        { host: 'consulsvr', node: 'a', bindAddress: '10.0.0.5' },
        { host: 'nowhere', node: 'b' },
      ],
    }),
    (h) => FIXTURE_HOSTS[h],
  );
  assert.equal(r.agents[0]!.address, '10.0.0.5');
  assert.deepEqual(r.missingHosts, ['nowhere']);
});

test('optional flags: retry-interval, ACL settings and the secrets config file are named, never a secret', () => {
  const args = agentArgs({
    role: 'server',
    node: 'n',
    address: '1.2.3.4',
    datacenter: 'dc',
    ui: false,
    bootstrapExpect: 1,
    retryJoin: [],
    retryInterval: '5s',
    acl: { defaultPolicy: 'deny' },
    configFile: '/consul/config/swarmop-secrets.json',
  });
  assert.ok(args.join(' ').includes('-retry-interval 5s'));
  assert.deepEqual(args.slice(-6), [
    '-hcl',
    'disable_update_check = true',
    '-hcl',
    'acl { enabled = true default_policy = "deny" }',
    '-config-file',
    '/consul/config/swarmop-secrets.json',
  ]);
  assert.ok(!args.includes('-ui'));
  assert.ok(!args.includes('-encrypt'));
});

const GOSSIP = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const TOKEN = '0b7c5a3e-5d1e-4f0a-9c1b-7a6e2d4f8c10';

test('secrets go into the config file, not the args, labels or anything that prints', () => {
  const { agents } = desiredAgents('dc', fixtureSpec({ acl: { enabled: true, defaultPolicy: 'deny' } }), (h) => FIXTURE_HOSTS[h], {
    gossipKey: GOSSIP,
    aclToken: TOKEN,
  });
  for (const a of agents) {
    const visible = JSON.stringify({ args: a.args, labels: a.labels, agent: a }) + inspect(a, { depth: 10 });
    assert.ok(!visible.includes(GOSSIP), 'gossip key visible');
    assert.ok(!visible.includes(TOKEN), 'token visible');
    assert.equal(a.configFile?.path, '/consul/config/swarmop-secrets.json');
    assert.equal(flagValue(a.args, '-config-file'), '/consul/config/swarmop-secrets.json');
    assert.deepEqual(JSON.parse(a.configFile!.content.reveal()).encrypt, GOSSIP);
  }
});

test('a changed gossip key or token changes the config hash of every agent; the same secrets give the same hash', () => {
  const hashes = (s: { gossipKey?: string; aclToken?: string }) =>
    desiredAgents('dc', fixtureSpec(), (h) => FIXTURE_HOSTS[h], s).agents.map((a) => a.configHash);
  const base = hashes({ gossipKey: GOSSIP, aclToken: TOKEN });
  assert.deepEqual(hashes({ gossipKey: GOSSIP, aclToken: TOKEN }), base);
  const newKey = hashes({ gossipKey: 'Ek3fZ2lmc2VjcmV0a2V5MTIzNDU2Nzg5MDEyMzQ1Njc=', aclToken: TOKEN });
  const newToken = hashes({ gossipKey: GOSSIP, aclToken: 'ffffffff-5d1e-4f0a-9c1b-7a6e2d4f8c10' });
  const none = hashes({});
  for (let i = 0; i < base.length; i++) {
    assert.notEqual(newKey[i], base[i]);
    assert.notEqual(newToken[i], base[i]);
    assert.notEqual(none[i], base[i]);
  }
});

test('ACLs on: the servers carry acl { enabled, default_policy } as an argument and the tokens in the file', () => {
  const { agents } = desiredAgents('dc', fixtureSpec({ acl: { enabled: true, defaultPolicy: 'allow' } }), (h) => FIXTURE_HOSTS[h], {
    aclToken: TOKEN,
  });
  assert.ok(agents[0]!.args.includes('acl { enabled = true default_policy = "allow" }'));
  assert.equal(JSON.parse(agents[0]!.configFile!.content.reveal()).acl.tokens.master, TOKEN);
  const open = desiredAgents('dc', fixtureSpec(), (h) => FIXTURE_HOSTS[h], { aclToken: TOKEN }).agents[0]!;
  assert.ok(!open.args.some((a) => a.startsWith('acl {')));
  assert.deepEqual(JSON.parse(open.configFile!.content.reveal()), { acl: { tokens: { agent: TOKEN } } });
  assert.equal(desiredAgents('dc', fixtureSpec(), (h) => FIXTURE_HOSTS[h]).agents[0]!.configFile, undefined);
});

test('the config hash changes with the image or a flag but not with membership (retry-join, bootstrap-expect)', () => {
  const base = desiredAgents('dc', fixtureSpec(), (h) => FIXTURE_HOSTS[h]).agents[1]!.configHash;
  const image = desiredAgents('dc', fixtureSpec({ image: 'hashicorp/consul:1.8.8' }), (h) => FIXTURE_HOSTS[h]).agents[1]!.configHash;
  const noUi = desiredAgents('dc', fixtureSpec({ ui: false }), (h) => FIXTURE_HOSTS[h]).agents[1]!.configHash;
  const twoServers = desiredAgents(
    'dc',
    fixtureSpec({ servers: fixtureSpec().servers.slice(0, 2), bootstrapExpect: 2 }),
    (h) => FIXTURE_HOSTS[h],
  ).agents[1]!.configHash;
  assert.notEqual(image, base);
  assert.notEqual(noUi, base);
  assert.equal(twoServers, base);
  assert.deepEqual(stableArgs(['agent', '-server', '-bootstrap-expect', '3', '-retry-join', 'x', '-node', 'n']), [
    'agent',
    '-server',
    '-node',
    'n',
  ]);
  assert.notEqual(configHash('i', ['a'], '/d1'), configHash('i', ['a'], '/d2'));
});

test("servers of a federated cluster get -retry-join-wan to the other clusters' servers; clients do not; the hash ignores it", () => {
  const alone = desiredAgents(
    'dc',
    fixtureSpec({
      clients: [{ host: 'consul02', node: 'c1' }],
      servers: [
        { host: 'consulsvr', node: 's1' },
        { host: 'consul01', node: 's2' },
      ],
      bootstrapExpect: 2,
    }),
    (h) => FIXTURE_HOSTS[h],
  );
  const wan = desiredAgents(
    'dc',
    fixtureSpec({
      clients: [{ host: 'consul02', node: 'c1' }],
      servers: [
        { host: 'consulsvr', node: 's1' },
        { host: 'consul01', node: 's2' },
      ],
      bootstrapExpect: 2,
    }),
    (h) => FIXTURE_HOSTS[h],
    {},
    ['10.1.0.5', '10.1.0.6'],
  );
  assert.deepEqual(wan.agents[0]!.args.slice(0, 9), [
    'agent',
    '-server',
    '-bootstrap-expect',
    '2',
    '-retry-join',
    '192.168.116.112',
    '-retry-join-wan',
    '10.1.0.5',
    '-retry-join-wan',
  ]);
  assert.equal(wan.agents[0]!.args[9], '10.1.0.6');
  assert.deepEqual(
    wan.agents.map((a) => a.args.filter((x) => x === '-retry-join-wan').length),
    [2, 2, 0],
  );
  // Federating a running cluster must not roll its agents: they are joined through the HTTP API.
  assert.deepEqual(
    wan.agents.map((a) => a.configHash),
    alone.agents.map((a) => a.configHash),
  );
  assert.deepEqual(stableArgs(wan.agents[0]!.args), stableArgs(alone.agents[0]!.args));
});

test("ACL cluster: each agent's file holds its own node's agent token, never another's or the management token as agent; its arrival rolls nothing", () => {
  const spec = fixtureSpec({ acl: { enabled: true, defaultPolicy: 'deny' } });
  const nodes = [...spec.servers, ...(spec.clients ?? [])].map((m) => m.node);
  const agentTokens = new Map(nodes.map((n, i) => [n, `aaaaaaaa-0000-4000-8000-${String(i).padStart(12, '0')}`]));
  const before = desiredAgents('dc', spec, (h) => FIXTURE_HOSTS[h], { aclToken: TOKEN }).agents;
  const after = desiredAgents('dc', spec, (h) => FIXTURE_HOSTS[h], { aclToken: TOKEN, agentTokens }).agents;
  for (const a of after) {
    const tokens = JSON.parse(a.configFile!.content.reveal()).acl.tokens as Record<string, string>;
    assert.equal(tokens.agent, agentTokens.get(a.node));
    const visible = JSON.stringify({ args: a.args, labels: a.labels, agent: a }) + inspect(a, { depth: 10 });
    for (const t of agentTokens.values()) assert.ok(!visible.includes(t), 'an agent token is visible outside the file');
    assert.equal(a.configHash, before.find((b) => b.node === a.node)!.configHash);
  }
});
