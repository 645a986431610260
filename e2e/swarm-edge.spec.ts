/**
 * SwarmCluster edge states on the lab, each reached on purpose with the real operator:
 * - a worker that ran `docker swarm leave --force` and was promoted by hand before the operator
 *   re-joined it (operator stopped meanwhile): a node whose spec says manager but which is not in
 *   the raft member list, which swarmkit refuses to demote. It must be removed with force and the
 *   engine joined again as a worker, in one repair;
 * - a healthy worker promoted by hand: demoted back, with the timeline printed (promotion ->
 *   raft member -> demoted -> all Ready);
 * - a node listed twice under its hostname (it left and was joined again by hand, its old entry
 *   kept), as a worker and, with three managers, as a manager: only the stale entry is removed;
 * - with three managers (the spec applies that topology for these cases, then the reference one
 *   again), one manager's engine restarted with its swarm state wiped while the other two keep
 *   quorum: its stale entry is taken out of the raft and removed, the engine joins as a manager;
 * - the only manager's swarm state gone while the workers stay in its swarm: QuorumLost naming the
 *   recovery command; allowForceNewCluster: true performs it and the workers re-join;
 * - a repair that keeps failing (consul02 cannot reach the manager's :2377, so every join times
 *   out), held 60 s: the retries back off (at most 10 attempts, one numbered warning line each) and
 *   the object shows Degraded/RepairFailing; once the path is open again the swarm converges.
 * The swarm state of the hosts is given back as it was found (formed or not).
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import { describeE2E, itE2E } from './framework/framework.js';
import { hostDocker, labCommand, labHosts } from './framework/lab.js';
import type { LogLine } from '../testing/harness/operator-process.js';
import { eventually } from '../testing/util/wait-until.js';
import { nodeRows } from '../testing/harness/swarm-nodes.js';

/** The lab's three hosts (consulsvr, consul01, consul02 with the default settings): the manager and two workers. */
const LAB = labHosts();
const HOSTS = LAB.slice(0, 3).map((h) => h.name);
const [MGR, W1, W2] = HOSTS as [string, string, string];
const addressOf = (h: string): string => LAB.find((x) => x.name === h)!.address;
const dockerHost = (h: string) => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata: {name: ${h}}
spec: {endpoint: "${LAB.find((x) => x.name === h)!.endpoint}", address: ${addressOf(h)}}
`;
const DOCKERHOSTS = HOSTS.map((h) => dockerHost(h)).join('---\n');
/** "host:role:state" rows as `node ls` sorts them (by hostname). */
const table = (rows: [string, string][]) => JSON.stringify(rows.map(([h, role]) => `${h}:${role}:ready`).sort());
const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const swarmYaml = (extra = '') => `apiVersion: swarmop.io/v1alpha1
kind: SwarmCluster
metadata: {name: swarm}
spec:
  managers: [${MGR}]
  workers: [${W1}, ${W2}]
${extra}`;

const docker = (h: string): Docker => hostDocker(h);
const managerRows = async () => nodeRows(docker(MGR));
const nodeTable = async () => (await managerRows()).map((n) => `${n.Description.Hostname}:${n.Spec.Role}:${n.Status.State}`).sort();
const CONVERGED = table([
  [MGR, 'manager'],
  [W1, 'worker'],
  [W2, 'worker'],
]);
const swarmState = async (h: string) => ((await docker(h).info()) as { Swarm: { LocalNodeState: string } }).Swarm.LocalNodeState;

async function promote(id: string): Promise<void> {
  const n = (await managerRows()).find((x) => x.ID === id)!;
  await docker(MGR)
    .getNode(id)
    .update({ _query: { version: n.Version.Index }, _body: { ...n.Spec, Role: 'manager' } } as never);
}

const at = (l: LogLine) => Date.parse(String(l.timestamp));

const THREE_MANAGERS = `apiVersion: swarmop.io/v1alpha1
kind: SwarmCluster
metadata: {name: swarm}
spec:
  managers: [${MGR}, ${W1}, ${W2}]
  workers: []
