/**
 * npm run bench:consul — for each ConsulCluster drift, the time from the fault to "every member
 * alive with a leader" (as every agent reports it), p50/max over BENCH_RUNS (default 5) runs, with
 * the reconciler driven like the operator drives it (requeueAfter, plus an immediate reconcile
 * for faults that raise a Docker event). For the partition case, Consul's own recovery without
 * the operator is measured in the same run.
 *
 * Runs on the lab (hack/lab.sh up) with its own cluster `benchconsul`, removed afterwards. The
 * partition blocks only Consul's ports (8300, 8301) between one host and the others, with
 * blackhole `ip rule`s set from a short-lived helper container on that host.
 *
 * env: BENCH_NO_WATCH=1 (without the member watch), BENCH_RUNS (default 5), BENCH_PARTITION_RUNS (20: its p99 is a target), BENCH_ALONE_RUNS (3: Consul alone waits ~30 s a run), BENCH_DRIFTS (comma list of stop,kill,remove,leave,partition), BENCH_VERBOSE=1 (each repair)
 */
import type Docker from 'dockerode';
import type { ConsulCluster } from '../src/crds/consul-cluster.js';
import { execInContainer } from '../src/docker/exec.js';
import { LAB_HOSTS, dockerFor, recordingContext } from '../testing/reconcile-context.js';
import { readAgentView } from '../src/controllers/consulcluster/agent-http.js';
import { createConsulClusterReconciler } from '../src/controllers/consulcluster/index.js';
import { CLUSTER_LABEL, containerName } from '../src/controllers/consulcluster/labels.js';
import { healConsulPartition, partitionConsul } from '../testing/lab/consul-partition.js';
import { reportFigure } from './figures.js';
import { stats as latency } from './stats.js';
import { timeUntil } from '../testing/wait-until.js';

const NAME = 'benchconsul';
const IMAGE = process.env.SWARMOP_CONSUL_IMAGE ?? 'hashicorp/consul:1.8.7';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** The partition's p99 is a target: n >= 20. Consul alone takes ~30 s a run: its anchor is n=3. */
const PARTITION_RUNS = Number(process.env.BENCH_PARTITION_RUNS ?? 20);
const ALONE_RUNS = Number(process.env.BENCH_ALONE_RUNS ?? 3);
const DRIFTS = (process.env.BENCH_DRIFTS ?? 'stop,kill,remove,leave,partition').split(',');
const VICTIM = LAB_HOSTS[2]!; // consul02, a follower at first
const docker = new Map(LAB_HOSTS.map((h) => [h.name, dockerFor(h)]));
const d = (host: string): Docker => docker.get(host)!;

const resource: ConsulCluster = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'ConsulCluster',
  metadata: { name: NAME, uid: `bench-${process.pid}`, generation: 1 },
  spec: {
    datacenter: 'benchdc',
    image: IMAGE,
    ui: false,
    servers: LAB_HOSTS.map((h) => ({ host: h.name, node: h.name })),
    bootstrapExpect: 3,
    dataDir: `/var/lib/swarmop/consul/${NAME}`,
    retryInterval: '2s',
  },
};

/** Every agent answers, knows a leader and sees every member alive. */
async function whole(): Promise<boolean> {
  const views = await Promise.all(LAB_HOSTS.map((h) => readAgentView(h.address, { timeoutMs: 800 })));
  return views.every((v) => v.reachable && v.leader !== '' && LAB_HOSTS.every((h) => v.members.find((m) => m.name === h.name)?.status === 'alive'));
}

/** Whole, and every server a voter that autopilot calls healthy: the state a fault starts from. */
async function settled(): Promise<boolean> {
  if (!(await whole())) return false;
  const v = await readAgentView(LAB_HOSTS[0]!.address, { timeoutMs: 800 });
  const voters = v.raft.filter((s) => s.voter).length === LAB_HOSTS.length;
  return voters && (v.autopilot ?? []).length === LAB_HOSTS.length && (v.autopilot ?? []).every((s) => s.healthy && s.voter);
}

/** The reconciler driven like the operator: requeueAfter, and kick() for a Docker event. */
class Loop {
  private wake?: () => void;
  private running = false;
  private done?: Promise<void>;
  readonly ctx = recordingContext({ level: 'error' });
  private watch?: AbortController;
  private watching?: Promise<void>;
  constructor(private readonly rec = createConsulClusterReconciler()) {
    this.ctx.objects.set(`ConsulCluster/${NAME}`, resource as never);
  }
  start(): void {
    this.running = true;
    // The operator runs the reconciler's member watch next to it: a failed member queues the cluster.
    this.watch = new AbortController();
    // BENCH_NO_WATCH=1: the reconciler alone (requeueAfter and Docker events), to compare.
    if (process.env.BENCH_NO_WATCH !== '1') this.watching = this.rec.watchHosts({ hosts: this.ctx.hosts, cache: this.ctx.cache, enqueue: () => this.kick(), log: this.ctx.log }, this.watch.signal);
    this.done = (async () => {
      while (this.running) {
        let wait = 500;
        try {
          wait = (await this.rec.reconcile(resource, this.ctx)).requeueAfter ?? 3000;
        } catch {
          wait = 1000;
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, wait);
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    })();
  }
  kick(): void {
    this.wake?.();
  }
  async stop(): Promise<void> {
    this.running = false;
    this.watch?.abort();
    await this.watching;
    this.kick();
    await this.done;
  }
}

const PEERS = LAB_HOSTS.filter((h) => h !== VICTIM).map((h) => h.address);

const victimContainer = () => d(VICTIM.name).getContainer(containerName(NAME));

async function partitionUntilFailed(): Promise<void> {
  await partitionConsul(d(VICTIM.name), PEERS);
  await timeUntil(`${VICTIM.name} failed`, async () => (await readAgentView(LAB_HOSTS[0]!.address)).members.find((m) => m.name === VICTIM.name)?.status === 'failed', { timeoutMs: 60_000, intervalMs: 100 });
}

const FAULTS: Record<string, { inject: () => Promise<void>; dockerEvent: boolean }> = {
  stop: { inject: async () => void (await victimContainer().stop({ t: 1 })), dockerEvent: true },
  kill: { inject: async () => void (await victimContainer().kill()), dockerEvent: true },
  remove: { inject: async () => void (await victimContainer().remove({ force: true })), dockerEvent: true },
  leave: {
    inject: async () => {
      const r = await execInContainer(d(VICTIM.name), containerName(NAME), ['consul', 'leave']);
      // EOF, 137 or no exit code: the operator already restarted the draining agent under the CLI's feet.
      if (![0, -1, 137].includes(r.exitCode) && !/EOF|connection reset/.test(r.stderr + r.stdout)) {
        throw new Error(`consul leave exited ${r.exitCode}: ${r.stderr}${r.stdout}`);
      }
    },
    dockerEvent: true,
  },
  // Cut, wait until the others show it failed, heal: the clock starts at the heal.
  partition: {
    inject: async () => {
      await partitionUntilFailed();
      await healConsulPartition(d(VICTIM.name), PEERS);
    },
    dockerEvent: false,
  },
};

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const p50 = s[Math.floor((s.length - 1) / 2)]!;
  return `p50 ${p50} ms, min ${s[0]} ms, max ${s.at(-1)} ms (n=${s.length})`;
}

