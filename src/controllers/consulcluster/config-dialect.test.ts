/**
 * The rendered agent configuration of each dialect against golden files (testdata/), written from
 * Consul's configuration docs for 1.8 and for 1.12+. Only 1.8.7 runs here (agent-tls.int.test.ts);
 * the current dialect is checked only this way. UPDATE_GOLDEN=1 rewrites the files.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ConsulClusterSpec } from '../../crds/consul-cluster.js';
import { agentConfigFile, agentMasterToken } from './agent-config-file.js';
import { configHash, desiredAgents, type DesiredAgent } from './desired.js';
import type { ConsulDialect } from './consul-version.js';

const TOKEN = '0b7c5a3e-5d1e-4f0a-9c1b-7a6e2d4f8c10';
const GOSSIP = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const PEMS = { ca: 'CA-PEM\n', cert: 'CERT-PEM\n', key: 'KEY-PEM\n' };

function spec(over: Partial<ConsulClusterSpec> = {}): ConsulClusterSpec {
  return {
    datacenter: 'dc1',
    image: 'hashicorp/consul:1.8.7',
    ui: true,
    servers: [{ host: 'h1', node: 's1', bindAddress: '10.0.0.1' }],
    clients: [{ host: 'h2', node: 'c1', bindAddress: '10.0.0.2' }],
    bootstrapExpect: 1,
    dataDir: '/var/lib/consul',
    aclTokenRef: { kvKey: 'swarmop/secrets/token' },
    gossipKeyRef: { kvKey: 'swarmop/secrets/gossip' },
    acl: { enabled: true, defaultPolicy: 'deny' },
    tls: {
      enabled: true,
      caCertRef: { kvKey: 'swarmop/secrets/tls/ca.pem' },
      agentCertsKvPrefix: 'swarmop/secrets/tls/agents',
      operatorCertRef: { kvKey: 'swarmop/secrets/tls/operator.pem' },
      operatorKeyRef: { kvKey: 'swarmop/secrets/tls/operator-key.pem' },
      http: 'disabled',
    },
    ...over,
  };
}

function render(s: ConsulClusterSpec, dialect: ConsulDialect): DesiredAgent[] {
  const tls = new Map([
    ['s1', PEMS],
    ['c1', PEMS],
  ]);
  return desiredAgents('c', s, () => undefined, { aclToken: TOKEN, gossipKey: GOSSIP, tls }, [], { dialect }).agents;
}

/** What an agent is given: its args, one per line, then its config file and the files it names. */
function golden(agents: DesiredAgent[]): string {
  return agents
    .map((a) =>
      [
        `# ${a.role} ${a.node}`,
        ...a.args.map((x) => `  ${x}`),
        `# ${a.configFile!.path}`,
        a.configFile!.content.reveal().replace(agentMasterToken(TOKEN), '<agent recovery token>'),
        ...(a.configFile!.extraFiles ?? []).map((f) => `# ${f.path}: ${JSON.stringify(f.content.reveal())}`),
      ].join('\n'),
    )
    .join('\n');
}

function check(name: string, text: string): void {
  const file = new URL(`./testdata/${name}`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'));
}

test('Consul 1.8 dialect, TLS on, plain HTTP off: top-level TLS settings, master/agent_master, -ui', () => {
  check('dialect-1.8-tls.golden', golden(render(spec(), 'legacy')));
});

test('current dialect (1.12+), TLS on, HTTP on 127.0.0.1: tls stanza, initial_management/agent_recovery, ui_config', () => {
  check('dialect-current-tls-localhost.golden', golden(render(spec({ tls: { ...spec().tls!, http: 'localhost' } }), 'current')));
});

test('TLS off: no TLS settings, no TLS files, and the 1.8 rendering is what it was before dialects', () => {
  const { tls: _tls, ...noTls } = spec();
  const [server] = render(noTls, 'legacy');
  assert.equal(
    server!.args.some((a) => a.includes('verify_') || a.includes('ports')),
    false,
  );
  assert.equal(server!.configFile!.extraFiles, undefined);
  assert.deepEqual(JSON.parse(agentConfigFile({ role: 'server', aclToken: TOKEN, aclEnabled: true })!.content.reveal()), {
    acl: { enable_token_persistence: true, tokens: { master: TOKEN, agent_master: agentMasterToken(TOKEN) } },
  });
  assert.deepEqual(
    JSON.parse(agentConfigFile({ role: 'server', aclToken: TOKEN, aclEnabled: true, dialect: 'current' })!.content.reveal()),
    {
      acl: { enable_token_persistence: true, tokens: { initial_management: TOKEN, agent_recovery: agentMasterToken(TOKEN) } },
    },
  );
});

test('a new certificate changes the config hash (the agents roll); the CA alone too', () => {
  const hash = (pems: typeof PEMS) =>
    desiredAgents(
      'c',
      spec(),
      () => undefined,
      {
        tls: new Map([
          ['s1', pems],
          ['c1', PEMS],
        ]),
      },
      [],
      { dialect: 'legacy' },
    ).agents[0]!.configHash;
  assert.notEqual(hash(PEMS), hash({ ...PEMS, cert: 'CERT2-PEM\n' }));
  assert.notEqual(hash(PEMS), hash({ ...PEMS, ca: 'CA2-PEM\n' }));
  assert.equal(hash(PEMS), hash({ ...PEMS }));
});

test('the config hash is an HMAC under the cluster key: without the key a guessed token cannot be checked against the label', () => {
  const [a] = desiredAgents('c', spec(), () => undefined, { aclToken: TOKEN }, [], { dialect: 'legacy', hashKey: 'k1' }).agents;
  const plain = configHash(a!.image, a!.args, a!.dataDir, a!.configFile!.digest);
  assert.notEqual(a!.configHash, plain);
  assert.equal(a!.configHash, configHash(a!.image, a!.args, a!.dataDir, a!.configFile!.digest, 'k1'));
  assert.notEqual(a!.configHash, configHash(a!.image, a!.args, a!.dataDir, a!.configFile!.digest, 'k2'));
  assert.equal(a!.labels['io.swarmop.config-hash'], a!.configHash);
});