`;
const ALL_MANAGERS = table([
  [MGR, 'manager'],
  [W1, 'manager'],
  [W2, 'manager'],
]);

/** What a person types on `host`: `docker swarm join --token ... <manager>:2377` (the old entry stays listed). */
async function joinByHand(host: string, role: 'worker' | 'manager'): Promise<void> {
  const { JoinTokens } = (await docker(MGR).swarmInspect()) as { JoinTokens: { Worker: string; Manager: string } };
  await docker(host).swarmJoin({
    RemoteAddrs: [`${addressOf(MGR)}:2377`],
    JoinToken: role === 'manager' ? JoinTokens.Manager : JoinTokens.Worker,
    AdvertiseAddr: addressOf(host),
    ListenAddr: '0.0.0.0:2377',
  });
}

/** Node id of every entry, by hostname, sorted: what "nothing else changed" compares. */
const identities = async () => (await managerRows()).map((n) => `${n.Description.Hostname}:${n.Spec.Role}:${n.ID}`).sort();

describeE2E('SwarmCluster edge states', (f) => {
  /**
   * The operator's lines since `from`, once its first `drift repaired` line has arrived: the swarm can
   * look repaired (and the stored Ready can still be True from before the fault) a moment before the
   * operator, which logs a repair after its last step, has written that line.
   */
  const linesWithRepair = async (from: number) => {
    await eventually('a drift repaired line', () => f.operator.lines.slice(from).some((l) => l.message === 'drift repaired'), {
      timeoutMs: 15_000,
      intervalMs: 50,
    });
    return f.operator.lines.slice(from);
  };
  const expectConverged = (timeoutMs = 60_000) =>
    eventually(
      `node ls: ${MGR} manager, ${W1}/${W2} workers, all Ready, one entry each`,
      async () => JSON.stringify(await nodeTable()) === CONVERGED,
      {
        timeoutMs,
      },
    );
  let foundFormed = false;

  itE2E(f, 'forms the swarm of the reference topology', async () => {
    foundFormed = (await Promise.all(HOSTS.map(swarmState))).some((s) => s !== 'inactive');
    await f.apply(DOCKERHOSTS);
    await f.apply(swarmYaml());
    await expectConverged(90_000);
    await f.waitCondition('swarmcluster', 'swarm', 'True');
  });

  itE2E(
    f,
    'a worker promoted by hand after it left (manager by spec, not in raft) is removed with force and joins as a worker, in one repair',
    async () => {
      await f.operator.stop();
      const old = (await managerRows()).find((n) => n.Description.Hostname === W1)!;
      await docker(W1).swarmLeave({ force: true });
      await promote(old.ID);
      const row = (await managerRows()).find((n) => n.ID === old.ID)!;
      assert.equal(row.Spec.Role, 'manager');
      assert.equal(row.ManagerStatus, undefined, 'the promoted entry is not in the raft member list');
      // swarmkit refuses the demotion the operator used to loop on.
      await assert.rejects(
        async () =>
          docker(MGR)
            .getNode(old.ID)
            .update({ _query: { version: row.Version.Index }, _body: { ...row.Spec, Role: 'worker' } } as never),
        /can't find manager in raft memberlist/,
      );

      const from = f.operator.lines.length;
      const t0 = Date.now();
      f.operator.start();
      await eventually(
        `${W1} back under a new id, its old entry gone`,
        async () => {
          const rows = (await managerRows()).filter((n) => n.Description.Hostname === W1);
          return rows.length === 1 && rows[0]!.ID !== old.ID && rows[0]!.Status.State === 'ready' && rows[0]!.Spec.Role === 'worker';
        },
        { timeoutMs: 60_000 },
      );
      console.log(`# promoted-after-leave: operator start -> ${W1} a ready worker in ${Date.now() - t0} ms`);
      await expectConverged();
      await f.waitCondition('swarmcluster', 'swarm', 'True');
      const lines = await linesWithRepair(from);
      assert.deepEqual(
        lines.filter((l) => l.message === 'drift repaired').map((l) => `${l.why}@${l.host}`),
        [`NodeRejoined@${W1}`],
      );
      assert.deepEqual(
        lines.filter((l) => l.message === 'reconcile failed, will retry').map((l) => l.error),
        [],
      );
    },
  );

  itE2E(f, 'a healthy worker promoted by hand is demoted back once it is a raft member (timeline printed)', async () => {
    const w = (await managerRows()).find((n) => n.Description.Hostname === W2)!;
    const t0 = Date.now();
    await promote(w.ID);
    let member: number | undefined;
    let demoted: number | undefined;
    await eventually(
      `${W2} demoted back to worker`,
      async () => {
        const row = (await managerRows()).find((n) => n.ID === w.ID);
        if (member === undefined && row?.ManagerStatus) member = Date.now() - t0;
        if (row?.Spec.Role === 'worker') demoted = Date.now() - t0;
        return demoted;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await expectConverged();
    const ready = Date.now() - t0;
    console.log(
      `# promoted by hand: raft member after ${member ?? 'never seen'} ms, demoted after ${demoted} ms, all Ready after ${ready} ms`,
    );
    const repairs = f.operator.repairs({ host: W2 }).map((l) => l.why);
    assert.equal(repairs.at(-1), 'RoleRestored');
  });

  /**
   * Operator stopped: `host` leaves with force and is joined again by hand under a new id, so the
   * swarm lists its hostname twice. The operator then removes the old entry (demoting it first
   * when it is a raft member) and nothing else: one StaleNodeRemoved line, every other id kept.
   */
  async function listedTwice(host: string, role: 'worker' | 'manager', managerCount: number): Promise<void> {
    await f.operator.stop();
    const old = (await managerRows()).find((n) => n.Description.Hostname === host)!;
    await docker(host).swarmLeave({ force: true });
    await joinByHand(host, role);
    const twice = (await managerRows()).filter((n) => n.Description.Hostname === host);
    assert.equal(twice.length, 2, `${host} listed twice: ${twice.map((n) => n.ID).join(', ')}`);
    const fresh = twice.find((n) => n.ID !== old.ID)!;
    if (role === 'manager') assert.ok(old.ManagerStatus && fresh.ManagerStatus, 'both entries are raft members');
    const expected = (await identities()).filter((x) => !x.endsWith(`:${old.ID}`));

    const from = f.operator.lines.length;
    f.operator.start();
    await eventually(
      `${host}'s stale entry ${old.ID.slice(0, 12)} removed`,
      async () => !(await managerRows()).some((n) => n.ID === old.ID),
      { timeoutMs: 30_000 },
    );
    await eventually(
      `every node ready, ${managerCount} raft members reachable`,
      async () => {
        const rows = await managerRows();
        return (
          rows.every((n) => n.Status.State === 'ready') &&
          rows.filter((n) => n.ManagerStatus?.Reachability === 'reachable').length === managerCount
        );
      },
      { timeoutMs: 30_000 },
    );
    await f.waitCondition('swarmcluster', 'swarm', 'True');
    assert.deepEqual(await identities(), expected, 'the by-hand entry and every other node kept their ids and roles');
    const lines = await linesWithRepair(from);
    const repairs = lines.filter((l) => l.message === 'drift repaired');
    assert.deepEqual(
      repairs.map((l) => `${l.why}@${l.host}`),
      [`StaleNodeRemoved@${host}`],
    );
    assert.match(
      String(repairs[0]!.what),
      new RegExp(`^${host} has stale entries ${old.ID.slice(0, 12)} \\(\\w+\\) besides its node ${fresh.ID.slice(0, 12)}$`),
    );
    assert.deepEqual(
      lines.filter((l) => l.message === 'reconcile failed, will retry').map((l) => l.error),
      [],
    );
  }

  itE2E(f, 'a worker listed twice (left, joined again by hand, old entry kept): only the stale entry is removed', async () => {
    // consul01, not consul02: a node demoted seconds ago (the test above) may hang in `swarm leave`
    // while swarmkit still waits for its worker certificate.
    await listedTwice(W1, 'worker', 1);
    assert.equal(JSON.stringify(await nodeTable()), CONVERGED);
  });

  itE2E(f, 'three managers (the topology of the manager cases below)', async () => {
    await f.apply(THREE_MANAGERS);
    await eventually(
      `${MGR}, ${W1}, ${W2} managers, all reachable`,
      async () => {
        const rows = await managerRows();
        return JSON.stringify(await nodeTable()) === ALL_MANAGERS && rows.every((n) => n.ManagerStatus?.Reachability === 'reachable');
      },
      { timeoutMs: 90_000 },
    );
    await f.waitCondition('swarmcluster', 'swarm', 'True');
  });

  itE2E(
    f,
    'a manager whose engine restarts with its swarm state wiped, the other two keeping quorum: stale entry out of the raft and removed, the engine joins as a manager, in one repair',
    async () => {
      await f.operator.stop();
      const old = (await managerRows()).find((n) => n.Description.Hostname === W2)!;
      const others = (await identities()).filter((x) => !x.startsWith(`${W2}:`));
      const workloads = ((await docker(W2).listContainers({ filters: { label: ['io.swarmop.lab=1'] } })) as { Id: string }[]).map(
        (c) => c.Id,
      );
      await labCommand(['host-exec', W2, 'rm', '-rf', '/var/lib/docker/swarm']);
      await labCommand(['host-stop', W2]);
      await labCommand(['host-start', W2]);
      for (const id of workloads)
        await docker(W2)
          .getContainer(id)
          .start()
          .catch(() => undefined);
      assert.equal(await swarmState(W2), 'inactive', 'the engine came back without its swarm state');
      const stale = (await managerRows()).find((n) => n.ID === old.ID)!;
      assert.equal(stale.Spec.Role, 'manager');
      assert.ok(stale.ManagerStatus, 'the wiped manager is still a raft member');
      // Swarm alone keeps that entry and never re-joins the engine; the quorum (2 of 3) answers.
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(await swarmState(W2), 'inactive');
      assert.ok((await managerRows()).some((n) => n.ID === old.ID));

      const from = f.operator.lines.length;
      const t0 = Date.now();
      f.operator.start();
      await eventually(
        `${W2} a reachable manager under a new id, its old entry gone`,
        async () => {
          const rows = await managerRows();
          const c = rows.filter((n) => n.Description.Hostname === W2);
          return (
            c.length === 1 &&
            c[0]!.ID !== old.ID &&
            c[0]!.Spec.Role === 'manager' &&
            rows.every((n) => n.Status.State === 'ready' && n.ManagerStatus?.Reachability === 'reachable')
          );
        },
        { timeoutMs: 60_000 },
      );
      console.log(`# manager wiped (2 of 3 keep quorum): operator start -> ${W2} a reachable manager again in ${Date.now() - t0} ms`);
      await f.waitCondition('swarmcluster', 'swarm', 'True');
      assert.deepEqual(
        (await identities()).filter((x) => !x.startsWith(`${W2}:`)),
        others,
        'the other managers untouched',
      );
      const lines = await linesWithRepair(from);
      const repairs = lines.filter((l) => l.message === 'drift repaired');
      assert.deepEqual(
        repairs.map((l) => `${l.why}@${l.host}`),
        [`NodeRejoined@${W2}`],
      );
      const id = old.ID.slice(0, 12);
      assert.match(
        String(repairs[0]!.what),
        new RegExp(`^${W2} is not in the swarm \\(engine swarm state inactive\\) while the swarm lists it as ${id} \\(\\w+\\)$`),
      );
      assert.match(String(repairs[0]!.action), new RegExp(`^removed stale node ${id} \\(\\w+\\) and joined as manager$`));
    },
  );

  itE2E(
    f,
    'a manager listed twice (left, joined again by hand as a manager, old entry kept): the stale raft member is demoted and removed, nothing else',
    async () => {
      await listedTwice(W2, 'manager', 3);
      assert.equal(JSON.stringify(await nodeTable()), ALL_MANAGERS);
    },
  );

  itE2E(f, 'back to the reference topology (one manager, two workers)', async () => {
    await f.apply(swarmYaml());
    await expectConverged(90_000);
    await f.waitCondition('swarmcluster', 'swarm', 'True');
  });

  itE2E(
    f,
    'the only manager wiped: QuorumLost with the recovery command; allowForceNewCluster re-creates the swarm and re-joins the workers',
    async () => {
      const from = f.operator.lines.length;
      // The only manager loses its swarm state (what a wiped /var/lib/docker/swarm leaves); the workers stay in the dead swarm.
      await docker(MGR).swarmLeave({ force: true });
      const lost = await f.waitCondition('swarmcluster', 'swarm', 'False', { reason: 'QuorumLost', timeoutMs: 30_000 });
      const ready = lost.status.conditions.find((c: { type: string }) => c.type === 'Ready');
      assert.match(ready.message, new RegExp(`docker swarm init --advertise-addr ${escapeRe(addressOf(MGR))}\` on ${escapeRe(MGR)}`));
      assert.equal(await swarmState(W1), 'active', 'the operator did nothing on its own');
      const t0 = Date.now();
      await f.apply(swarmYaml('  allowForceNewCluster: true\n'));
      await expectConverged(90_000);
      console.log(`# only manager wiped: allowForceNewCluster -> converged in ${Date.now() - t0} ms`);
      await f.waitCondition('swarmcluster', 'swarm', 'True');
      assert.deepEqual(
        f.operator.lines
          .slice(from)
          .filter((l) => l.message === 'drift repaired')
          .map((l) => `${l.why}@${l.host}`)
          .sort(),
        [`NodeRejoined@${W1}`, `NodeRejoined@${W2}`],
      );
      await f.apply(swarmYaml());
      await f.waitCondition('swarmcluster', 'swarm', 'True');
    },
  );

  itE2E(
    f,
    'a repair that keeps failing for 60 s backs off (at most 10 attempts, growing gaps) and shows Degraded/RepairFailing',
    async () => {
      // consul02 cannot reach the manager's swarm port: every join it is told to make times out.
      const rule = ['OUTPUT', '-p', 'tcp', '-d', addressOf(MGR), '--dport', '2377', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
      await labCommand(['host-exec', W2, 'iptables', '-I', ...rule]);
      try {
        const from = f.operator.lines.length;
        await docker(W2).swarmLeave({ force: true });
        const t0 = Date.now();
        const failed = await f.waitCondition('swarmcluster', 'swarm', 'True', {
          type: 'Degraded',
          reason: 'RepairFailing',
          timeoutMs: 50_000,
        });
        const degraded = failed.status.conditions.find((c: { type: string }) => c.type === 'Degraded');
        assert.match(degraded.message, new RegExp(`^attempt \\d+: ${escapeRe(W2)}: .*failed: `));
        await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - t0))));
        const attempts = f.operator.lines.slice(from).filter((l) => l.message === 'reconcile failed, will retry' && l.name === 'swarm');
        const gaps = attempts.slice(1).map((l, i) => at(l) - at(attempts[i]!));
        console.log(
          `# failing repair held 60 s: ${attempts.length} attempts, gaps ${gaps.map((g) => `${(g / 1000).toFixed(1)}s`).join(' ')}; ${degraded.message}`,
        );
        assert.ok(attempts.length >= 2 && attempts.length <= 10, `${attempts.length} attempts`);
        assert.deepEqual(
          attempts.map((l) => l.attempt),
          attempts.map((_, i) => i + 1),
          'one warning line per attempt, numbered',
        );
        const events = (await f.swarmop(['events', 'swarmcluster', 'swarm'])).stdout;
        assert.ok(events.split('\n').filter((l) => l.includes('RepairFailing')).length >= 1, events);
      } finally {
        await labCommand(['host-exec', W2, 'iptables', '-D', ...rule]);
      }
      await expectConverged(90_000);
      await f.waitCondition('swarmcluster', 'swarm', 'True');
      await f.waitCondition('swarmcluster', 'swarm', 'False', { type: 'Degraded' });
    },
    { timeout: 240_000 },
  );

  itE2E(f, 'gives the hosts back as found', async () => {
    await f.operator.stop();
    if (!foundFormed)
      for (const h of [W1, W2, MGR])
        await docker(h)
          .swarmLeave({ force: true })
          .catch(() => undefined);
  });
});
