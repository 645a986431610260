/**
 * ConsulCluster on the lab: the reference topology's three servers form from nothing,
 * then each drift is made on purpose and the operator must repair it with one `drift repaired`:
 * an agent container killed, removed, a host cut off from the others' Consul traffic until it shows
 * `failed`, a rolling configuration change that keeps a leader throughout, a server removed from the
 * spec. Deleting the cluster removes every agent container (finalizer). A `consul leave` is repaired
 * by the real operator in e2e/consul-acl.spec.ts (one AgentRestarted) and, with Docker's restart
 * policy off, by the reconciler in consulcluster.int.test.ts (one AgentRestarted, not Docker's).
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { readAgentView } from '../src/consul/agent-http.js';
import { healConsulPartition, partitionConsul } from '../testing/lab/consul-partition.js';
import { describeE2E, itE2E } from './framework/framework.js';
import { dockerOnHost, hostDocker, labHosts, labManifest } from './framework/lab.js';
import { eventually, timeUntil } from '../testing/util/wait-until.js';

const HOSTS = labHosts().map((h) => ({ name: h.name, address: h.address }));
const CLUSTER = 'datacenter';
const AGENT = `swarmop-consul-${CLUSTER}`;
const LABEL = `io.swarmop.consulcluster=${CLUSTER}`;
const E2E_TAG = 'hashicorp/consul:1.8.7-e2e';

const manifest = labManifest;
const consulYaml = (over: { image?: string; ui?: boolean; servers?: string[] } = {}) => `apiVersion: swarmop.io/v1alpha1
kind: ConsulCluster
metadata:
  name: ${CLUSTER}
spec:
  datacenter: datacenter
  image: ${over.image ?? 'hashicorp/consul:1.8.7'}
  ui: ${over.ui ?? true}
  servers:
${(over.servers ?? HOSTS.map((h) => h.name)).map((h) => `    - {host: ${h}, node: ${h}}`).join('\n')}
`;

/** Every listed agent answers, knows a leader and sees every listed member alive. */
async function whole(hosts = HOSTS): Promise<boolean> {
  const views = await Promise.all(hosts.map((h) => readAgentView(h.address, { timeoutMs: 800 })));
  return views.every(
    (v) => v.reachable && v.leader !== '' && hosts.every((h) => v.members.find((m) => m.name === h.name)?.status === 'alive'),
  );
}

async function memberStatus(of: string, seenFrom = HOSTS[0]!.address): Promise<string | undefined> {
  return (await readAgentView(seenFrom, { timeoutMs: 800 })).members.find((m) => m.name === of)?.status;
}

async function removeAgents(): Promise<void> {
  for (const h of HOSTS) {
    const ps = await dockerOnHost(h.name, ['ps', '-aq', '--filter', `label=${LABEL}`], 15_000);
    const ids = ps.stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await dockerOnHost(h.name, ['rm', '-f', ...ids], 30_000);
    await dockerOnHost(h.name, ['rmi', E2E_TAG], 15_000).catch(() => undefined);
  }
}

