/**
 * The SwarmCluster reconciler against the lab's three real engines (hack/lab.sh up): consulsvr
 * manager, consul01/consul02 workers. The tests break the swarm the way people do by hand (leave,
 * promote/demote, token rotation) through the engines' API and check one reconcile repairs it,
 * while a replicated service on the workers keeps its tasks. Lab hosts are never restarted or wiped
 * here; the swarm itself is this controller's to form and break.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import type { SwarmCluster } from '../../crds/swarm-cluster.js';
import { enginesProblem, labSkip } from '../../../testing/lab/lab-precondition.js';
import { LAB_HOSTS, dockerFor, recordingContext, type RecordingContext } from '../../../testing/util/reconcile-context.js';
import { labSettings } from '../../../testing/lab/lab-settings.js';

/** The lab's hosts (.lab/env): the first is the swarm manager / first Consul server. */
const [H0, H1, H2] = LAB_HOSTS.map((h) => h.name) as [string, string, string];
const WORKLOAD_IMAGE = labSettings().workloadImage;
import { createSwarmClusterReconciler } from './index.js';
import { dockerSwarmApi } from './swarm-api.js';
import { eventually } from '../../../testing/util/wait-until.js';
import { nodeRows, type NodeRow } from '../../../testing/harness/swarm-nodes.js';

const TEST_LABEL = 'io.swarmop.test';
const TEST_VALUE = 'swarmcluster-int';
const SERVICE = 'swarmop-it-workload';

const skip = labSkip('swarmcluster.int', await enginesProblem(LAB_HOSTS.map((h) => ({ ...h, docker: dockerFor(h) }))));

const docker = Object.fromEntries(LAB_HOSTS.map((h) => [h.name, dockerFor(h)])) as Record<string, Docker>;
const manager = () => docker[H0]!;

const resource: SwarmCluster = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'SwarmCluster',
  metadata: { name: 'swarm-it' },
  spec: { managers: [H0], workers: [H1, H2], availability: 'active', prune: false },
};
const reconciler = createSwarmClusterReconciler({ downGraceMs: 10_000 });

async function reconcile(): Promise<{ ctx: RecordingContext; out: Awaited<ReturnType<typeof reconciler.reconcile>> }> {
  const ctx = recordingContext();
  const out = await reconciler.reconcile(resource, ctx);
  return { ctx, out };
}

/**
 * Reconciles until Ready and the manager answers manager calls (after role changes a manager needs
 * a few seconds before it serves the API, and raft may refuse a demotion until the new member caught up).
 */
async function reconcileUntilReady(timeoutMs = 60_000): Promise<RecordingContext[]> {
  const all: RecordingContext[] = [];
  await eventually(
    'SwarmCluster Ready',
    async () => {
      const { ctx, out } = await reconcile();
      all.push(ctx);
      if (out.conditions.find((c) => c.type === 'Ready')?.status !== 'True') return undefined;
      await manager().swarmInspect();
      return true;
    },
    { timeoutMs, intervalMs: 250 },
  );
  return all;
}

const nodes = async () => nodeRows(manager());
const nodeOf = async (hostname: string) => (await nodes()).find((n) => n.Description.Hostname === hostname && n.Status.State === 'ready');

async function runningTasks(): Promise<number> {
  const tasks = (await manager().listTasks({ filters: { service: [SERVICE], 'desired-state': ['running'] } })) as {
    Status: { State: string };
  }[];
  return tasks.filter((t) => t.Status.State === 'running').length;
}

async function removeTestServices(): Promise<void> {
  try {
    const services = (await manager().listServices({ filters: { label: [`${TEST_LABEL}=${TEST_VALUE}`] } })) as { ID: string }[];
    for (const s of services) await manager().getService(s.ID).remove();
  } catch {
    // No swarm (yet): nothing to remove.
  }
}

