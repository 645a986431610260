/**
 * The ConsulCluster reconciler against the lab's three real Docker hosts (hack/lab.sh up) and
 * real Consul 1.8.7 agents: forms from nothing, repairs each drift with one step, is a no-op when
 * converged, rolls a configuration change keeping quorum, shrinks, and cleans up on delete.
 * A lab that is not up fails the suite with what to run (see lab-precondition.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execInContainer } from '../../docker/exec.js';
import { labSkip } from '../../../testing/lab/lab-precondition.js';
import { LAB_HOSTS, recordingContext, type RecordingContext } from '../../../testing/util/reconcile-context.js';

/** The lab's hosts (.lab/env): the first is the swarm manager / first Consul server. */
const [H0, H1, H2] = LAB_HOSTS.map((h) => h.name) as [string, string, string];
import { readAgentView } from '../../consul/agent-http.js';
import { createConsulClusterReconciler } from './index.js';
import { containerName } from './labels.js';
import { healConsulPartition, partitionConsul } from '../../../testing/lab/consul-partition.js';
import { labConsulCluster, ready } from '../../../testing/lab/consul-lab-cluster.js';
import { eventually } from '../../../testing/util/wait-until.js';
import { pidAlive } from '../../../testing/harness/consul-agent.js';

const {
  NAME,
  docker,
  labProblem: engineOrImageProblem,
  removeForeignAgents,
  resource,
  reconcileUntil,
  agentContainer,
  removeAll,
  removeDataDirs,
} = labConsulCluster('itconsul');

/** `consul leave` makes the agent exit after it drains; the operator restarts the container. */
const LEAVE_REPAIR = `AgentRestarted@${H1}`;
const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

