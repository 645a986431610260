/**
 * Break it on purpose: the whole reference topology (3 DockerHosts, the Consul
 * server cluster, the swarm, ubuntu114/ubuntu119's fixed addresses) under the real operator, then
 * one fault per `it`. Each ends with expectConverged: everything Ready at the current generation,
 * and nothing duplicated or lost (one eth1 per workload, one host veth, one agent container per
 * host, exactly three swarm nodes). The two 60 s outages (a lab host, the store Consul) run side by
 * side. Times are printed with `# ` in front.
 *
 * The spec leaves the lab as it found it apart from the swarm: attachments and the ConsulCluster
 * are deleted (finalizers undo them on the hosts) and every host leaves the swarm.
 */
import assert from 'node:assert/strict';
import { after, describe } from 'node:test';
import { startConsulAgent, type ConsulAgentHandle } from '../testing/harness/consul-agent.js';
import { describeE2E, itE2E } from './framework/framework.js';
import {
  ATTACHMENTS,
  CONSUL_AGENT,
  CONSUL_LABEL,
  HOSTS,
  docker,
  ensureWorkload,
  eth1Addresses,
  eth1Index,
  expectConverged,
  leadership,
  readyOf,
  storeCli,
  topologyYaml,
  ts,
} from './framework/faults.js';
import { dockerOnHost, hostDocker, LAB_OPERATOR_ARGS, labCommand, labRoles } from './framework/lab.js';
import { OperatorProcess } from '../testing/harness/operator-process.js';
import { repairsInFlight } from '../testing/util/repair-in-flight.js';
import { eventually, timeUntil } from '../testing/util/wait-until.js';

const { MGR, A, B, addressOf, WORKLOAD_IMAGE } = labRoles();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newRepairs = (lines: readonly Record<string, unknown>[], from: number) =>
  lines.slice(from).filter((l) => l['message'] === 'drift repaired');