// One suite per file: the lab suites run one after another in one process (hack/test.sh), where
// root-level hooks would run at the start and end of the whole chain instead of this file's.
describe('SwarmCluster reconciler on the lab', { concurrency: false }, () => {
  before(async () => {
    if (skip) return;
    await removeTestServices();
  });

  after(async () => {
    if (skip) return;
    await removeTestServices();
  });

  test('forms the swarm from nothing: consulsvr manager, consul01/consul02 workers, all ready', { skip }, async () => {
    // Start from no swarm at all: every engine leaves (workers first so the manager goes last).
    for (const h of [H1, H2, H0]) await dockerSwarmApi(docker[h]!, h).leave(true);
    const t0 = Date.now();
    const { ctx, out } = await reconcile();
    const ms = Date.now() - t0;
    console.log(`# swarm formed from nothing in ${ms} ms`);
    assert.deepEqual(ctx.repairs, []);
    assert.deepEqual(
      ctx.events.map((e) => e.reason),
      ['SwarmInitialized', 'NodeJoined', 'NodeJoined'],
    );
    assert.equal(out.conditions.find((c) => c.type === 'Ready')?.status, 'True', JSON.stringify(out.conditions));
    const rows = (await nodes()).map((n) => `${n.Description.Hostname}:${n.Spec.Role}:${n.Status.State}`).sort();
    assert.deepEqual(rows, [`${H1}:worker:ready`, `${H2}:worker:ready`, `${H0}:manager:ready`].sort());
    assert.equal(out.observed.swarmID, ((await manager().swarmInspect()) as { ID: string }).ID);

    // A replicated service on the workers, which must keep running through the repairs below.
    await manager().createService({
      Name: SERVICE,
      Labels: { [TEST_LABEL]: TEST_VALUE, 'io.swarmop.lab': '1' },
      TaskTemplate: { ContainerSpec: { Image: WORKLOAD_IMAGE }, Placement: { Constraints: ['node.role==worker'] } },
      Mode: { Replicated: { Replicas: 2 } },
    } as never);
    await eventually('2 running tasks', async () => ((await runningTasks()) === 2 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  });

  test('a converged swarm is a no-op: no repairs, no events, node objects unchanged', { skip }, async () => {
    await reconcileUntilReady();
    const before = (await nodes()).map((n) => `${n.ID}@${(n as unknown as { Version: { Index: number } }).Version.Index}`).sort();
    const { ctx, out } = await reconcile();
    assert.deepEqual(ctx.repairs, []);
    assert.deepEqual(ctx.events, []);
    assert.equal(out.requeueAfter, undefined);
    const after = (await nodes()).map((n) => `${n.ID}@${(n as unknown as { Version: { Index: number } }).Version.Index}`).sort();
    assert.deepEqual(after, before);
  });

  test('a worker that ran `docker swarm leave --force` joins again and its stale entry is removed', { skip }, async () => {
    await reconcileUntilReady();
    await docker[H1]!.swarmLeave({ force: true });
    const t0 = Date.now();
    const runs = await reconcileUntilReady();
    console.log(`# worker leave -> Ready in ${Date.now() - t0} ms`);
    const repairs = runs.flatMap((c) => c.repairs);
    assert.deepEqual(
      repairs.map((r) => `${r.reason}@${r.host}`),
      [`NodeRejoined@${H1}`],
    );
    const rows = (await nodes()).filter((n) => n.Description.Hostname === H1);
    assert.equal(rows.length, 1, `exactly one ${H1} entry left`);
    assert.equal(rows[0]!.Status.State, 'ready');
  });

  test('roles changed by hand are set back: consul02 promoted, consulsvr demoted', { skip, timeout: 240_000 }, async () => {
    await reconcileUntilReady();
    const w = (await nodeOf(H2))!;
    const wv = (w as unknown as { Version: { Index: number } }).Version.Index;
    await manager()
      .getNode(w.ID)
      .update({ _query: { version: wv }, _body: { ...w.Spec, Role: 'manager' } } as never);
    // consulsvr demotes itself once consul02 is a reachable manager (a fresh manager needs a moment).
    await eventually(
      `${H0} demoted`,
      async () => {
        const svr = (await nodeOf(H0))! as unknown as NodeRow;
        await manager()
          .getNode(svr.ID)
          .update({ _query: { version: svr.Version.Index }, _body: { ...svr.Spec, Role: 'worker' } } as never);
        return true;
      },
      { intervalMs: 250 },
    );
    await eventually(
      `${H0} reads worker`,
      async () => (await nodeRows(docker[H2]!)).find((n) => n.Description.Hostname === H0)?.Spec.Role === 'worker' || undefined,
      { intervalMs: 250 },
    );

    const runs = await reconcileUntilReady(120_000);
    const repairs = runs.flatMap((c) => c.repairs).map((r) => `${r.reason}@${r.host}`);
    // Each role is restored exactly once.
    const count = (repair: string) => repairs.filter((r) => r === repair).length;
    const detail = runs
      .flatMap((c) => c.repairs)
      .map((r) => `${r.reason}@${r.host} (${r.found}: ${r.action})`)
      .join('; ');
    assert.deepEqual([count(`RoleRestored@${H0}`), count(`RoleRestored@${H2}`)], [1, 1], detail);
    // Swapping the only manager is harsh on swarmkit: while the managers change places a node may
    // lose every manager it knows and show Down (seen for the demoted leader, the promoted worker,
    // and on a loaded machine the untouched worker too). Swarmkit decides that, not this test; the
    // operator then joins that node again, once. That is the only other repair allowed: one
    // NodeRejoined at most, of one node, and nothing twice.
    const others = repairs.filter((r) => !r.startsWith('RoleRestored@'));
    assert.ok(others.length <= 1 && others.every((r) => [H0, H1, H2].some((h) => r === `NodeRejoined@${h}`)), detail);
    const rows = (await nodes()).map((n) => `${n.Description.Hostname}:${n.Spec.Role}`).sort();
    assert.deepEqual(rows, [`${H1}:worker`, `${H2}:worker`, `${H0}:manager`].sort());
  });

  test('after the join tokens are rotated a worker that left joins with the new token', { skip }, async () => {
    await reconcileUntilReady();
    type Inspect = { Version: { Index: number }; Spec: Record<string, unknown>; JoinTokens: { Worker: string } };
    // Once seen in CI: the first call after the previous test's manager swap failed with ECONNRESET
    // (a reset connection, not a refusal by raft; not reproduced since, the rotation went through on
    // the first attempt). A retry is allowed but visible: every failure is printed and at most
    // MAX_ROTATION_ATTEMPTS attempts within 10 s may be needed.
    const MAX_ROTATION_ATTEMPTS = 3;
    const refusals: string[] = [];
    const start = Date.now();
    let attempts = 0;
    const sw = await eventually(
      'the manager rotates the join tokens',
      async () => {
        attempts++;
        try {
          const before = (await manager().swarmInspect()) as Inspect;
          await manager().swarmUpdate({
            _query: { version: before.Version.Index, rotateWorkerToken: true, rotateManagerToken: true },
            _body: before.Spec,
          } as never);
          return before;
        } catch (err) {
          refusals.push(`+${Date.now() - start} ms: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`.slice(0, 300));
          if (attempts >= MAX_ROTATION_ATTEMPTS)
            throw new Error(
              `the manager refused the token rotation ${attempts} times while the SwarmCluster read Ready: ${refusals.join(' | ')}`,
            );
          return undefined;
        }
      },
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    console.log(
      `# token rotation: ${attempts} attempt(s) in ${Date.now() - start} ms${refusals.length ? `; failed first: ${refusals.join(' | ')}` : ''}`,
    );
    assert.ok(attempts <= MAX_ROTATION_ATTEMPTS, `${attempts} attempts`);
    const rotated = (await manager().swarmInspect()) as { JoinTokens: { Worker: string } };
    assert.notEqual(rotated.JoinTokens.Worker, sw.JoinTokens.Worker);
    await docker[H2]!.swarmLeave({ force: true });
    const runs = await reconcileUntilReady();
    assert.deepEqual(
      runs.flatMap((c) => c.repairs).map((r) => `${r.reason}@${r.host}`),
      [`NodeRejoined@${H2}`],
    );
  });

  test('the workload service kept its replicas through the repairs', { skip }, async () => {
    await eventually('2 running tasks', async () => ((await runningTasks()) === 2 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  });
});
