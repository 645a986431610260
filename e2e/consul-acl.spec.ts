/**
 * A ConsulCluster with gossip encryption and ACLs on (default deny), from examples/ (its host names mapped onto the lab's): it
 * forms, a killed agent and a `consul leave` are each repaired with exactly one `drift repaired`
 * line, and neither `docker inspect` of an agent, the operator's log, its events nor the status
 * ever contain the gossip key or a token: the agents got them as a 0600 file in their container.
 * A new gossip key in the store is rotated through Consul's keyring, then the agents roll.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { agentMasterToken, agentTokens } from '../src/controllers/consulcluster/agent-config-file.js';
import { readAgentView } from '../src/consul/agent-http.js';
import { clusterTokenSecrets } from './framework/cluster-tokens.js';
import { clearConsulHosts, storePut } from './framework/consul-lab.js';
import { describeE2E, itE2E } from './framework/framework.js';
import { dockerOnHost, hostDocker, labManifest, labRoles, REPO_ROOT } from './framework/lab.js';
import { eventually, timeUntil } from '../testing/util/wait-until.js';

const CLUSTER = 'secured';
const AGENT = `swarmop-consul-${CLUSTER}`;
const IMAGE = 'hashicorp/consul:1.8.7';
const { lab } = labRoles();
const [H0, H1, H2] = lab.hosts.map((h) => h.name) as [string, string, string];
// The example names the reference lab's hosts; this lab's may be others (SWARMOP_LAB_HOSTS).
const REFERENCE_HOSTS: Record<string, string> = { consulsvr: H0, consul01: H1, consul02: H2 };
const MANIFEST = readFileSync(join(REPO_ROOT, 'examples', 'consulcluster-acl.yaml'), 'utf8').replace(
  /\b(consulsvr|consul01|consul02)\b/g,
  (name) => REFERENCE_HOSTS[name]!,
);
const KEY_KV = /gossipKeyRef: \{kvKey: ([^}]+)\}/.exec(MANIFEST)![1]!;
const TOKEN_KV = /aclTokenRef: \{kvKey: ([^}]+)\}/.exec(MANIFEST)![1]!;
const HOST_NAMES = [H0, H1, H2];

const GOSSIP_KEY = randomBytes(32).toString('base64');
const TOKEN = randomUUID();
const TOKENS = agentTokens(TOKEN, true);
const NEW_GOSSIP_KEY = randomBytes(32).toString('base64');
const SECRETS: Record<string, string> = {
  'gossip key': GOSSIP_KEY,
  'new gossip key': NEW_GOSSIP_KEY,
  'ACL token': TOKEN,
  'agent master token': agentMasterToken(TOKEN),
};

function leaks(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, s]) => text.includes(s))
    .map(([what]) => what);
}

async function keyringKeys(address: string): Promise<string[][]> {
  const res = await fetch(`http://${address}:8500/v1/operator/keyring`, { headers: { 'X-Consul-Token': TOKEN } });
  return ((await res.json()) as { Keys: Record<string, number> }[]).map((p) => Object.keys(p.Keys));
}

describeE2E('ConsulCluster with ACLs', (f) => {
  const addr = (host: string) => f.lab.hosts.find((h) => h.name === host)!.address;

  /** Every agent answers (with the operator's tokens), knows a leader and sees all three alive. */
  async function whole(): Promise<boolean> {
    const views = await Promise.all(HOST_NAMES.map((h) => readAgentView(addr(h), { timeoutMs: 800, ...TOKENS })));
    return views.every(
      (v) => v.reachable && v.leader !== '' && HOST_NAMES.every((n) => v.members.find((m) => m.name === n)?.status === 'alive'),
    );
  }

  async function assertNothingLeaks(): Promise<void> {
    // The tokens the operator made in the cluster (operator, per agent) are secrets too.
    Object.assign(SECRETS, await clusterTokenSecrets(f, CLUSTER));
    for (const h of HOST_NAMES) {
      const inspect = await dockerOnHost(h, ['inspect', AGENT], 15_000);
      assert.equal(inspect.code, 0, inspect.stderr);
      assert.deepEqual(leaks(inspect.stdout), [], `docker inspect ${AGENT} on ${h}`);
      assert.match(inspect.stdout, /"-config-file",\s*"\/consul\/config\/swarmop-secrets\.json"/);
    }
    assert.deepEqual(leaks(f.operator.lines.map((l) => JSON.stringify(l)).join('\n')), [], 'operator log');
    const events = await f.swarmop(['events']);
    assert.deepEqual(leaks(events.stdout + events.stderr), [], 'events');
    const obj = await f.swarmop(['get', 'consulcluster', CLUSTER, '-o', 'yaml']);
    assert.deepEqual(leaks(obj.stdout + obj.stderr), [], 'status');
  }

  before(async () => {
    await clearConsulHosts(HOST_NAMES, CLUSTER, IMAGE);
    await storePut(f, KEY_KV, GOSSIP_KEY);
    await storePut(f, TOKEN_KV, TOKEN);
  });

  after(async () => {
    await f.swarmop(['delete', 'consulcluster', CLUSTER]).catch(() => undefined);
    await eventually('agents removed by the finalizer', async () => ((await f.get('consulcluster', CLUSTER)) ? undefined : true), {
      timeoutMs: 60_000,
    }).catch(() => undefined);
    await clearConsulHosts(HOST_NAMES, CLUSTER, IMAGE);
    await storePut(f, KEY_KV, undefined);
    await storePut(f, TOKEN_KV, undefined);
  });

  itE2E(f, 'forms from the manifests with ACLs on (default deny); secrets only in a 0600 file owned by the agent user', async () => {
    await f.apply(labManifest('00-dockerhosts.yaml'));
    const began = Date.now();
    await f.apply(MANIFEST);
    const obj = await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 120_000 });
    console.log(`# ACL ConsulCluster formed from nothing, Ready after ${Date.now() - began} ms`);
    assert.equal(obj.status.raftPeers.length, 3);
    assert.ok(HOST_NAMES.includes(obj.status.leader));
    assert.ok(await whole());
    // Least privilege: the operator made its own token and one per agent, kept in the store.
    const made = await eventually('the operator token and one token per agent in the store', async () => {
      const t = await clusterTokenSecrets(f, CLUSTER);
      return ['operator token', ...HOST_NAMES.map((h) => `agents/${h} token`)].every((k) => t[k]) ? t : undefined;
    });
    assert.ok(!Object.values(made).includes(TOKEN), 'none of them is the initial management token');

    // Default deny is really on: without a token nobody is listed and raft is refused.
    const anonymous = await readAgentView(addr(H1), { timeoutMs: 2000 });
    assert.deepEqual(anonymous.members, []);
    assert.deepEqual(anonymous.raft, []);
    // The gossip key in use is the one from the store.
    assert.deepEqual(await keyringKeys(addr(H0)), [[GOSSIP_KEY], [GOSSIP_KEY]], 'WAN and LAN keyrings hold exactly the stored key');

    for (const h of HOST_NAMES) {
      const st = await dockerOnHost(
        h,
        [
          'exec',
          AGENT,
          'sh',
          '-c',
          "stat -c '%a %u %g' /consul/config/swarmop-secrets.json; awk '/^Uid:/{u=$2} /^Gid:/{g=$2} END{print u, g}' /proc/1/status",
        ],
        15_000,
      );
      assert.equal(st.code, 0, st.stderr);
      const [file, agentUser] = st.stdout.trim().split('\n');
      assert.equal(file, `600 ${agentUser}`, `on ${h}: file mode/owner vs the agent process's uid/gid`);
    }
    await assertNothingLeaks();
  });

  itE2E(f, 'a killed agent container is started again: one ContainerStarted repair', async () => {
    await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
    const before = f.operator.repairs({ kind: 'ConsulCluster' }).length;
    await hostDocker(H1).getContainer(AGENT).kill();
    const ms = await timeUntil('cluster whole again', () => whole().catch(() => false), { timeoutMs: 60_000 });
    await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 60_000 });
    console.log(`# ACL cluster, killed agent: whole again after ${ms} ms`);
    const repairs = f.operator.repairs({ kind: 'ConsulCluster' }).slice(before);
    assert.deepEqual(
      repairs.map((r) => [r.why, r.host]),
      [['ContainerStarted', H1]],
      JSON.stringify(repairs),
    );
  });

  itE2E(f, '`consul leave` on one server: one AgentRestarted repair, the member alive again', async () => {
    await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
    // The planner gives an agent started less than 20 s ago time to settle (it joins it rather than
    // restarting it); one that has been up longer and left is restarted at once, which is the case here.
    await eventually(
      `${H2} agent up for more than 21 s`,
      async () => Date.now() - Date.parse((await hostDocker(H2).getContainer(AGENT).inspect()).State.StartedAt) > 21_000,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const before = f.operator.repairs({ kind: 'ConsulCluster' }).length;
    // The CLI needs a token like anyone else on an ACL cluster; an exec's env is not in the container's inspect.
    const leaving = dockerOnHost(H2, ['exec', '-e', `CONSUL_HTTP_TOKEN=${TOKEN}`, AGENT, 'consul', 'leave'], 60_000);
    await eventually(
      `${H2} left`,
      async () =>
        (await readAgentView(addr(H0), { timeoutMs: 800, ...TOKENS })).members.find((m) => m.name === H2)?.status === 'left'
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const ms = await timeUntil('cluster whole again', () => whole().catch(() => false), { timeoutMs: 90_000 });
    await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 90_000 });
    console.log(`# ACL cluster, consul leave: whole again ${ms} ms after ${H2} showed left`);
    // The restart ends the agent's drain and with it the CLI (EOF, or killed with its container):
    // its exit code says nothing here; the member showing `left` above is the fault.
    await leaving;
    const repairs = f.operator.repairs({ kind: 'ConsulCluster' }).slice(before);
    assert.deepEqual(
      repairs.map((r) => [r.why, r.host]),
      [['AgentRestarted', H2]],
      JSON.stringify(repairs),
    );
    await assertNothingLeaks();
  });

  itE2E(f, 'a new gossip key in the store: one GossipKeyRotated through the keyring, then the agents replaced one at a time', async () => {
    await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
    const hashes = new Map<string, string>();
    for (const h of HOST_NAMES) hashes.set(h, (await hostDocker(h).getContainer(AGENT).inspect()).Config.Labels['io.swarmop.config-hash']!);
    const before = f.operator.repairs({ kind: 'ConsulCluster' }).length;
    const began = Date.now();
    await storePut(f, KEY_KV, NEW_GOSSIP_KEY);
    await eventually(
      'every agent replaced with the new configuration',
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
      { timeoutMs: 120_000 },
    );
    await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
    await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 60_000 });
    console.log(`# ACL cluster, gossip key changed in KV: rotated and rolled in ${Date.now() - began} ms`);
    const repairs = f.operator.repairs({ kind: 'ConsulCluster' }).slice(before);
    assert.deepEqual(
      repairs.map((r) => r.why),
      ['GossipKeyRotated', 'ContainerReplaced', 'ContainerReplaced', 'ContainerReplaced'],
      JSON.stringify(repairs),
    );
    assert.deepEqual(
      repairs
        .slice(1)
        .map((r) => r.host)
        .sort(),
      [...HOST_NAMES].sort(),
    );
    for (const h of HOST_NAMES)
      assert.deepEqual(await keyringKeys(addr(h)), [[NEW_GOSSIP_KEY], [NEW_GOSSIP_KEY]], `keyring seen from ${h}`);
    await assertNothingLeaks();
  });
});