describeE2E('Faults', (f) => {
  after(async () => {
    // Safety net when a spec failed before the teardown test: no agent container, no swarm left.
    if (!f.lab) return;
    for (const h of HOSTS) {
      const ids = (await dockerOnHost(h.name, ['ps', '-aq', '--filter', `label=${CONSUL_LABEL}`], 15_000)).stdout
        .trim()
        .split('\n')
        .filter(Boolean);
      if (ids.length) await dockerOnHost(h.name, ['rm', '-f', ...ids], 30_000);
    }
    for (const h of [...HOSTS].reverse())
      await hostDocker(h.name)
        .swarmLeave({ force: true })
        .catch(() => undefined);
  });

  itE2E(f, 'the reference topology converges from nothing', async () => {
    for (const a of ATTACHMENTS) await ensureWorkload(a.host, a.name);
    const began = Date.now();
    await f.apply(topologyYaml());
    await expectConverged(f, { timeoutMs: 180_000 });
    console.log(`# Faults: whole topology converged in ${Date.now() - began} ms`);
  });

  itE2E(
    f,
    'kill -9 of the operator 20 times during repairs: final state correct, nothing duplicated',
    async () => {
      await f.operator.stop();
      const KILLS = 20;
      let midRepair = 0;
      const began = Date.now();
      for (let i = 0; i < KILLS; i++) {
        const mark = f.operator.lines.length;
        f.operator.start();
        await eventually(
          'operator synced',
          () => f.operator.lines.slice(mark).some((l) => l.message === 'cache synced, starting controllers') || undefined,
          { timeoutMs: 30_000 },
        );
        // Drift under repair at the moment of the kill: ubuntu114 lost eth1 with its restart.
        await docker(A.host, ['restart', '-t', '0', A.name]);
        if (i % 2 === 0) {
          // The random kill moment is the point of this fault, hence a sleep rather than a poll.
          await sleep(Math.floor(Math.random() * 1200));
        } else {
          // Every other kill as soon as the repair starts, so some surely land inside one.
          await eventually(
            'applying plan logged',
            () => f.operator.lines.slice(mark).some((l) => l.message === 'applying plan' && l.host === A.host) || undefined,
            { timeoutMs: 30_000, intervalMs: 5 },
          );
        }
        await f.operator.kill();
        // Mid-repair, from the operator's own log order (every line it wrote is read once kill()
        // returns): a reconcile logged `applying plan` for the attachment and was killed before it
        // logged `drift repaired` or failed.
        if (repairsInFlight(f.operator.lines.slice(mark), A.host).length > 0) midRepair++;
      }
      const killedFor = Date.now() - began;
      f.operator.start();
      const ms = await timeUntil(
        `${A.name} attached after the last restart`,
        async () => (await eth1Addresses(A.host, A.name).catch(() => [])).length > 0,
        { timeoutMs: 60_000 },
      );
      await expectConverged(f);
      console.log(
        `# Faults: ${KILLS} kill -9 in ${killedFor} ms (${midRepair} landed between 'applying plan' and 'drift repaired'); attached ${ms} ms after the last restart`,
      );
      assert.ok(midRepair > 0, 'no kill landed while a repair was in flight (applying plan logged, drift repaired not yet)');
    },
    { timeout: 6 * 60_000 },
  );

  itE2E(f, 'two replicas with leader election: only the leader acts, the other takes over when it is killed', async () => {
    await f.operator.stop();
    // A 5 s leader check: this spec is about who acts, not how fast the lock moves, and a replica
    // stalled for 1.5 s on a loaded machine would otherwise give up the lock (and exit) by design.
    const args = [
      '--leader-elect',
      '--lease-seconds',
      '10',
      '--lock-delay-seconds',
      '1',
      '--leader-check-ttl-seconds',
      '5',
      '--log-level',
      'debug',
    ];
    const a = f.newOperator('replica-a', args);
    const b = f.newOperator('replica-b', args);
    a.start();
    try {
      await a.waitForLog('replica-a leading', (l) => l.message === 'started leading', 30_000);
      b.start();
      await b.waitForLog('replica-b up', (l) => l.message === 'operator starting', 30_000);
      const aBefore = a.repairs({ name: A.name }).length;
      await docker(A.host, ['restart', '-t', '0', A.name]);
      await eventually(`replica-a repairs ${A.name}`, () => a.repairs({ name: A.name }).length > aBefore || undefined, {
        timeoutMs: 30_000,
      });
      await a.kill();
      const killedAt = Date.now();
      const takeover = await timeUntil('replica-b leading', () => b.lines.some((l) => l.message === 'started leading'), {
        timeoutMs: 60_000,
      });
      await docker(A.host, ['restart', '-t', '0', A.name]);
      await eventually(`replica-b repairs ${A.name}`, () => b.repairs({ name: A.name }).length > 0 || undefined, { timeoutMs: 30_000 });
      await expectConverged(f);
      await b.stop();

      const la = leadership(a.lines);
      const lb = leadership(b.lines);
      assert.equal(la.starts.length, 1);
      assert.equal(lb.starts.length, 1);
      assert.deepEqual(la.actingWhileFollower, [], 'replica-a acted without the lock');
      assert.deepEqual(lb.actingWhileFollower, [], 'replica-b acted without the lock');
      assert.ok(la.acting.length > 0 && lb.acting.length > 0, 'both led in turn');
      // Never both: every line of b's acting comes after a's last line (a was killed), and b only
      // started leading after the kill.
      const aLast = Math.max(...a.lines.map(ts).filter(Number.isFinite));
      const bFirstActing = Math.min(...lb.acting.map(ts));
      assert.ok(ts(b.lines[lb.starts[0]!]) >= killedAt - 1000, 'b led only after a was killed');
      assert.ok(bFirstActing >= aLast, `b acted at ${bFirstActing}, a's last line at ${aLast}`);
      console.log(
        `# Faults: leader killed -> the other replica leading after ${takeover} ms (lease 10 s, leader check 5 s, lock-delay 1 s); a acted ${la.acting.length} times, b ${lb.acting.length}, never while following`,
      );
    } finally {
      await a.kill();
      await b.stop().catch(() => b.kill());
      if (!f.operator.running) f.operator.start();
    }
  });

  itE2E(f, 'everything at once: ubuntu114 restarted, a consul agent removed, a worker left the swarm: one repair each', async () => {
    if (!f.operator.running) f.operator.start();
    await expectConverged(f);
    const mark = f.operator.lines.length;
    const began = Date.now();
    await Promise.all([
      docker(A.host, ['restart', '-t', '0', A.name]),
      docker(B.host, ['rm', '-f', CONSUL_AGENT]),
      hostDocker(A.host).swarmLeave({ force: true }),
    ]);
    await expectConverged(f);
    const ms = Date.now() - began;
    await eventually(
      'a repair logged by each controller',
      () =>
        ['StaticIPAttachment', 'ConsulCluster', 'SwarmCluster'].every((k) =>
          newRepairs(f.operator.lines, mark).some((l) => l['kind'] === k),
        ) || undefined,
      { timeoutMs: 30_000 },
    ).catch(() => undefined);
    const repairs = newRepairs(f.operator.lines, mark);
    const byKind = (k: string) => repairs.filter((l) => l['kind'] === k);
    console.log(
      `# Faults: three drifts at once converged in ${ms} ms; repairs: ${repairs.map((l) => `${l['kind']}/${l['name']}:${l['why']}`).join(', ')}`,
    );
    assert.equal(byKind('StaticIPAttachment').length, 1, JSON.stringify(repairs));
    assert.equal(byKind('ConsulCluster').length, 1, JSON.stringify(repairs));
    assert.equal(byKind('SwarmCluster').length, 1, JSON.stringify(repairs));
  });

  // The two outages share nothing (the store spec brings its own store Consul, operator, container
  // and bridge on A's host; B's host is the one that goes away), so they are held at the same time:
  // each keeps its full 60 s and its own checks, and the suite waits one minute instead of two.
  describe('a lab host and a store Consul gone at the same time', { concurrency: 2 }, () => {
    itE2E(
      f,
      'a host gone for 60 s: its objects show it, the others are not disturbed, all repaired after',
      async () => {
        await expectConverged(f);
        const idx114 = await eth1Index(A.host, A.name);
        const mark = f.operator.lines.length;
        await labCommand(['host-stop', B.host]);
        const stopped = Date.now();
        try {
          const downMs = await timeUntil(
            `DockerHost ${B.host} and ${B.name} Ready=False`,
            async () =>
              (await readyOf(f, 'dockerhost', B.host)) === 'False' && (await readyOf(f, 'staticipattachment', B.name)) === 'False',
            { timeoutMs: 45_000 },
          );
          console.log(`# Faults: ${B.host} stopped -> DockerHost and ${B.name} Ready=False after ${downMs} ms`);
          // For the whole minute the other hosts and ubuntu114 stay Ready and untouched.
          while (Date.now() - stopped < 60_000) {
            for (const h of [MGR, A.host]) assert.equal(await readyOf(f, 'dockerhost', h), 'True', `${h} disturbed`);
            assert.equal(await readyOf(f, 'staticipattachment', A.name), 'True', `${A.name} disturbed`);
            await sleep(2000);
          }
          const cc = await f.get('consulcluster', 'datacenter');
          const sc = await f.get('swarmcluster', 'swarm');
          console.log(
            `# Faults: during the outage ConsulCluster ${JSON.stringify(cc?.status?.conditions?.map((c: any) => `${c.type}=${c.status}:${c.reason}`))}, SwarmCluster ${JSON.stringify(sc?.status?.conditions?.map((c: any) => `${c.type}=${c.status}:${c.reason}`))}`,
          );
        } finally {
          await labCommand(['host-start', B.host]);
        }
        const back = Date.now();
        // The workload has no restart policy (the agent container has one); start it as a person would.
        await ensureWorkload(B.host, B.name);
        await expectConverged(f, { timeoutMs: 180_000 });
        console.log(`# Faults: ${B.host} back -> everything converged in ${Date.now() - back} ms`);
        assert.equal(await eth1Index(A.host, A.name), idx114, `${A.name} was not re-attached`);
        const touched114 = newRepairs(f.operator.lines, mark).filter((l) => l['name'] === A.name);
        assert.deepEqual(touched114, [], `no repair on ${A.name}`);
      },
      { timeout: 6 * 60_000 },
    );

    itE2E(
      f,
      'the store Consul down for 60 s and restarted: the operator keeps running, keeps the hosts, resumes by itself',
      async () => {
        // Its own persistent store (a dev agent would come back empty), its own container and bridge,
        // so the lab's operator keeps running beside it without sharing any object.
        let store: ConsulAgentHandle | undefined = await startConsulAgent({ mode: 'persistent' });
        const cli = storeCli(store.address, f.prefix);
        const op = new OperatorProcess({
          storeAddr: store.address,
          prefix: f.prefix,
          artifactsDir: f.artifactsDir,
          name: 'operator-own-store',
          args: LAB_OPERATOR_ARGS,
        });
        const C = 'faults-store-c';
        await dockerOnHost(A.host, ['rm', '-f', C], 15_000);
        await docker(A.host, [
          'run',
          '-d',
          '--name',
          C,
          '--label',
          'io.swarmop.lab=1',
          '--label',
          'io.swarmop.test=faults',
          WORKLOAD_IMAGE,
        ]);
        const sia = `apiVersion: swarmop.io/v1alpha1\nkind: StaticIPAttachment\nmetadata: {name: ${C}}\nspec: {host: ${A.host}, container: ${C}, bridge: br-faults, address: 10.78.0.5/24, ownBridge: true}\n`;
        const host = (name: string, ip: string) =>
          `apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: ${name}}\nspec: {endpoint: "tcp://${ip}:2375", address: ${ip}}\n`;
        try {
          op.start();
          await cli.apply(`${host(A.host, addressOf(A.host))}---\n${sia}`);
          await cli.waitCondition('staticipattachment', C);
          const idx = await eth1Index(A.host, C);
          const mark = op.lines.length;
          await store.kill();
          const downAt = Date.now();
          while (Date.now() - downAt < 60_000) {
            assert.ok(op.running, 'the operator exited while the store was down');
            assert.equal(await eth1Index(A.host, C), idx, 'the attachment was torn down or redone while the store was down');
            await sleep(2000);
          }
          await store.restart();
          const upAt = Date.now();
          assert.ok(op.running, 'the operator exited while the store was down');
          // A change made after the store is back is reconciled without any restart of the operator.
          await cli.apply(host(MGR, HOSTS[0]!.address));
          await cli.waitCondition('dockerhost', MGR, 'True', { timeoutMs: 90_000 });
          const resumed = Date.now() - upAt;
          // And the host event stream still drives repairs.
          await docker(A.host, ['restart', '-t', '0', C]);
          await eventually(`${C} attached again`, async () => (await eth1Addresses(A.host, C)).includes('10.78.0.5/24') || undefined, {
            timeoutMs: 60_000,
          });
          assert.equal((await eth1Index(A.host, C)) !== undefined, true);
          const warned = op.lines.slice(mark).filter((l) => l.level === 'warn' || l.level === 'error').length;
          console.log(
            `# Faults: store down 60 s: operator kept running (${warned} warn/error lines), attachment untouched; a change applied after the restart Ready in ${resumed} ms`,
          );
          await cli.swarmop(['delete', 'staticipattachment', C]);
          await eventually(`${C} deleted`, async () => ((await cli.get('staticipattachment', C)) ? undefined : true), {
            timeoutMs: 60_000,
          });
        } finally {
          await op.stop().catch(() => op.kill());
          await store.stop();
          store = undefined;
          await dockerOnHost(A.host, ['rm', '-f', C], 15_000);
        }
        await expectConverged(f);
      },
      { timeout: 6 * 60_000 },
    );
  });

  itE2E(f, 'deleting the topology undoes it on the hosts: no eth1, no host veth, no agent container', async () => {
    if (!f.operator.running) f.operator.start();
    const vethOf = new Map<string, string>();
    for (const a of ATTACHMENTS) vethOf.set(a.name, (await f.get('staticipattachment', a.name))?.status?.hostVeth);
    await f.swarmop(['delete', 'staticipattachment', ...ATTACHMENTS.map((a) => a.name)]);
    await f.swarmop(['delete', 'consulcluster', 'datacenter']);
    await f.swarmop(['delete', 'swarmcluster', 'swarm']);
    for (const [k, n] of [
      ...ATTACHMENTS.map((a) => ['staticipattachment', a.name]),
      ['consulcluster', 'datacenter'],
      ['swarmcluster', 'swarm'],
    ] as const) {
      await eventually(`${k}/${n} gone`, async () => ((await f.get(k, n)) ? undefined : true), { timeoutMs: 90_000 });
    }
    for (const a of ATTACHMENTS) {
      assert.deepEqual(await eth1Addresses(a.host, a.name), [], `eth1 left in ${a.name}`);
      const links = (await docker(a.host, ['exec', 'swarmop-nethelper', 'ip', '-o', 'link', 'show'])).split('\n');
      assert.ok(!links.some((l) => vethOf.get(a.name) && l.includes(vethOf.get(a.name)!)), `host veth of ${a.name} left`);
    }
    for (const h of HOSTS)
      assert.equal((await docker(h.name, ['ps', '-aq', '--filter', `label=${CONSUL_LABEL}`])).trim(), '', `agent left on ${h.name}`);
    // The swarm is not undone by a delete (the SwarmCluster keeps a running swarm); the lab is left without one.
    for (const h of [...HOSTS].reverse())
      await hostDocker(h.name)
        .swarmLeave({ force: true })
        .catch(() => undefined);
  });
});
