/**
 * Two REAL `swarmop operator --leader-elect` processes (the built CLI: `npm run build` first) on one
 * real Consul agent and one prefix. Proof comes from their JSON logs: only the process that logged
 * `started leading` starts controllers and reconciles. The leader is stopped cleanly (SIGTERM: the
 * standby takes over at once) and killed (SIGKILL: the standby takes over once Consul invalidates
 * the session, TTL..2xTTL, plus the lock-delay). Also checks /healthz, /readyz and /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Resource } from '../crds/index.js';
import { waitUntil } from '../../testing/util/wait-until.js';
import { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { metricValue, OperatorProcess } from '../../testing/harness/operator-process.js';

const PREFIX = 'le-int/';
const LEASE_SECONDS = 10;
const LOCK_DELAY_SECONDS = 1;

let agent: ConsulAgentHandle;
const children: OperatorProcess[] = [];

before(async () => {
  agent = await startConsulAgent();
  const kv = new ConsulKv({ address: agent.address });
  // A host whose engine never answers: the leader re-checks it every 2 s, so a leader always has
  // reconciles to show in its log.
  await new ResourceStore({ kv, prefix: PREFIX }).apply([
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'DockerHost',
      metadata: { name: 'nowhere' },
      spec: { endpoint: 'unix:///run/swarmop-le-int-none/docker.sock', address: '127.0.0.1' },
    } as Resource,
  ]);
  kv.close();
});

after(async () => {
  for (const c of children) if (c.running) await c.stop('SIGKILL').catch(() => undefined);
  await agent?.stop();
});

function replica(name: string, extraArgs: readonly string[] = []): OperatorProcess {
  const c = new OperatorProcess({
    name,
    storeAddr: agent.address,
    prefix: PREFIX,
    args: [
      '--leader-elect',
      '--lease-seconds',
      String(LEASE_SECONDS),
      '--lock-delay-seconds',
      String(LOCK_DELAY_SECONDS),
      '--metrics-addr',
      '127.0.0.1:0',
      '--log-level',
      'debug',
      '--resync-seconds',
      '5',
      ...extraArgs,
    ],
  });
  children.push(c);
  c.start();
  return c;
}

const leads = (c: OperatorProcess) => c.find('started leading');
const reconciles = (c: OperatorProcess) => c.find('reconcile done', { controller: 'dockerhost' });

async function get(addr: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${addr}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Waits until exactly one of `cs` has logged `started leading` more often than `before` says. */
async function newLeader(cs: OperatorProcess[], counts: Map<OperatorProcess, number>, timeoutMs: number): Promise<OperatorProcess> {
  await waitUntil('a new leader', () => cs.some((c) => leads(c).length > (counts.get(c) ?? 0)), timeoutMs, 20);
  const fresh = cs.filter((c) => leads(c).length > (counts.get(c) ?? 0));
  assert.equal(fresh.length, 1, `exactly one new leader, got ${fresh.map((c) => c.name).join(', ')}`);
  return fresh[0]!;
}

