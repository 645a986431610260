/**
 * ConsulCluster edge states on the lab's three hosts with real Consul 1.8.7 agents, each reached
 * on purpose: a server whose data dir was wiped (new node ID, same name), the leader cut off from
 * both followers, and a server force-left by hand after it failed. The cluster and its data dirs
 * are removed at the end. A lab that is not up fails the suite with what to run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labSkip } from '../../../testing/lab/lab-precondition.js';
import { LAB_HOSTS, recordingContext, type RecordingContext } from '../../../testing/util/reconcile-context.js';
import { forceLeave, readAgentView } from '../../consul/agent-http.js';
import { readNodeIdentity } from './node-identity.js';
import { healConsulPartition, partitionConsul } from '../../../testing/lab/consul-partition.js';
import { labConsulCluster, ready } from '../../../testing/lab/consul-lab-cluster.js';
import { createConsulClusterReconciler } from './index.js';
import { CLUSTER_LABEL, containerName } from './labels.js';
import { eventually } from '../../../testing/util/wait-until.js';

/** The lab's hosts (.lab/env): the first is the first Consul server. */
const [H0, H1, H2] = LAB_HOSTS.map((h) => h.name) as [string, string, string];
const { IMAGE, NAME, RUN, DATA_ROOT, docker, labProblem, removeForeignAgents, resource, reconcileUntil, removeAll, removeDataDirs } =
  labConsulCluster('itconsuledge');
// A lab that is not up fails the suite with what to run (lab-precondition.ts); it never skips silently.
const skip = labSkip('consul-edge.int', await labProblem());