async function labProblem(): Promise<string | undefined> {
  const problem = await engineOrImageProblem();
  if (problem) return problem;
  // The quick start's operator (hack/local-up.sh) would put its own cluster's agents back on the
  // hosts' ports while this suite runs; hack/test.sh stops it before the lab suites.
  const pidFile = join(REPO_ROOT, '.lab', 'operator.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
  if (pid > 0 && pidAlive(pid))
    return `the quick start's operator (hack/local-up.sh, pid ${pid}) runs on the lab and would restore its ConsulCluster on the hosts' ports: stop it (kill ${pid})`;
  return undefined;
}

const skip = labSkip('consulcluster.int', await labProblem());

describe('ConsulCluster reconciler on the lab', { skip, concurrency: false }, () => {
  const rec = createConsulClusterReconciler({ pollIntervalMs: 500 });
  let ctx: RecordingContext;
  const freshCtx = () => (ctx = recordingContext());

  before(async () => {
    await removeForeignAgents();
    await removeAll();
  });
  after(async () => {
    await removeAll();
    await removeDataDirs().catch(() => undefined);
  });

  test('forms a cluster from nothing: leader, three voting raft peers, every member alive', async () => {
    freshCtx();
    const { outcome, ms } = await reconcileUntil(rec, resource(), ctx, ready);
    console.log(`# formed from nothing in ${ms} ms`);
    assert.equal(outcome.observed.raftPeers?.length, 3);
    assert.ok(outcome.observed.raftPeers?.every((p) => p.voter));
    assert.ok(outcome.observed.leader);
    assert.deepEqual(
      outcome.observed.members?.map((m) => `${m.node}:${m.status}:${m.role}`),
      [`${H0}:alive:server`, `${H1}:alive:server`, `${H2}:alive:server`],
    );
    assert.equal(ctx.repairs.length, 0, 'creating is not a repair');
    assert.deepEqual(
      ctx.events.map((e) => e.reason),
      ['ClusterCreated'],
    );
    const c = (await agentContainer(H1))!;
    assert.equal(c.HostConfig.NetworkMode, 'host');
    assert.equal(c.HostConfig.RestartPolicy?.Name, 'unless-stopped');
    assert.equal(c.Config.Labels['io.swarmop.member'], H1);
    // The UI is served (-ui) on :8500.
    const ui = await fetch(`http://${LAB_HOSTS[1]!.address}:8500/ui/`, { signal: AbortSignal.timeout(3000) });
    assert.equal(ui.status, 200);
  });

  test('a converged cluster is a no-op: no repairs, no events, no restarts', async () => {
    freshCtx();
    const before = await Promise.all(LAB_HOSTS.map(async (h) => (await agentContainer(h.name))!.State.StartedAt));
    for (let i = 0; i < 3; i++) {
      const o = await rec.reconcile(resource(), ctx);
      assert.ok(ready(o));
    }
    assert.deepEqual(ctx.repairs, []);
    assert.deepEqual(ctx.events, []);
    const afterStarts = await Promise.all(LAB_HOSTS.map(async (h) => (await agentContainer(h.name))!.State.StartedAt));
    assert.deepEqual(afterStarts, before);
  });

  test('a stopped agent container is started again (one repair)', async () => {
    freshCtx();
    const c = docker(H2).getContainer(containerName(NAME));
    await c.stop({ t: 1 });
    // `docker stop` is not undone by the unless-stopped policy: whatever starts it is the operator.
    await new Promise((r) => setTimeout(r, 2000));
    const stopped = await c.inspect();
    assert.equal(stopped.State.Running, false);
    await reconcileUntil(rec, resource(), ctx, ready);
    assert.deepEqual(
      ctx.repairs.map((r) => `${r.reason}@${r.host}`),
      [`ContainerStarted@${H2}`],
    );
    const started = await c.inspect();
    assert.equal(started.State.Running, true);
    assert.equal(started.RestartCount, stopped.RestartCount, 'Docker did not restart it by policy');
  });

  test('a removed agent container is recreated with its data dir (one repair)', async () => {
    freshCtx();
    await docker(H1).getContainer(containerName(NAME)).remove({ force: true });
    const { ms } = await reconcileUntil(rec, resource(), ctx, ready);
    console.log(`# removed container -> Ready in ${ms} ms`);
    assert.deepEqual(
      ctx.repairs.map((r) => `${r.reason}@${r.host}`),
      [`ContainerRecreated@${H1}`],
    );
  });

  test('a member cut off (its Consul ports blackholed) and healed is failed while its agent answers: joined at once', async () => {
    freshCtx();
    const peers = LAB_HOSTS.filter((h) => h.name !== H2).map((h) => h.address);
    await partitionConsul(docker(H2), peers);
    try {
      // The others declare it failed (gossip suspicion, ~7 s) while its agent keeps answering HTTP.
      await eventually(
        `${H2} failed`,
        async () => (await readAgentView(LAB_HOSTS[0]!.address)).members.find((m) => m.name === H2)?.status === 'failed',
        { timeoutMs: 60_000 },
      );
    } finally {
      await healConsulPartition(docker(H2), peers);
    }
    const since = Math.floor(Date.now() / 1000) - 1;
    // Reconciled at once: left alone, a failed member only comes back through serf's reconnect
    // (every 30 s); the explicit join must be what brings it back.
    const { ms } = await reconcileUntil(rec, resource(), ctx, ready);
    console.log(`# failed member (agent answering) -> Ready in ${ms} ms`);
    assert.deepEqual(
      ctx.repairs.map((r) => `${r.reason}@${r.host}`),
      [`MemberRejoined@${H2}`],
    );
    const repair = ctx.repairs[0]!;
    assert.equal(repair.found, `member ${H2} is failed while its agent answers`);
    // The third agent, when it still saw it failed, joins it in the same step.
    // A join sent just before the heal may time out and be finished by the agent: the same repair, reported so.
    const m = /^joined (\S+) from (\S+)(?: \(and from (\S+)\))?(?:; the agent finished it after the call timed out)?$/.exec(repair.action);
    assert.ok(m, repair.action);
    assert.equal(m[1], LAB_HOSTS[2]!.address);
    if (m[3]) assert.equal(m[3], LAB_HOSTS.find((h) => h.address !== m[2] && h.name !== H2)!.address);
    // The join reached Consul: the agent it was sent through logged it.
    const via = LAB_HOSTS.find((h) => h.address === m[2])!;
    const logs = (await docker(via.name).getContainer(containerName(NAME)).logs({ stdout: true, stderr: true, since })).toString('latin1');
    assert.ok(logs.includes(`(LAN) joining: lan_addresses=[${LAB_HOSTS[2]!.address}]`), logs.slice(-2000));
    assert.ok(ms < 30_000, `back after ${ms} ms: not faster than serf's own reconnect`);
  });

  test("`consul leave` on a server with Docker's restart policy off: the operator restarts it (one repair)", async () => {
    freshCtx();
    const c = docker(H1).getContainer(containerName(NAME));
    // With the policy off only the operator can bring the agent back.
    await c.update({ RestartPolicy: { Name: 'no' } });
    try {
      const before = await c.inspect();
      const r = await execInContainer(docker(H1), containerName(NAME), ['consul', 'leave']);
      assert.equal(r.exitCode, 0, r.stderr);
      const { ms } = await reconcileUntil(rec, resource(), ctx, ready);
      console.log(`# consul leave -> Ready in ${ms} ms, repairs: ${ctx.repairs.map((x) => `${x.reason}: ${x.found}`).join(',')}`);
      assert.deepEqual(
        ctx.repairs.map((x) => `${x.reason}@${x.host}`),
        [LEAVE_REPAIR],
      );
      const afterLeave = await c.inspect();
      assert.equal(afterLeave.State.Running, true);
      assert.ok(afterLeave.State.StartedAt > before.State.StartedAt, 'the agent process was started again');
      assert.equal(afterLeave.RestartCount, before.RestartCount, 'not by a restart policy');
    } finally {
      await c.update({ RestartPolicy: { Name: 'unless-stopped' } });
    }
  });

  test('a configuration change replaces agents one at a time, followers first, a leader always back before the next', async () => {
    freshCtx();
    const changed = resource({ ui: false }, 2);
    const order: string[] = [];
    let leaderless = 0;
    const { ms } = await reconcileUntil(
      rec,
      changed,
      ctx,
      (o) => {
        if (!o.observed.leader) leaderless++;
        for (const r of ctx.repairs.slice(order.length)) order.push(r.host ?? '?');
        return ready(o);
      },
      180_000,
    );
    console.log(`# rolling replace of 3 servers in ${ms} ms; reconciles without a leader: ${leaderless}`);
    assert.deepEqual(
      ctx.repairs.map((r) => r.reason),
      ['ContainerReplaced', 'ContainerReplaced', 'ContainerReplaced'],
    );
    assert.equal(new Set(order).size, 3);
    for (const h of LAB_HOSTS) assert.ok(!(await agentContainer(h.name))!.Config.Cmd!.includes('-ui'));
  });

  test('a server removed from the spec leaves gracefully and its container goes; the rest keeps a leader', async () => {
    freshCtx();
    const two = resource({ ui: false, servers: LAB_HOSTS.slice(0, 2).map((h) => ({ host: h.name, node: h.name })), bootstrapExpect: 2 }, 3);
    const { outcome } = await reconcileUntil(rec, two, ctx, (o) => ready(o) && o.observed.raftPeers?.length === 2);
    assert.equal(await agentContainer(H2), undefined);
    assert.deepEqual(ctx.repairs.map((r) => `${r.reason}@${r.host}`).slice(0, 1), [`MemberRemoved@${H2}`]);
    assert.ok(
      ctx.repairs.every((r) => r.reason !== 'ContainerReplaced'),
      'the remaining servers are not restarted',
    );
    assert.deepEqual(outcome.observed.raftPeers?.map((p) => p.node).sort(), [H0, H1].sort());
  });

  test('the server added back joins the cluster again', async () => {
    freshCtx();
    await reconcileUntil(rec, resource({ ui: false }, 4), ctx, (o) => ready(o) && o.observed.raftPeers?.length === 3);
    // Consul still lists the removed server as `left`, so the operator sees a member whose container
    // is missing and recreates it (a repair, not a MembersAdded event).
    assert.deepEqual(
      ctx.repairs.map((r) => `${r.reason}@${r.host}: ${r.found}`),
      [`ContainerRecreated@${H2}: agent container ${containerName(NAME)} missing (member left)`],
    );
    assert.deepEqual(ctx.events, []);
    const c = (await agentContainer(H2))!;
    assert.equal(c.State.Running, true);
  });

  test('finalize removes every agent container of the cluster', async () => {
    freshCtx();
    const out = await rec.finalize(resource(), ctx);
    assert.equal(out.done, true);
    for (const h of LAB_HOSTS) assert.equal(await agentContainer(h.name), undefined);
  });
});