async function cleanup(): Promise<void> {
  await healConsulPartition(d(VICTIM.name), PEERS).catch(() => undefined);
  for (const h of LAB_HOSTS) {
    const list = await d(h.name).listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=${NAME}`] } }).catch(() => []);
    for (const c of list) await d(h.name).getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  for (const h of LAB_HOSTS) {
    const foreign = (await d(h.name).listContainers({ filters: { label: [CLUSTER_LABEL] } })).filter((c) => c.Labels[CLUSTER_LABEL] !== NAME);
    if (foreign.length) throw new Error(`another Consul cluster (${foreign[0]!.Labels[CLUSTER_LABEL]}) runs on ${h.name}; stop it first`);
  }
  await cleanup();
  const loop = new Loop();
  const t0 = Date.now();
  loop.start();
  await timeUntil('cluster formed', whole, { timeoutMs: 120_000, intervalMs: 100 });
  console.log(`formed from nothing: ${Date.now() - t0} ms`);
  const results: Record<string, number[]> = {};
  const repairs: Record<string, string[]> = {};
  try {
    for (const drift of DRIFTS) {
      const fault = FAULTS[drift];
      if (!fault) throw new Error(`unknown drift ${drift}`);
      if (drift === 'partition') {
        // Consul on its own: no operator running while the partition heals.
        await loop.stop();
        const alone: number[] = [];
        for (let i = 0; i < ALONE_RUNS; i++) {
          await fault.inject();
          alone.push(await timeUntil('Consul alone to heal', whole, { timeoutMs: 180_000, intervalMs: 100 }));
          await timeUntil('settled again', settled, { timeoutMs: 180_000, intervalMs: 100 });
        }
        results['partition (Consul alone)'] = alone;
        loop.start();
      }
      const times: number[] = [];
      const runs = drift === 'partition' ? PARTITION_RUNS : RUNS;
      for (let i = 0; i < runs; i++) {
        await timeUntil('settled before the fault', settled, { timeoutMs: 180_000, intervalMs: 100 });
        const before = loop.ctx.repairs.length;
        // The clock starts at the fault; for the partition, at the heal (inject returns then).
        let start = Date.now();
        await fault.inject();
        if (drift === 'partition') start = Date.now();
        if (fault.dockerEvent) loop.kick();
        await timeUntil(`${drift} repaired`, whole, { timeoutMs: 120_000, intervalMs: 100 });
        times.push(Date.now() - start);
        const done = loop.ctx.repairs.slice(before);
        (repairs[drift] ??= []).push(done.map((r) => r.reason).join('+') || 'none');
        if (process.env.BENCH_VERBOSE) for (const r of done) console.log(`  ${drift} run ${i + 1}: ${r.reason} on ${r.host}: ${r.found} -> ${r.action}`);
      }
      results[drift === 'partition' ? 'partition (operator)' : drift] = times;
      console.log(`${drift}: ${stats(times)}; repairs per run: ${repairs[drift]!.join(', ')}`);
    }
  } finally {
    await loop.stop();
    await cleanup();
  }
  console.log('\nfault -> every member alive with a leader');
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(26)} ${stats(v)}`);
  for (const [k, v] of Object.entries(results)) {
    if (k === 'partition (Consul alone)') continue;
    const alone = results['partition (Consul alone)'];
    const s = latency(v);
    reportFigure({
      what: `Consul: ${k} → every member alive with a leader (reconciler + member watch in the bench process${v.length < 20 ? `; n=${v.length} < 20: p99 not meaningful` : ''})`,
      figure: s.text,
      anchor: k.startsWith('partition') && alone ? `Consul alone: ${latency(alone).text}` : '— (Consul alone does not restart a stopped/removed agent)',
      target: k.startsWith('partition') ? 'p99 ≤ 2 s' : '—',
      ...(k.startsWith('partition') ? { met: s.p99 <= 2000 && s.n >= 20 } : {}),
    });
  }
}

process.once('SIGINT', () => {
  console.error('interrupted: removing the bench cluster');
  void cleanup().finally(() => process.exit(130));
});

main().catch(async (err) => {
  console.error(err);
  await cleanup().catch(() => undefined);
  process.exit(1);
});