describeE2E('ConsulCluster', (f) => {
  after(async () => {
    // The partition spec reconnects in its own finally; this is the safety net for the agents.
    await removeAgents();
  });

  itE2E(f, 'forms from nothing: three alive servers in `consul members` on every host, a leader, the UI on :8500', async () => {
    await removeAgents();
    await f.apply(manifest('00-dockerhosts.yaml'));
    const began = Date.now();
    await f.apply(consulYaml());
    const obj = await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 120_000 });
    console.log(`# ConsulCluster formed from nothing, Ready after ${Date.now() - began} ms`);
    assert.ok(obj.status.leader);
    assert.equal(obj.status.raftPeers.length, 3);
    for (const h of HOSTS) {
      const m = await dockerOnHost(h.name, ['exec', AGENT, 'consul', 'members'], 30_000);
      assert.equal(m.code, 0, m.stderr);
      assert.equal((m.stdout.match(/\balive\s+server\b/g) ?? []).length, 3, m.stdout);
    }
    const ui = await fetch(`http://${HOSTS[0]!.address}:8500/ui/`, { signal: AbortSignal.timeout(5000) });
    assert.equal(ui.status, 200);
  });

  itE2E(f, 'a killed agent container is started again by the operator (one ContainerStarted), not by Docker', async () => {
    await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
    const c = hostDocker(HOSTS[1]!.name).getContainer(AGENT);
    // Docker's restart policy off for this agent: only the operator can start it again.
    await c.update({ RestartPolicy: { Name: 'no' } });
    try {
      const before = f.operator.repairs({ kind: 'ConsulCluster' }).length;
      const restarts = (await c.inspect()).RestartCount;
      await c.kill();
      const ms = await timeUntil(
        'cluster whole again',
        async () => (await whole().catch(() => false)) && f.operator.repairs({ kind: 'ConsulCluster' }).length > before,
        { timeoutMs: 60_000 },
      );
      console.log(`# killed agent: whole again after ${ms} ms`);
      const repairs = f.operator.repairs({ kind: 'ConsulCluster' }).slice(before);
      assert.deepEqual(
        repairs.map((l) => `${l.why}@${l.host}`),
        [`ContainerStarted@${HOSTS[1]!.name}`],
      );
      const after = await c.inspect();
      assert.equal(after.State.Running, true);
      assert.equal(after.RestartCount, restarts, 'not restarted by a Docker restart policy');
    } finally {
      await c.update({ RestartPolicy: { Name: 'unless-stopped' } }).catch(() => undefined);
    }
  });

  itE2E(f, 'a removed agent container is recreated (ContainerRecreated)', async () => {
    await eventually('cluster whole', () => whole(), { timeoutMs: 60_000 });
    const before = f.operator.repairs({ kind: 'ConsulCluster' }).length;
    await hostDocker(HOSTS[2]!.name).getContainer(AGENT).remove({ force: true });
    const ms = await timeUntil(
      'cluster whole again',
      async () => (await whole()) && f.operator.repairs({ kind: 'ConsulCluster' }).length > before,
      { timeoutMs: 60_000 },
    );
    console.log(`# removed agent: recreated and whole after ${ms} ms`);
    assert.deepEqual(
      f.operator
        .repairs({ kind: 'ConsulCluster' })
        .slice(before)
        .map((l) => `${l.why}@${l.host}`),
      [`ContainerRecreated@${HOSTS[2]!.name}`],
    );
  });

  // Consul's ports only (blackhole ip rules on the host): unplugging the host from the lab network
  // would also tear down the pipework uplink (br0) a StaticIPAttachment keeps on the same host.
  itE2E(f, "a host cut off from the others' Consul traffic shows `failed`; once healed it is joined at once (MemberRejoined)", async () => {
    await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 90_000 });
    const victim = hostDocker(HOSTS[2]!.name);
    const peers = HOSTS.slice(0, 2).map((h) => h.address);
    const before = f.operator.repairs({ kind: 'ConsulCluster' }).length;
    await partitionConsul(victim, peers);
    try {
      await eventually(
        `${HOSTS[2]!.name} failed`,
        async () => ['failed', 'left'].includes((await memberStatus(HOSTS[2]!.name).catch(() => undefined)) ?? '') || undefined,
        { timeoutMs: 60_000 },
      );
      await f.waitCondition('consulcluster', CLUSTER, 'True', { type: 'Degraded', timeoutMs: 30_000 });
    } finally {
      await healConsulPartition(victim, peers);
    }
    const ms = await timeUntil(
      'cluster whole after the heal',
      async () => (await whole().catch(() => false)) && f.operator.repairs({ kind: 'ConsulCluster' }).length > before,
      { timeoutMs: 60_000 },
    );
    console.log(`# partition healed: whole again ${ms} ms after the heal (Consul alone: ~30 s, see npm run bench:consul)`);
    // The operator's joins fail while the partition lasts (logged, no repair); the one after the
    // heal is the repair, and the only one.
    const repairs = f.operator.repairs({ kind: 'ConsulCluster' }).slice(before);
    assert.deepEqual(
      repairs.map((l) => `${l.why}@${l.host}`),
      [`MemberRejoined@${HOSTS[2]!.name}`],
      JSON.stringify(repairs),
    );
  });

  itE2E(f, 'an image change rolls one server at a time and a leader answers during the whole roll', async () => {
    await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 90_000 });
    for (const h of HOSTS) await hostDocker(h.name).getImage('hashicorp/consul:1.8.7').tag({ repo: 'hashicorp/consul', tag: '1.8.7-e2e' });
    const ids = new Map<string, string>();
    for (const h of HOSTS) ids.set(h.name, (await hostDocker(h.name).getContainer(AGENT).inspect()).Id);
    // Probe the leader every 100 ms from every agent; the longest time nobody knew one is the gap.
    let polling = true;
    let gap = 0;
    let lastSeen = Date.now();
    const probe = (async () => {
      while (polling) {
        const views = await Promise.all(HOSTS.map((h) => readAgentView(h.address, { timeoutMs: 500 })));
        if (views.some((v) => v.reachable && v.leader !== '')) lastSeen = Date.now();
        gap = Math.max(gap, Date.now() - lastSeen);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const began = Date.now();
    await f.apply(consulYaml({ image: E2E_TAG }));
    try {
      await eventually(
        'every agent replaced',
        async () => {
          for (const h of HOSTS) {
            const c = await hostDocker(h.name)
              .getContainer(AGENT)
              .inspect()
              .catch(() => undefined);
            if (!c || c.Id === ids.get(h.name) || c.Config.Image !== E2E_TAG || !c.State.Running) return undefined;
          }
          return true;
        },
        { timeoutMs: 180_000 },
      );
      await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 120_000 });
    } finally {
      polling = false;
      await probe;
    }
    console.log(`# rolling image change of 3 servers: ${Date.now() - began} ms, longest time without a known leader ${gap} ms`);
    assert.equal(f.operator.repairs({ kind: 'ConsulCluster', why: 'ContainerReplaced' }).length, 3);
    assert.ok(gap < 15_000, `leader gap ${gap} ms`);
  });

  itE2E(f, 'a server removed from the spec leaves gracefully; the other two keep a leader and are not restarted', async () => {
    await f.waitCondition('consulcluster', CLUSTER, 'True', { timeoutMs: 90_000 });
    const kept = HOSTS.slice(0, 2);
    const started = new Map<string, string>();
    for (const h of kept) started.set(h.name, (await hostDocker(h.name).getContainer(AGENT).inspect()).State.StartedAt);
    await f.apply(consulYaml({ image: E2E_TAG, servers: kept.map((h) => h.name) }));
    await eventually(
      `${HOSTS[2]!.name} agent gone`,
      async () =>
        (await hostDocker(HOSTS[2]!.name)
          .getContainer(AGENT)
          .inspect()
          .catch(() => undefined))
          ? undefined
          : true,
      { timeoutMs: 90_000 },
    );
    const obj = await eventually(
      'two raft peers and Ready',
      async () => {
        const o = await f.get('consulcluster', CLUSTER);
        const ready = o?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
        return ready?.status === 'True' && o?.status?.raftPeers?.length === 2 ? o : undefined;
      },
      { timeoutMs: 90_000 },
    );
    assert.deepEqual(obj.status.raftPeers.map((p: { node: string }) => p.node).sort(), [HOSTS[0]!.name, HOSTS[1]!.name].sort());
    assert.equal(await memberStatus(HOSTS[2]!.name), 'left');
    for (const h of kept) assert.equal((await hostDocker(h.name).getContainer(AGENT).inspect()).State.StartedAt, started.get(h.name));
  });

  itE2E(f, 'deleting the ConsulCluster removes every agent container', async () => {
    const r = await f.swarmop(['delete', 'consulcluster', CLUSTER]);
    assert.equal(r.code, 0, r.stderr);
    await eventually('object gone', async () => ((await f.get('consulcluster', CLUSTER)) ? undefined : true), { timeoutMs: 60_000 });
    for (const h of HOSTS) {
      const ps = await dockerOnHost(h.name, ['ps', '-aq', '--filter', `label=${LABEL}`], 15_000);
      assert.equal(ps.stdout.trim(), '', `agent left on ${h.name}`);
    }
  });
});