describe('ConsulCluster edge states on the lab', { skip, concurrency: false }, () => {
  const rec = createConsulClusterReconciler({ pollIntervalMs: 500 });
  let ctx: RecordingContext;
  const freshCtx = () => (ctx = recordingContext());
  const addr = (host: string) => LAB_HOSTS.find((h) => h.name === host)!.address;
  const allAlive = async () => {
    for (const h of LAB_HOSTS) {
      const v = await readAgentView(h.address);
      if (!v.reachable || v.leader === '' || v.members.filter((m) => m.status === 'alive').length !== 3) return false;
    }
    return true;
  };

  before(async () => {
    await removeForeignAgents();
    await removeAll();
  });
  after(async () => {
    await removeAll();
    await removeDataDirs().catch(() => undefined);
  });

  test('forms the cluster', async () => {
    freshCtx();
    await reconcileUntil(rec, resource(), ctx, ready);
  });

  test('a server whose data dir was wiped (new node ID, same name) gets its catalog entry back in one repair, no standoff', async () => {
    freshCtx();
    const before = (await readNodeIdentity(addr(H2)))!;
    const c = docker(H2).getContainer(containerName(NAME));
    await c.stop({ t: 1 });
    const wipe = await docker(H2).createContainer({
      Image: IMAGE,
      Entrypoint: ['sh', '-c', `rm -rf /data/${RUN}/*`],
      Labels: { 'io.swarmop.lab': '1', [`${CLUSTER_LABEL}-cleanup`]: NAME },
      HostConfig: { Binds: [`${DATA_ROOT}:/data`] },
    });
    await wipe.start();
    await wipe.wait();
    await wipe.remove({ force: true });
    await c.start();
    const standoff = await eventually('the wiped server answers with a new node ID while the catalog keeps the old one', async () => {
      const id = await readNodeIdentity(addr(H2));
      return id && id.nodeID !== before.nodeID && id.catalogNodeID === before.nodeID ? id : undefined;
    });
    const { ms } = await reconcileUntil(rec, resource(), ctx, (o) => ready(o) && ctx.repairs.some((r) => r.reason === 'NodeIDReclaimed'));
    const after = (await readNodeIdentity(addr(H2)))!;
    console.log(`# wiped data dir: standoff -> catalog fixed in ${ms} ms`);
    assert.equal(after.catalogNodeID, standoff.nodeID);
    assert.deepEqual(
      ctx.repairs.map((r) => `${r.reason}@${r.host ?? ''}`).filter((r) => !r.startsWith('MemberRejoined')),
      [`NodeIDReclaimed@${H2}`],
    );
  });

  test('the leader cut off from both followers: the followers elect a leader, the reconciler rejoins the old one once after the heal', async () => {
    freshCtx();
    await reconcileUntil(rec, resource(), ctx, ready);
    const leaderIp = (await readAgentView(addr(H0))).leader.replace(/:\d+$/, '');
    const leaderHost = LAB_HOSTS.find((h) => h.address === leaderIp)!.name;
    const followers = LAB_HOSTS.filter((h) => h.name !== leaderHost).map((h) => h.address);
    freshCtx();
    await partitionConsul(docker(leaderHost), followers);
    try {
      await eventually(
        'the followers elect a new leader',
        async () => {
          const v = await readAgentView(followers[0]!);
          return v.leader !== '' && !v.leader.startsWith(`${leaderIp}:`) ? true : undefined;
        },
        { timeoutMs: 60_000 },
      );
      // Once the new leader's agent sees the old one failed, the reconciler tries to join it (as
      // the operator would while the partition lasts): those joins time out, which is no repair.
      // Without them, Consul's gossip may heal the old leader after the heal before any reconcile
      // looks, and the test could not tell a repair from none.
      await eventually(
        `the new leader sees ${leaderHost} failed`,
        async () => {
          const v = await readAgentView(followers[0]!);
          return v.members.find((m) => m.name === leaderHost)?.status === 'failed' || undefined;
        },
        { timeoutMs: 60_000 },
      );
      for (let i = 0; i < 3; i++) {
        await rec.reconcile(resource(), ctx);
        await new Promise((res) => setTimeout(res, 500));
      }
      assert.equal(ctx.repairs.length, 0, `no join lands while the partition lasts: ${JSON.stringify(ctx.repairs)}`);
    } finally {
      await healConsulPartition(docker(leaderHost), followers);
    }
    const { ms } = await reconcileUntil(rec, resource(), ctx, (o) => ready(o), 90_000);
    await eventually('every agent sees three alive members and a leader', async () => ((await allAlive()) ? true : undefined), {
      timeoutMs: 60_000,
    });
    console.log(
      `# leader ${leaderHost} partitioned from both followers, healed -> Ready in ${ms} ms, repairs: ${ctx.repairs.map((r) => `${r.reason}@${r.host}`).join(',') || 'none'}`,
    );
    // The join that was in flight at the heal (or the next one) brings the old leader back: one
    // MemberRejoined of that host, and no restart or removal of a member that only lost its network.
    assert.deepEqual(
      ctx.repairs.map((r) => `${r.reason}@${r.host ?? ''}`),
      [`MemberRejoined@${leaderHost}`],
      JSON.stringify(ctx.repairs),
    );
  });

  test('a server force-left by hand after it failed comes back as a voter', async () => {
    freshCtx();
    await reconcileUntil(rec, resource(), ctx, ready);
    // A stop (not a kill: docker would restart a killed agent by itself) leaves a failed member.
    await docker(H1).getContainer(containerName(NAME)).stop({ t: 1 });
    await eventually(
      `${H1} failed`,
      async () => (await readAgentView(addr(H0))).members.find((m) => m.name === H1)?.status === 'failed' || undefined,
      { timeoutMs: 30_000 },
    );
    await forceLeave(addr(H0), H1);
    await eventually(
      `${H1} left`,
      async () => (await readAgentView(addr(H0))).members.find((m) => m.name === H1)?.status === 'left' || undefined,
      { timeoutMs: 30_000 },
    );
    const { outcome, ms } = await reconcileUntil(
      rec,
      resource(),
      ctx,
      (o) => ready(o) && (o.observed.raftPeers?.filter((p) => p.voter).length ?? 0) === 3,
    );
    console.log(`# force-left server -> voter again in ${ms} ms, repairs: ${ctx.repairs.map((r) => `${r.reason}@${r.host}`).join(',')}`);
    assert.deepEqual(
      outcome.observed.members?.map((m) => `${m.node}:${m.status}`),
      [`${H0}:alive`, `${H1}:alive`, `${H2}:alive`],
    );
    assert.deepEqual(ctx.repairs.map((r) => `${r.reason}@${r.host}`).slice(0, 1), [`ContainerStarted@${H1}`]);
  });
});
