/**
 * A ConsulCluster with TLS, gossip encryption and ACLs (examples/consulcluster-tls.yaml) on the lab,
 * with certificates issued by `consul tls` as a user does: it forms from the manifests; plain HTTP
 * on :8500 is not listening; `consul members` over HTTPS with the CA and a client certificate works;
 * a killed agent and a `consul leave` are each repaired once, while a packet capture on the lab
 * network holds no token bytes (and does hold a marker sent in clear, so it can see them); a new
 * certificate for every server in KV reaches the agents one at a time, never leaving fewer than a
 * quorum of servers answering with a leader.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before } from 'node:test';
import { agentMasterToken, agentTokens } from '../src/controllers/consulcluster/agent-config-file.js';
import { AGENT_HTTPS_PORT, readAgentView, type AgentTls } from '../src/consul/agent-http.js';
import { consulBinary } from '../testing/harness/consul-agent.js';
import { issueServerCert, makeConsulPki, type ConsulPki, type Pem } from '../testing/harness/consul-pki.js';
import { eventually, timeUntil } from '../testing/util/wait-until.js';
import { clusterTokenSecrets } from './framework/cluster-tokens.js';
import { clearConsulHosts, storePut } from './framework/consul-lab.js';
import { describeE2E, itE2E, type Framework } from './framework/framework.js';
import { hostDocker, labManifest, labRoles, outerDocker, REPO_ROOT } from './framework/lab.js';
import { run } from './framework/shell.js';

const CLUSTER = 'tlsdc';
const AGENT = `swarmop-consul-${CLUSTER}`;
const IMAGE = 'hashicorp/consul:1.8.7';
const DC = 'datacenter';
const { lab } = labRoles();
const [H0, H1, H2] = lab.hosts.map((h) => h.name) as [string, string, string];
const HOST_NAMES = [H0, H1, H2];
// The example names the reference lab's hosts; this lab's may be others (SWARMOP_LAB_HOSTS).
const REFERENCE_HOSTS: Record<string, string> = { consulsvr: H0, consul01: H1, consul02: H2 };
const MANIFEST = readFileSync(join(REPO_ROOT, 'examples', 'consulcluster-tls.yaml'), 'utf8').replace(
  /\b(consulsvr|consul01|consul02)\b/g,
  (name) => REFERENCE_HOSTS[name]!,
);
const kvKey = (field: string): string => new RegExp(`${field}: \\{kvKey: ([^}]+)\\}`).exec(MANIFEST)![1]!;
const CERTS_PREFIX = /agentCertsKvPrefix: (\S+)/.exec(MANIFEST)![1]!;

const GOSSIP_KEY = randomBytes(32).toString('base64');
const TOKEN = randomUUID();
const TOKENS = agentTokens(TOKEN, true);
const SECRETS: Record<string, string> = { 'ACL token': TOKEN, 'agent master token': agentMasterToken(TOKEN), 'gossip key': GOSSIP_KEY };

/** The serial number of the certificate an agent presents on :8501. */
function servedSerial(address: string, tls: AgentTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: address, port: AGENT_HTTPS_PORT, ca: tls.ca, cert: tls.cert, key: tls.key, checkServerIdentity: () => undefined },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.end();
        resolve(serial);
      },
    );
    socket.setTimeout(3000, () => socket.destroy(new Error(`${address}:${AGENT_HTTPS_PORT}: no TLS handshake within 3 s`)));
    socket.on('error', reject);
  });
}

/** tcpdump on the lab network's bridge (this machine's side of every host's traffic), written to `file`. */
class Capture {
  #child: ChildProcess | undefined;
  constructor(readonly file: string) {}

  async start(f: Framework): Promise<void> {
    const net = await outerDocker(f.lab).getNetwork(f.lab.network).inspect();
    const bridge = (net.Options?.['com.docker.network.bridge.name'] as string | undefined) ?? `br-${String(net.Id).slice(0, 12)}`;
    this.#child = spawn('tcpdump', ['-i', bridge, '-s', '0', '-U', '-n', '-w', this.file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.#child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // tcpdump says "listening on" once its capture is open.
    await eventually(`tcpdump listening on ${bridge}`, async () => (err.includes('listening on') ? true : undefined), {
      timeoutMs: 10_000,
      stopIf: () => (this.#child!.exitCode !== null ? `tcpdump exited: ${err}` : undefined),
    });
  }

  async stop(): Promise<Buffer> {
    const child = this.#child;
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await gone;
    }
    return readFileSync(this.file);
  }
}

