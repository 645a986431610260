/**
 * A REAL Consul agent (the project's 1.8.7 binary) started with the configuration swarmop renders (gossip key, ACLs)
 * for a TLS ConsulCluster (1.8 dialect) and certificates made by `consul tls`: the operator's agent
 * client reads it over HTTPS with its client certificate; plain HTTP and a client without the
 * cluster's certificate are refused. The certificate checks run on the same real certificates.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ConsulClusterSpec } from '../../crds/consul-cluster.js';
import { consulBinary } from '../../../testing/harness/consul-agent.js';
import { makeConsulPki, type ConsulPki } from '../../../testing/harness/consul-pki.js';
import { freePorts } from '../../../testing/util/free-ports.js';
import { eventually } from '../../../testing/util/wait-until.js';
import { readAgentView, readMembers, type AgentTls } from '../../consul/agent-http.js';
import { agentTokens, TLS_DIR } from './agent-config-file.js';
import { CONTAINER_DATA_DIR, desiredAgents } from './desired.js';
import { checkCa, checkCert } from './tls-material.js';
import { readKeyring } from './gossip-keyring.js';
import { readNodeIdentity } from './node-identity.js';

const TOKEN = '6b0e3c55-9d51-4a0e-8f3c-2f1d7a9c4e21';
const GOSSIP = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const DIR = mkdtempSync(join(tmpdir(), 'swarmop-agent-tls-'));
let pki: ConsulPki;
let otherPki: ConsulPki;
let child: ChildProcess | undefined;
let httpsPort = 0;
let operatorTls: AgentTls;
const tokens = agentTokens(TOKEN, true);

const spec: ConsulClusterSpec = {
  datacenter: 'dc1',
  image: 'hashicorp/consul:1.8.7',
  ui: false,
  servers: [{ host: 'h1', node: 'tls-s1', bindAddress: '127.0.0.1' }],
  bootstrapExpect: 1,
  dataDir: '/unused',
  aclTokenRef: { kvKey: 'k/token' },
  gossipKeyRef: { kvKey: 'k/gossip' },
  acl: { enabled: true, defaultPolicy: 'deny' },
  tls: {
    enabled: true,
    caCertRef: { kvKey: 'k/ca' },
    agentCertsKvPrefix: 'k/agents',
    operatorCertRef: { kvKey: 'k/op' },
    operatorKeyRef: { kvKey: 'k/op-key' },
    http: 'disabled',
  },
};

/** The rendered agent, with the container's paths moved into DIR and the ports made free. */
async function startRenderedAgent(): Promise<void> {
  const tls = new Map([['tls-s1', { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key }]]);
  const [agent] = desiredAgents('tls', spec, () => undefined, { tls, aclToken: TOKEN, gossipKey: GOSSIP }, [], {
    dialect: 'legacy',
  }).agents;
  const local = (p: string) => p.replaceAll(`${TLS_DIR}/`, `${DIR}/tls/`).replace('/consul/config/', `${DIR}/config/`);
  mkdirSync(join(DIR, 'tls'));
  mkdirSync(join(DIR, 'config'));
  const file = agent!.configFile!;
  for (const f of [file, ...(file.extraFiles ?? [])]) writeFileSync(local(f.path), f.content.reveal(), { mode: 0o600 });
  const [https, serfLan, serfWan, server] = await freePorts(4);
  httpsPort = https!;
  const args = agent!.args.map((a, i, all) => (all[i - 1] === '-data-dir' && a === CONTAINER_DATA_DIR ? join(DIR, 'data') : local(a)));
  assert.deepEqual(args.slice(args.indexOf('-client'), args.indexOf('-client') + 2), ['-client', '127.0.0.1']);
  args.push('-hcl', `ports { https = ${https} serf_lan = ${serfLan} serf_wan = ${serfWan} server = ${server} dns = -1 grpc = -1 }`);
  const out = openSync(join(DIR, 'consul.log'), 'a');
  try {
    child = spawn(await consulBinary(), args, { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

before(async () => {
  pki = await makeConsulPki(join(DIR, 'pki'));
  otherPki = await makeConsulPki(join(DIR, 'other-pki'));
  operatorTls = { ca: pki.ca.cert, cert: pki.cli.cert, key: pki.cli.key };
  await startRenderedAgent();
  try {
    await eventually(
      'the TLS agent to elect itself over HTTPS',
      async () => (await readAgentView('127.0.0.1', { port: httpsPort, tls: operatorTls, ...tokens })).leader !== '',
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        stopIf: () =>
          child?.exitCode !== null ? `consul exited: ${readFileSync(join(DIR, 'consul.log'), 'utf8').slice(-2000)}` : undefined,
      },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${readFileSync(join(DIR, 'consul.log'), 'utf8').slice(-2000)}`, { cause: err });
  }
});

after(async () => {
  if (child?.pid !== undefined && child.exitCode === null) {
    const gone = new Promise((r) => child!.once('exit', r));
    process.kill(child.pid, 'SIGTERM');
    await gone;
  }
  rmSync(DIR, { recursive: true, force: true });
});

describe('a TLS and ACL agent rendered by swarmop (Consul 1.8.7)', { concurrency: false }, () => {
  test('the operator reads it over HTTPS with the CA and its client certificate', async () => {
    const members = await readMembers('127.0.0.1', { port: httpsPort, tls: operatorTls, ...tokens });
    assert.deepEqual(
      members.map((m) => [m.name, m.status, m.role]),
      [['tls-s1', 'alive', 'server']],
    );
    // The rendered ACL config took effect too: default deny hides the members from a call without a token.
    assert.deepEqual(await readMembers('127.0.0.1', { port: httpsPort, tls: operatorTls }), []);
  });

  // Every call the reconciler makes to an agent follows the cluster's TLS, not only the member reads:
  // the keyring (gossip key rotation) and the node identity (a wiped data dir) once went out as plain
  // HTTP to :8501, with the token in clear.
  test('the keyring and the node identity are read over HTTPS too', async () => {
    const o = { port: httpsPort, tls: operatorTls, ...tokens };
    const pools = await readKeyring('127.0.0.1', o);
    assert.ok(pools.length > 0 && pools.every((p) => Object.keys(p.keys).join() === GOSSIP), JSON.stringify(pools));
    const identity = await readNodeIdentity('127.0.0.1', o);
    assert.equal(identity?.node, 'tls-s1');
    assert.match(identity?.nodeID ?? '', /^[0-9a-f-]{36}$/);
  });

  test('a client certificate from another CA is refused; so is the agent for a client that does not trust its CA', async () => {
    await assert.rejects(
      readMembers('127.0.0.1', { port: httpsPort, tls: { ca: pki.ca.cert, cert: otherPki.cli.cert, key: otherPki.cli.key } }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'Unavailable');
        return true;
      },
    );
    await assert.rejects(
      readMembers('127.0.0.1', { port: httpsPort, tls: { ca: otherPki.ca.cert, cert: pki.cli.cert, key: pki.cli.key } }),
      /self[- ]signed|unable to verify|certificate/i,
    );
  });

  test('plain HTTP is refused on the HTTPS port, and no plain-HTTP listener runs (ports.http = -1)', async () => {
    const res = await fetch(`http://127.0.0.1:${httpsPort}/v1/agent/members`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /HTTP request to an HTTPS server/);
    await assert.rejects(readMembers('127.0.0.1', { port: httpsPort }));
    const self = await fetchSelf();
    assert.deepEqual(self.DebugConfig.HTTPAddrs, []);
    assert.deepEqual(self.DebugConfig.HTTPSAddrs, [`tcp://127.0.0.1:${httpsPort}`]);
    assert.equal(self.DebugConfig.VerifyIncoming, true);
    assert.equal(self.DebugConfig.VerifyOutgoing, true);
    assert.equal(self.DebugConfig.VerifyServerHostname, true);
  });

  test('the certificate checks pass the real certificates and name what is wrong with bad ones', () => {
    const now = Date.now();
    const { ca, problems } = checkCa(pki.ca.cert, now);
    assert.deepEqual(problems, []);
    const server = { what: 'node s1', ...pki.server, address: '127.0.0.1', serverName: 'server.dc1.consul' };
    assert.deepEqual(checkCert(ca!, server, now), { problems: [] });
    assert.deepEqual(checkCert(ca!, { ...server, address: '10.9.9.9' }, now).problems, [
      "node s1: no IP SAN 10.9.9.9 (the agent's address)",
    ]);
    assert.deepEqual(checkCert(ca!, { ...server, serverName: 'server.dc2.consul' }, now).problems, [
      'node s1: no DNS SAN server.dc2.consul (verify_server_hostname checks it on every server)',
    ]);
    assert.deepEqual(checkCert(ca!, { ...server, key: pki.client.key }, now).problems, [
      'node s1: the key does not belong to the certificate',
    ]);
    const foreign = checkCert(ca!, { ...server, ...otherPki.server }, now).problems;
    assert.equal(foreign.length, 1);
    assert.match(foreign[0]!, /^node s1: not signed by the CA \(issuer "/);
    assert.deepEqual(
      checkCert(ca!, { what: 'client c1', ...pki.client, address: '127.0.0.1', serverName: 'server.dc1.consul' }, now).problems,
      ['client c1: no DNS SAN server.dc1.consul (verify_server_hostname checks it on every server)'],
    );
    // consul tls certificates last a year: 360 days on, they are reported as expiring.
    const later = now + 360 * 24 * 3600 * 1000;
    assert.match(checkCert(ca!, server, later).expiring ?? '', /^node s1 expires on /);
    assert.deepEqual(checkCert(ca!, server, later).problems, []);
    assert.match(checkCert(ca!, server, now + 400 * 24 * 3600 * 1000).problems[0] ?? '', /^node s1: expired on /);
  });
});

async function fetchSelf(): Promise<{
  DebugConfig: {
    HTTPAddrs: string[];
    HTTPSAddrs: string[];
    VerifyIncoming: boolean;
    VerifyOutgoing: boolean;
    VerifyServerHostname: boolean;
  };
}> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: httpsPort,
        path: '/v1/agent/self',
        headers: { 'X-Consul-Token': TOKEN },
        ca: pki.ca.cert,
        cert: pki.cli.cert,
        key: pki.cli.key,
      },
      (res) => {
        let t = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (t += c));
        res.on('end', () => resolve(JSON.parse(t)));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