test(
  'of two operator processes only the leader acts; the standby takes over on SIGTERM at once and on SIGKILL once the dead leader check turns critical',
  { timeout: 180_000 },
  async () => {
    const a = replica('a');
    const b = replica('b');
    const leader = await newLeader([a, b], new Map(), 30_000);
    const standby = leader === a ? b : a;

    // The leader reconciles; the standby (warm cache, no controllers) never does.
    await waitUntil('the leader reconciles twice', () => reconciles(leader).length >= 2, 20_000, 50);
    await waitUntil('both serve metrics', () => a.metricsAddr() !== undefined && b.metricsAddr() !== undefined, 10_000, 20);
    assert.equal(standby.find('controller started').length, 0, standby.dump());
    assert.equal(reconciles(standby).length, 0, standby.dump());
    assert.ok(leader.find('controller started', { controller: 'dockerhost' }).length === 1, leader.dump());

    // Endpoints: both are healthy and ready (a standby with a live session is ready); only one leads.
    for (const c of [leader, standby]) {
      const addr = c.metricsAddr()!;
      assert.equal((await get(addr, '/healthz')).status, 200);
      await waitUntil(`${c.name} /readyz`, async () => (await get(addr, '/readyz')).status === 200, 10_000, 50);
    }
    const leaderMetrics = (await get(leader.metricsAddr()!, '/metrics')).body;
    const standbyMetrics = (await get(standby.metricsAddr()!, '/metrics')).body;
    assert.equal(metricValue(leaderMetrics, 'swarmop_leader'), 1);
    assert.equal(metricValue(standbyMetrics, 'swarmop_leader'), 0);
    assert.ok((metricValue(leaderMetrics, 'swarmop_reconcile_total', { controller: 'dockerhost' }) ?? 0) >= 2, leaderMetrics);
    assert.equal(metricValue(standbyMetrics, 'swarmop_reconcile_total', { controller: 'dockerhost' }), undefined);
    for (const name of ['swarmop_reconcile_duration_seconds_count', 'swarmop_workqueue_depth', 'swarmop_process_resident_memory_bytes']) {
      assert.ok(leaderMetrics.includes(name), `${name} served`);
    }
    // What stock dashboards read, from the real process: controller-runtime's names and labels,
    // Node's unprefixed process metrics, and the objects not Ready per kind.
    assert.equal(metricValue(leaderMetrics, 'leader_election_master_status', { name: `${PREFIX}leader` }), 1);
    assert.notEqual(metricValue(standbyMetrics, 'leader_election_master_status', { name: `${PREFIX}leader` }), 1);
    assert.ok(
      (metricValue(leaderMetrics, 'controller_runtime_reconcile_total', { controller: 'dockerhost', result: 'requeue_after' }) ?? 0) >= 2,
      leaderMetrics,
    );
    assert.equal(metricValue(leaderMetrics, 'workqueue_depth', { name: 'dockerhost', controller: 'dockerhost' }), 0);
    assert.ok((metricValue(leaderMetrics, 'process_resident_memory_bytes') ?? 0) > 0);
    assert.equal(metricValue(leaderMetrics, 'swarmop_objects_not_ready', { kind: 'DockerHost' }), 1);
    // --log-format json: controller-runtime's keys lead every reconcile line.
    const line = reconciles(leader)[0]!;
    assert.deepEqual(Object.keys(line).slice(0, 6), ['ts', 'level', 'msg', 'controller', 'name', 'reconcileID']);
    assert.deepEqual([line.msg, line.name], ['reconcile done', 'nowhere']);
    assert.match(String(line.reconcileID), /^[0-9a-f]{8}$/);

    // Clean stop: SIGTERM drains, releases the lock and exits 0; the standby leads within a round trip.
    let counts = new Map([[standby, leads(standby).length]]);
    const termAt = Date.now();
    const exit = await leader.stop('SIGTERM');
    const second = await newLeader([standby], counts, 10_000);
    const cleanMs = leads(second).at(-1)!.seenAt - termAt;
    assert.deepEqual(exit, { code: 0, signal: null });
    const lastOldReconcile = reconciles(leader).at(-1)?.seenAt ?? 0;
    assert.ok(lastOldReconcile <= leads(second).at(-1)!.seenAt, 'the old leader stopped reconciling before the new one started');
    await waitUntil('the new leader reconciles', () => reconciles(second).length >= 1, 10_000, 50);

    // Killed leader: a fresh standby takes over once the dead leader's TTL check (2 s) turns critical
    // and invalidates its session, plus the lock-delay; not after the session TTL.
    const third = replica(`${leader.name}2`);
    await waitUntil(
      'the new standby syncs',
      () => third.metricsAddr() !== undefined && third.find('operator starting').length === 1,
      10_000,
      20,
    );
    // Ready = synced and holding a live session, i.e. it is campaigning against the held lock.
    await waitUntil('the new standby is ready', async () => (await get(third.metricsAddr()!, '/readyz')).status === 200, 10_000, 50);
    assert.equal(leads(third).length, 0, 'a standby does not lead while the lock is held');
    counts = new Map([[third, 0]]);
    const killAt = Date.now();
    await second.stop('SIGKILL');
    const fourth = await newLeader([third], counts, 3 * LEASE_SECONDS * 1000 + 10_000);
    const killMs = leads(fourth).at(-1)!.seenAt - killAt;
    await waitUntil('the replacement reconciles', () => reconciles(fourth).length >= 1, 10_000, 50);

    console.log(
      `# failover after SIGTERM of the leader: ${cleanMs} ms; after SIGKILL: ${killMs} ms (session TTL ${LEASE_SECONDS} s, check TTL 2 s, lock-delay ${LOCK_DELAY_SECONDS} s)`,
    );
    assert.ok(cleanMs < LEASE_SECONDS * 1000 - 2_000, `clean failover took ${cleanMs} ms: it waited for the session TTL`);
    assert.ok(killMs >= 2_000, `killed-leader failover took only ${killMs} ms: the dead leader's check cannot have turned critical yet`);
    assert.ok(
      killMs < LEASE_SECONDS * 1000 - 1_000,
      `killed-leader failover took ${killMs} ms: the session TTL, not the 2 s check, freed the lock`,
    );

    assert.deepEqual(await third.stop('SIGTERM'), { code: 0, signal: null });
  },
);

test(
  '--leader-check-ttl-seconds 6: a killed leader is replaced once ITS check TTL passed (6 s), not the default 2 s',
  { timeout: 120_000 },
  async () => {
    const args = ['--leader-check-ttl-seconds', '6'];
    const a = replica('ttl-a', args);
    const leader = await newLeader([a], new Map(), 30_000);
    const standby = replica('ttl-b', args);
    await waitUntil(
      'the standby is ready',
      async () => standby.metricsAddr() !== undefined && (await get(standby.metricsAddr()!, '/readyz')).status === 200,
      20_000,
      50,
    );
    const killAt = Date.now();
    await leader.stop('SIGKILL');
    const next = await newLeader([standby], new Map([[standby, 0]]), 3 * LEASE_SECONDS * 1000 + 10_000);
    const killMs = leads(next).at(-1)!.seenAt - killAt;
    console.log(`# failover after SIGKILL with a 6 s leader check TTL: ${killMs} ms (lock-delay ${LOCK_DELAY_SECONDS} s)`);
    assert.ok(
      killMs >= 6_000,
      `failover took ${killMs} ms: the 6 s check cannot have turned critical yet (the flag did not reach the check)`,
    );
    assert.ok(killMs < LEASE_SECONDS * 1000 + 6_000, `failover took ${killMs} ms: the session TTL, not the check, freed the lock`);
    assert.deepEqual(await next.stop('SIGTERM'), { code: 0, signal: null });
  },
);