/** The captured packets whose payload holds `text` (tcpdump -A: header and payload), the first few, for a failure message. */
async function packetsHolding(file: string, text: string): Promise<string> {
  const dump = await run('tcpdump', ['-nn', '-A', '-r', file], { timeoutMs: 60_000 });
  const packets: string[][] = [];
  for (const line of dump.stdout.split('\n')) {
    if (/^\d{2}:\d{2}:\d{2}\.\d+ IP /.test(line)) packets.push([line]);
    else packets.at(-1)?.push(line);
  }
  const holding = packets.filter((p) => p.slice(1).some((l) => l.includes(text)));
  return (
    holding
      .slice(0, 3)
      .map((p) => p.join('\n').replaceAll(text, '<secret>'))
      .join('\n\n') || '(tcpdump -A shows no packet holding it whole)'
  );
}

describeE2E('ConsulCluster with TLS', (f) => {
  const addr = (host: string) => f.lab.hosts.find((h) => h.name === host)!.address;
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-e2e-tls-'));
  let pki: ConsulPki;
  let operatorTls: AgentTls;
  const agentCerts = new Map<string, Pem>();

  /** The consul CLI's flags for the user's client certificate. */
  const cliTls = () => [
    `-ca-file=${join(dir, 'cli', 'ca.pem')}`,
    `-client-cert=${join(dir, 'cli', 'cli.pem')}`,
    `-client-key=${join(dir, 'cli', 'cli-key.pem')}`,
  ];

  /** Every agent answers over HTTPS (the operator's certificate and tokens), knows a leader and sees all three alive. */
  async function whole(): Promise<boolean> {
    const views = await Promise.all(
      HOST_NAMES.map((h) => readAgentView(addr(h), { timeoutMs: 800, port: AGENT_HTTPS_PORT, tls: operatorTls, ...TOKENS })),
    );
    return views.every(
      (v) => v.reachable && v.leader !== '' && HOST_NAMES.every((n) => v.members.find((m) => m.name === n)?.status === 'alive'),
    );
  }

  async function putAgentCerts(): Promise<void> {
    for (const h of HOST_NAMES) {
      const pem = await issueServerCert(join(dir, 'pki'), DC, addr(h));
      agentCerts.set(h, pem);
      await storePut(f, `${CERTS_PREFIX}/${h}/cert.pem`, pem.cert);
      await storePut(f, `${CERTS_PREFIX}/${h}/key.pem`, pem.key);
    }
  }

  before(async () => {
    await clearConsulHosts(HOST_NAMES, CLUSTER, IMAGE);
    pki = await makeConsulPki(join(dir, 'pki'), DC);
    operatorTls = { ca: pki.ca.cert, cert: pki.cli.cert, key: pki.cli.key };
    mkdirSync(join(dir, 'cli'));
    writeFileSync(join(dir, 'cli', 'ca.pem'), pki.ca.cert);
    writeFileSync(join(dir, 'cli', 'cli.pem'), pki.cli.cert);
    writeFileSync(join(dir, 'cli', 'cli-key.pem'), pki.cli.key, { mode: 0o600 });
    await storePut(f, kvKey('caCertRef'), pki.ca.cert);
    await storePut(f, kvKey('operatorCertRef'), pki.cli.cert);
    await storePut(f, kvKey('operatorKeyRef'), pki.cli.key);
    await storePut(f, kvKey('gossipKeyRef'), GOSSIP_KEY);
    await storePut(f, kvKey('aclTokenRef'), TOKEN);
    await putAgentCerts();
  });

  after(async () => {
    await f.swarmop(['delete', 'consulcluster', CLUSTER]).catch(() => undefined);
    await eventually('agents removed by the finalizer', async () => ((await f.get('consulcluster', CLUSTER)) ? undefined : true), {
      timeoutMs: 60_000,
    }).catch(() => undefined);
    await clearConsulHosts(HOST_NAMES, CLUSTER, IMAGE);
    for (const field of ['caCertRef', 'operatorCertRef', 'operatorKeyRef', 'gossipKeyRef', 'aclTokenRef'])
      await storePut(f, kvKey(field), undefined);
    for (const h of HOST_NAMES) for (const file of ['cert.pem', 'key.pem']) await storePut(f, `${CERTS_PREFIX}/${h}/${file}`, undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  itE2E(
    f,
    'forms from the manifests; no plain HTTP on :8500; `consul members` over HTTPS with the CA and a client certificate',
    async () => {
      await f.apply(labManifest('00-dockerhosts.yaml'));
      const began = Date.now();
      await f.apply(MANIFEST);
      const obj = await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 120_000 });
      console.log(`# TLS ConsulCluster formed from nothing, Ready after ${Date.now() - began} ms`);
      assert.equal(obj.status.raftPeers.length, 3);
      assert.ok(await whole());
      await eventually('the operator token in the store', async () =>
        (await clusterTokenSecrets(f, CLUSTER))['operator token'] ? true : undefined,
      );

      for (const h of HOST_NAMES) {
        // Nothing listens for plain HTTP: the connection is refused, so no request (and no token) is ever sent in clear.
        const plain = await fetch(`http://${addr(h)}:8500/v1/status/leader`, { signal: AbortSignal.timeout(3000) }).then(
          (r) => `HTTP ${r.status}`,
          (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
        );
        assert.equal(plain, 'ECONNREFUSED', `plain HTTP on ${h}:8500`);
        // Each agent presents the certificate issued for it.
        assert.equal(
          await servedSerial(addr(h), operatorTls),
          new X509Certificate(agentCerts.get(h)!.cert).serialNumber,
          `${h}'s certificate`,
        );
      }

      // A user's `consul members`: HTTPS with the CA and a client certificate works...
      const consul = await consulBinary();
      const members = await run(consul, ['members', `-http-addr=https://${addr(H1)}:${AGENT_HTTPS_PORT}`, ...cliTls(), `-token=${TOKEN}`], {
        timeoutMs: 15_000,
      });
      assert.equal(members.code, 0, members.stderr);
      for (const h of HOST_NAMES) assert.match(members.stdout, new RegExp(`^${h}\\s+\\S+\\s+alive\\s+server`, 'm'));
      // ...and without a client certificate the agent refuses the handshake (verify_incoming).
      const anonymous = await run(
        consul,
        ['members', `-http-addr=https://${addr(H1)}:${AGENT_HTTPS_PORT}`, `-ca-file=${join(dir, 'cli', 'ca.pem')}`, `-token=${TOKEN}`],
        { timeoutMs: 15_000 },
      );
      assert.notEqual(anonymous.code, 0, 'members without a client certificate');
      // (Go's client reports the refusal as a TLS alert, or as the connection the server closed on it.)
      assert.match(anonymous.stderr, /certificate|tls|remote error|broken pipe|connection reset/i);
    },
  );

  itE2E(
    f,
    'a killed agent and a `consul leave` are each repaired once; a capture of the lab network meanwhile holds no token',
    async () => {
      const capture = new Capture(join(dir, 'repairs.pcap'));
      await capture.start(f);
      // A marker sent in clear through the same bridge: the capture must see it, or "no token in it" proves nothing.
      const marker = `swarmop-capture-marker-${randomUUID()}`;
      try {
        await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
        await fetch(`http://${addr(H2)}:2375/_ping`, { headers: { 'X-Capture-Marker': marker } });
        const before = f.operator.repairs({ kind: 'ConsulCluster' }).length;

        await hostDocker(H1).getContainer(AGENT).kill();
        const killedMs = await timeUntil('cluster whole again', () => whole().catch(() => false), { timeoutMs: 60_000 });
        console.log(`# TLS cluster, killed agent: whole again after ${killedMs} ms`);

        // An agent up for less than 20 s is joined rather than restarted; this one has been up longer.
        await eventually(
          `${H2} agent up for more than 21 s`,
          async () => Date.now() - Date.parse((await hostDocker(H2).getContainer(AGENT).inspect()).State.StartedAt) > 21_000,
          { timeoutMs: 60_000, intervalMs: 500 },
        );
        // `consul leave` as a user runs it from their machine: over HTTPS with a client certificate, so
        // the token travels inside TLS (an `exec -e CONSUL_HTTP_TOKEN=...` would carry it over the
        // engine's plain-TCP API).
        const leaving = run(
          await consulBinary(),
          ['leave', `-http-addr=https://${addr(H2)}:${AGENT_HTTPS_PORT}`, ...cliTls(), `-token=${TOKEN}`],
          {
            timeoutMs: 60_000,
          },
        );
        await eventually(
          `${H2} left`,
          async () =>
            (await readAgentView(addr(H0), { timeoutMs: 800, port: AGENT_HTTPS_PORT, tls: operatorTls, ...TOKENS })).members.find(
              (m) => m.name === H2,
            )?.status === 'left'
              ? true
              : undefined,
          { timeoutMs: 30_000, intervalMs: 100 },
        );
        const leftMs = await timeUntil('cluster whole again', () => whole().catch(() => false), { timeoutMs: 90_000 });
        console.log(`# TLS cluster, consul leave: whole again ${leftMs} ms after ${H2} showed left`);
        await leaving;
        await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 60_000 });
        const repairs = f.operator.repairs({ kind: 'ConsulCluster' }).slice(before);
        assert.deepEqual(
          repairs.map((r) => [r.why, r.host]),
          [
            ['ContainerStarted', H1],
            ['AgentRestarted', H2],
          ],
          JSON.stringify(repairs),
        );
      } finally {
        const pcap = await capture.stop();
        console.log(`# TLS cluster: ${pcap.length} bytes captured on the lab network during the repairs`);
        assert.ok(pcap.includes(marker), 'the capture saw the marker sent in clear: it sees what crosses the lab network');
        const https = await run('tcpdump', ['-nn', '-r', capture.file, `tcp port ${AGENT_HTTPS_PORT}`], { timeoutMs: 30_000 });
        assert.ok(
          https.stdout.split('\n').filter(Boolean).length > 10,
          `the capture holds the operator's HTTPS calls to the agents:\n${https.stderr}`,
        );
        for (const [what, secret] of Object.entries({ ...SECRETS, ...(await clusterTokenSecrets(f, CLUSTER)) }))
          assert.equal(
            pcap.includes(secret),
            false,
            `the ${what} crossed the lab network in clear:\n${await packetsHolding(capture.file, secret)}`,
          );
      }
    },
  );

  itE2E(
    f,
    'a new certificate for every server in KV reaches the agents one at a time; a quorum answers with a leader throughout',
    async () => {
      await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
      const hashes = new Map<string, string>();
      for (const h of HOST_NAMES)
        hashes.set(h, (await hostDocker(h).getContainer(AGENT).inspect()).Config.Labels['io.swarmop.config-hash']!);
      const before = f.operator.repairs({ kind: 'ConsulCluster' }).length;

      // Every 250 ms: how many servers answer over HTTPS and know a leader. Below 2 of 3 is a lost quorum.
      let sampling = true;
      let samples = 0;
      let belowQuorumMs = 0;
      let last = Date.now();
      const sampler = (async () => {
        while (sampling) {
          const views = await Promise.all(
            HOST_NAMES.map((h) => readAgentView(addr(h), { timeoutMs: 800, port: AGENT_HTTPS_PORT, tls: operatorTls, ...TOKENS })),
          );
          const now = Date.now();
          if (views.filter((v) => v.reachable && v.leader !== '').length < 2) belowQuorumMs += now - last;
          last = now;
          samples++;
          await new Promise((r) => setTimeout(r, 250));
        }
      })();

      const began = Date.now();
      try {
        await putAgentCerts();
        await eventually(
          'every agent replaced with its new certificate',
          async () => {
            for (const h of HOST_NAMES) {
              const c = await hostDocker(h)
                .getContainer(AGENT)
                .inspect()
                .catch(() => undefined);
              if (!c?.State.Running || c.Config.Labels['io.swarmop.config-hash'] === hashes.get(h)) return undefined;
            }
            return true;
          },
          { timeoutMs: 180_000 },
        );
        await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
        await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 60_000 });
      } finally {
        sampling = false;
        await sampler;
      }
      console.log(
        `# TLS cluster, new certificates in KV: rolled in ${Date.now() - began} ms; ${samples} samples, ${belowQuorumMs} ms with fewer than 2 of 3 servers answering with a leader`,
      );
      assert.equal(belowQuorumMs, 0, 'time with fewer than a quorum of servers answering with a leader');
      for (const h of HOST_NAMES)
        assert.equal(
          await servedSerial(addr(h), operatorTls),
          new X509Certificate(agentCerts.get(h)!.cert).serialNumber,
          `${h} serves its new certificate`,
        );
      const repairs = f.operator.repairs({ kind: 'ConsulCluster' }).slice(before);
      assert.deepEqual(
        repairs.map((r) => r.why),
        ['ContainerReplaced', 'ContainerReplaced', 'ContainerReplaced'],
        JSON.stringify(repairs),
      );
      assert.deepEqual(repairs.map((r) => r.host).sort(), [...HOST_NAMES].sort());
    },
  );
});
