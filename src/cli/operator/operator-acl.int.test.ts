/**
 * The real `swarmop operator --leader-elect` process (the built CLI: `npm run build` first) on a
 * REAL Consul agent with ACLs on (default deny), holding a token made from
 * deploy/consul-acl/operator.hcl exactly as the file is, while a CI job holds tokens from the
 * apply-<kind>.hcl files and runs the CLI. The operator leads (session, lock and its TTL check on
 * the agent), reconciles what the job applies (status, events, its finalizer written into the
 * document), and no store call of its is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureIo } from '../../../testing/util/capture-io.js';
import { startConsulAgent, type ConsulAgentHandle } from '../../../testing/harness/consul-agent.js';
import { OperatorProcess } from '../../../testing/harness/operator-process.js';
import { waitUntil } from '../../../testing/util/wait-until.js';
import { main } from '../main.js';
import { ConsulKv } from '../../store/consul-kv.js';
import { DEFAULT_PREFIX, objectKey, statusKey } from '../../store/store-keys.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const P = DEFAULT_PREFIX;

let agent: ConsulAgentHandle;
let master: ConsulKv;
let operator: OperatorProcess | undefined;
let dir = '';

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${agent.httpAddr}${path}`, {
    method,
    headers: { 'X-Consul-Token': agent.masterToken! },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A token for the policy made from deploy/consul-acl/`file`, exactly as the file is. */
async function tokenFor(file: string): Promise<string> {
  const policy = await api('PUT', '/v1/acl/policy', {
    Name: file.replace(/\.hcl$/, ''),
    Rules: readFileSync(join(REPO, 'deploy/consul-acl', file), 'utf8'),
  });
  const token = await api('PUT', '/v1/acl/token', { Description: `test ${file}`, Policies: [{ ID: policy['ID'] }] });
  return String(token['SecretID']);
}

async function cli(token: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ env: { CONSUL_HTTP_ADDR: agent.address, CONSUL_HTTP_TOKEN: token }, cwd: dir });
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

/** waitUntil, with the operator's last lines when it times out. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  await waitUntil(what, check, 60_000, 200).catch((err: Error) => {
    throw new Error(`${err.message}\n${operator?.dump(60)}`);
  });
}

async function ready(kind: string, name: string): Promise<{ status: string; reason: string; message: string } | undefined> {
  const pair = await master.get(statusKey(P, kind, name));
  const st = pair
    ? (JSON.parse(pair.value) as { conditions?: { type: string; status: string; reason: string; message: string }[] })
    : undefined;
  return st?.conditions?.find((c) => c.type === 'Ready');
}

before(async () => {
  agent = await startConsulAgent({ acl: true });
  master = new ConsulKv({ address: agent.address, token: agent.masterToken! });
  await master.set('swarmop-secrets/dc/gossip', 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNA==');
  dir = mkdtempSync(join(tmpdir(), 'swarmop-acl-'));
});

after(async () => {
  if (operator?.running) await operator.stop('SIGKILL').catch(() => undefined);
  master?.close();
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test(
  "the operator with operator.hcl's token leads and reconciles what apply-<kind>.hcl tokens apply; no call of its is refused",
  { timeout: 180_000 },
  async () => {
    const opToken = await tokenFor('operator.hcl');
    const hostsToken = await tokenFor('apply-dockerhosts.hcl');
    const clustersToken = await tokenFor('apply-consulclusters.hcl');
    operator = new OperatorProcess({
      name: 'acl-operator',
      storeAddr: agent.address,
      prefix: P,
      env: { CONSUL_HTTP_TOKEN: opToken },
      // Secrets under the prefix the policy lets it read, and nowhere writable by a document writer.
      // standby on a lost lease (a loaded machine can miss the 1.5 s lease): it leads again.
      args: [
        '--leader-elect',
        '--on-leader-loss',
        'standby',
        '--lock-delay-seconds',
        '1',
        '--metrics-addr',
        '127.0.0.1:0',
        '--secrets-prefix',
        'swarmop-secrets/',
        '--resync-seconds',
        '5',
        '--log-level',
        'debug',
      ],
    });
    operator.start();
    await operator
      .waitForLog('started leading', (l) => l.message === 'started leading', 60_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}\n${operator?.dump()}`);
      });

    writeFileSync(
      join(dir, 'hosts.yaml'),
      'apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: nowhere}\nspec: {endpoint: "unix:///run/swarmop-acl-none/docker.sock", address: 127.0.0.1}\n',
    );
    writeFileSync(
      join(dir, 'cluster.yaml'),
      'apiVersion: swarmop.io/v1alpha1\nkind: ConsulCluster\nmetadata: {name: dc}\nspec:\n  datacenter: dc1\n  image: hashicorp/consul:1.8.7\n  gossipKeyRef: {kvKey: swarmop-secrets/dc/gossip}\n  servers: [{host: nowhere, node: n1}]\n',
    );
    const applied = [await cli(hostsToken, ['apply', '-f', 'hosts.yaml']), await cli(clustersToken, ['apply', '-f', 'cluster.yaml'])];
    assert.deepEqual(
      applied.map((r) => r.code),
      [0, 0],
      applied.map((r) => r.err).join('\n'),
    );

    // The operator writes status (and events) for both: the host's engine is not there.
    await until('DockerHost nowhere Ready=False', async () => (await ready('DockerHost', 'nowhere'))?.status === 'False');
    await until('ConsulCluster dc has a Ready condition', async () => (await ready('ConsulCluster', 'dc')) !== undefined);
    assert.ok((await master.list(`${P}events/`)).pairs.length > 0, 'events written');
    const cluster = JSON.parse((await master.get(objectKey(P, 'ConsulCluster', 'dc')))!.value) as { metadata: { finalizers?: string[] } };
    assert.ok((cluster.metadata.finalizers ?? []).length > 0, `the operator set its finalizer: ${JSON.stringify(cluster.metadata)}`);

    const refused = operator.lines.filter((l) => /permission denied|Forbidden|\b403\b|ACL not found/i.test(JSON.stringify(l)));
    assert.deepEqual(refused, [], 'no store call of the operator is refused');
    const exit = await operator.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, operator.dump());
  },
);
