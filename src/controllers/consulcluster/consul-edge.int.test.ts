/**
 * ConsulCluster edge states on the lab's three hosts with real Consul 1.8.7 agents, each reached
 * on purpose: a server whose data dir was wiped (new node ID, same name), the leader cut off from
 * both followers, and a server force-left by hand after it failed. The cluster and its data dirs
 * are removed at the end. A lab that is not up fails the suite with what to run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import type { ConsulCluster, ConsulClusterSpec } from '../../crds/consul-cluster.js';
import { enginesProblem, labSkip, patiently } from '../../testing/lab-precondition.js';
import { LAB_HOSTS, dockerFor, recordingContext, type RecordingContext } from '../../testing/reconcile-context.js';
import type { ReconcileOutcome } from '../reconciler.js';
import { forceLeave, readAgentView } from './agent-http.js';
import { readNodeIdentity } from './node-identity.js';
import { healConsulPartition, partitionConsul } from './testing-partition.js';
import { createConsulClusterReconciler, type ConsulClusterObserved, type ConsulClusterReconciler } from './index.js';
import { CLUSTER_LABEL, containerName } from './labels.js';

const IMAGE = process.env.SWARMOP_CONSUL_IMAGE ?? 'hashicorp/consul:1.8.7';
const NAME = 'itconsuledge';
const DATA_ROOT = '/var/lib/swarmop/consul';
const RUN = `${NAME}-${process.pid}`;
const dockers = new Map(LAB_HOSTS.map((h) => [h.name, dockerFor(h)]));
const docker = (host: string): Docker => dockers.get(host)!;

async function labProblem(): Promise<string | undefined> {
  const unreachable = await enginesProblem(LAB_HOSTS.map((h) => ({ ...h, docker: docker(h.name) })));
  if (unreachable) return unreachable;
  for (const h of LAB_HOSTS) {
    const missing = await patiently(() => docker(h.name).getImage(IMAGE).inspect(), { attempts: 2 });
    if (missing) return `image ${IMAGE} missing on ${h.name} (${missing})`;
  }
  return undefined;
}

/**
 * Agents run with --net host: another ConsulCluster's agent on a host (a leftover of a run that is
 * over: lab suites run one at a time) would own the ports. Removed, and named in the log.
 */
async function removeForeignAgents(): Promise<void> {
  for (const h of LAB_HOSTS) {
    const list = await docker(h.name).listContainers({ all: true, filters: { label: [CLUSTER_LABEL] } });
    for (const c of list.filter((x) => x.Labels[CLUSTER_LABEL] !== NAME)) {
      console.log(`# removing leftover agent ${c.Names[0]} of ConsulCluster ${c.Labels[CLUSTER_LABEL]} on ${h.name}`);
      await docker(h.name).getContainer(c.Id).remove({ force: true });
    }
  }
}
// A lab that is not up fails the suite with what to run (lab-precondition.ts); it never skips silently.
const skip = labSkip('consul-edge.int', await labProblem());

function resource(over: Partial<ConsulClusterSpec> = {}, generation = 1): ConsulCluster {
  const spec: ConsulClusterSpec = {
    datacenter: 'itdc',
    image: IMAGE,
    ui: true,
    servers: LAB_HOSTS.map((h) => ({ host: h.name, node: h.name })),
    bootstrapExpect: 3,
    dataDir: `${DATA_ROOT}/${RUN}`,
    retryInterval: '2s',
    ...over,
  };
  return { apiVersion: 'swarmop.io/v1alpha1', kind: 'ConsulCluster', metadata: { name: NAME, uid: RUN, generation }, spec };
}

type Outcome = ReconcileOutcome<ConsulClusterObserved>;
const ready = (o: Outcome) => o.conditions.find((c) => c.type === 'Ready')?.status === 'True';

/** Reconciles like the operator would (honouring requeueAfter) until `done`, or fails after timeoutMs. */
async function reconcileUntil(rec: ConsulClusterReconciler, r: ConsulCluster, ctx: RecordingContext, done: (o: Outcome) => boolean, timeoutMs = 90_000): Promise<{ outcome: Outcome; ms: number; rounds: number }> {
  const start = Date.now();
  let last: Outcome | undefined;
  let rounds = 0;
  while (Date.now() - start < timeoutMs) {
    last = await rec.reconcile(r, ctx);
    rounds++;
    if (done(last)) return { outcome: last, ms: Date.now() - start, rounds };
    await new Promise((res) => setTimeout(res, Math.min(last!.requeueAfter ?? 500, 500)));
  }
  assert.fail(`not converged after ${timeoutMs} ms; last conditions: ${JSON.stringify(last?.conditions)}`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    await new Promise((res) => setTimeout(res, 250));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function agentContainer(host: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker(host).getContainer(containerName(NAME)).inspect();
  } catch {
    return undefined;
  }
}

async function removeAll(): Promise<void> {
  for (const h of LAB_HOSTS) {
    const list = await docker(h.name).listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=${NAME}`] } }).catch(() => []);
    for (const c of list) await docker(h.name).getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
}

/** Removes this run's data dirs on the hosts (through a short-lived container of the same image). */
async function removeDataDirs(): Promise<void> {
  for (const h of LAB_HOSTS) {
    const d = docker(h.name);
    const c = await d.createContainer({
      Image: IMAGE,
      Entrypoint: ['rm', '-rf', `/data/${RUN}`],
      Labels: { 'io.swarmop.lab': '1', [`${CLUSTER_LABEL}-cleanup`]: NAME },
      HostConfig: { Binds: [`${DATA_ROOT}:/data`] },
    });
    await c.start();
    await c.wait();
    await c.remove({ force: true });
  }
}

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
    const before = (await readNodeIdentity(addr('consul02')))!;
    const c = docker('consul02').getContainer(containerName(NAME));
    await c.stop({ t: 1 });
    const wipe = await docker('consul02').createContainer({
      Image: IMAGE,
      Entrypoint: ['sh', '-c', `rm -rf /data/${RUN}/*`],
      Labels: { 'io.swarmop.lab': '1', [`${CLUSTER_LABEL}-cleanup`]: NAME },
      HostConfig: { Binds: [`${DATA_ROOT}:/data`] },
    });
    await wipe.start();
    await wipe.wait();
    await wipe.remove({ force: true });
    await c.start();
    const standoff = await waitFor('the wiped server answers with a new node ID while the catalog keeps the old one', async () => {
      const id = await readNodeIdentity(addr('consul02'));
      return id && id.nodeID !== before.nodeID && id.catalogNodeID === before.nodeID ? id : undefined;
    });
    const { ms } = await reconcileUntil(rec, resource(), ctx, (o) => ready(o) && ctx.repairs.some((r) => r.reason === 'NodeIDReclaimed'));
    const after = (await readNodeIdentity(addr('consul02')))!;
    console.log(`# wiped data dir: standoff -> catalog fixed in ${ms} ms`);
    assert.equal(after.catalogNodeID, standoff.nodeID);
    assert.deepEqual(ctx.repairs.map((r) => `${r.reason}@${r.host ?? ''}`).filter((r) => !r.startsWith('MemberRejoined')), ['NodeIDReclaimed@consul02']);
  });

  test('the leader cut off from both followers: the followers elect a leader, and after healing every member is alive again', async () => {
    freshCtx();
    await reconcileUntil(rec, resource(), ctx, ready);
    const leaderIp = (await readAgentView(addr('consulsvr'))).leader.replace(/:\d+$/, '');
    const leaderHost = LAB_HOSTS.find((h) => h.address === leaderIp)!.name;
    const followers = LAB_HOSTS.filter((h) => h.name !== leaderHost).map((h) => h.address);
    await partitionConsul(docker(leaderHost), followers);
    try {
      await waitFor('the followers elect a new leader', async () => {
        const v = await readAgentView(followers[0]!);
        return v.leader !== '' && !v.leader.startsWith(`${leaderIp}:`) ? true : undefined;
      }, 60_000);
    } finally {
      await healConsulPartition(docker(leaderHost), followers);
    }
    freshCtx();
    const { ms } = await reconcileUntil(rec, resource(), ctx, (o) => ready(o), 90_000);
    await waitFor('every agent sees three alive members and a leader', async () => ((await allAlive()) ? true : undefined), 60_000);
    console.log(`# leader ${leaderHost} partitioned from both followers, healed -> Ready in ${ms} ms, repairs: ${ctx.repairs.map((r) => `${r.reason}@${r.host}`).join(',') || 'none'}`);
    assert.ok(ctx.repairs.length <= 1, JSON.stringify(ctx.repairs));
  });

  test('a server force-left by hand after it failed comes back as a voter', async () => {
    freshCtx();
    await reconcileUntil(rec, resource(), ctx, ready);
    // A stop (not a kill: docker would restart a killed agent by itself) leaves a failed member.
    await docker('consul01').getContainer(containerName(NAME)).stop({ t: 1 });
    await waitFor('consul01 failed', async () => (await readAgentView(addr('consulsvr'))).members.find((m) => m.name === 'consul01')?.status === 'failed' || undefined, 30_000);
    await forceLeave(addr('consulsvr'), 'consul01');
    await waitFor('consul01 left', async () => (await readAgentView(addr('consulsvr'))).members.find((m) => m.name === 'consul01')?.status === 'left' || undefined, 30_000);
    const { outcome, ms } = await reconcileUntil(rec, resource(), ctx, (o) => ready(o) && (o.observed.raftPeers?.filter((p) => p.voter).length ?? 0) === 3);
    console.log(`# force-left server -> voter again in ${ms} ms, repairs: ${ctx.repairs.map((r) => `${r.reason}@${r.host}`).join(',')}`);
    assert.deepEqual(outcome.observed.members?.map((m) => `${m.node}:${m.status}`), ['consulsvr:alive', 'consul01:alive', 'consul02:alive']);
    assert.deepEqual(ctx.repairs.map((r) => `${r.reason}@${r.host}`).slice(0, 1), ['ContainerStarted@consul01']);
  });
});
