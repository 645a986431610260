/**
 * npm run bench:consul - ConsulCluster repairs through the REAL operator process
 * (`swarmop operator`, the built CLI, its own store prefix), on the lab (hack/lab.sh up) with a
 * cluster `benchconsul` of its own, removed afterwards.
 *
 * Clocks (this machine's clock; the lab hosts are containers sharing its kernel):
 *  - stop, remove, leave: start when the bench makes the fault (just before the Docker call); kill
 *    (kill -9 of the agent's process from the host): at `date +%s%N` right after the kill;
 *  - partition: starts at `date +%s%N` printed by the helper right after it deleted the blackhole
 *    rules (the heal), once every other agent had shown the cut member `failed`;
 *  - both stop when every agent, asked over HTTP every ~100 ms, sees every member `alive` ("alive"),
 *    and also knows a leader ("whole"). A partition heal can cost a Raft election (the cut server
 *    campaigned meanwhile): that is Consul's, so both are printed.
 * Anchors, same run, operator stopped: Docker's restart policy alone after a kill (the agents run
 * with `unless-stopped`), n=20 like the figure; `docker stop`/remove, which neither Docker nor
 * Consul undoes, tried once and looked at after a 10 s window ("never", with the number of tries);
 * Consul alone after a partition heals and after a leave, which do recover but only on Consul's
 * own timers (serf's 30 s reconnect interval; the restarted agent's retry-join), so each try costs
 * up to a minute: BENCH_ALONE_RUNS of them (p50 and max, no p99).
 * Docker doubles the restart delay of a container that ran less than 10 s before it died: a kill
 * right after the last one's policy restart would measure that backoff. Instead of waiting for the
 * agent to run 10 s, the bench restarts it through the API first (which starts the count over, as
 * any start by hand or by the operator does) and waits until the cluster is settled again.
 * A p99 is printed only for n >= 20; smaller samples print p50 and max.
 * A partition sample over its target is followed by the operator's log lines from the heal on.
 * Each drift's line ends with how long its anchor and runs took. A leave run is the slow one: a
 * server that left rejoins as a non-voter and is a healthy voter again (the state the next fault
 * must start from) only after autopilot's 10 s stabilization, about 29 s a run in all. Its figure
 * has no target, so it takes 8 runs by default (p50 and max; BENCH_LEAVE_RUNS=20 for a p99), and
 * the whole run about 14 min here.
 *
 * env: BENCH_RUNS (stop/kill/remove, default 20), BENCH_LEAVE_RUNS (default 8, or BENCH_RUNS), BENCH_PARTITION_RUNS (default 20),
 * BENCH_KILL_ALONE_RUNS (default 20), BENCH_ALONE_RUNS (partition and leave anchors, default 3),
 * BENCH_DRIFTS (comma list of stop,kill,remove,leave,partition), BENCH_LOG_LEVEL (the
 * operator's --log-level, default info).
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { readAgentView, readAutopilotHealth } from '../src/consul/agent-http.js';
import { CLUSTER_LABEL, containerName } from '../src/controllers/consulcluster/labels.js';
import { execInContainer } from '../src/docker/exec.js';
import { hostDocker, readLabEnv } from '../e2e/framework/lab.js';
import { consulPartitionScript, partitionConsul, PARTITION_HELPER_IMAGE } from '../testing/lab/consul-partition.js';
import { OperatorProcess } from '../testing/harness/operator-process.js';
import { waitUntil } from '../testing/util/wait-until.js';
import { reportFigure } from './figures.js';
import { stopOperator, swarmopCli, warnSummary } from './operator-run.js';
import { sampleText, stats } from './stats.js';

const NAME = 'benchconsul';
const IMAGE = process.env.SWARMOP_CONSUL_IMAGE ?? 'hashicorp/consul:1.8.7';
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const PARTITION_RUNS = Number(process.env.BENCH_PARTITION_RUNS ?? 20);
// A leave run costs about 29 s (autopilot's stabilization before the next); its figure has no target.
const LEAVE_RUNS = Number(process.env.BENCH_LEAVE_RUNS ?? process.env.BENCH_RUNS ?? 8);
const KILL_ALONE_RUNS = Number(process.env.BENCH_KILL_ALONE_RUNS ?? 20);
const ALONE_RUNS = Number(process.env.BENCH_ALONE_RUNS ?? 3);
const DRIFTS = (process.env.BENCH_DRIFTS ?? 'stop,kill,remove,leave,partition').split(',');
const ALONE_WINDOW_MS = 60_000;
const lab = readLabEnv();
const HOSTS = lab.hosts;
const VICTIM = HOSTS[2]!; // a follower at first
const PEERS = HOSTS.filter((h) => h !== VICTIM).map((h) => h.address);
const prefix = `bench-consul-${randomBytes(3).toString('hex')}/`;
const d = (host: string): Docker => hostDocker(host);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const victimContainer = () => d(VICTIM.name).getContainer(containerName(NAME));

const MANIFESTS = [
  ...HOSTS.map(
    (h) =>
      `apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: ${h.name}}\nspec: {endpoint: "${h.endpoint}", address: ${h.address}}\n`,
  ),
  `apiVersion: swarmop.io/v1alpha1
kind: ConsulCluster
metadata: {name: ${NAME}}
spec:
  datacenter: benchdc
  image: "${IMAGE}"
  ui: false
  bootstrapExpect: ${HOSTS.length}
  dataDir: /var/lib/swarmop/consul/${NAME}
  retryInterval: 2s
  servers:
${HOSTS.map((h) => `    - {host: ${h.name}, node: ${h.name}}`).join('\n')}
`,
].join('---\n');

interface Look {
  alive: boolean;
  whole: boolean;
}

/** Every agent answers and sees every member alive; `whole`: and knows a leader. */
async function look(): Promise<Look> {
  const views = await Promise.all(HOSTS.map((h) => readAgentView(h.address, { timeoutMs: 800 })));
  const alive = views.every((v) => v.reachable && HOSTS.every((h) => v.members.find((m) => m.name === h.name)?.status === 'alive'));
  return { alive, whole: alive && views.every((v) => v.leader !== '') };
}

/** Whole, and every server a voter that autopilot calls healthy: the state a fault starts from. */
async function settled(): Promise<boolean> {
  if (!(await look()).whole) return false;
  const v = await readAgentView(HOSTS[0]!.address, { timeoutMs: 800 });
  const voters = v.raft.filter((s) => s.voter).length === HOSTS.length;
  const autopilot = (await readAutopilotHealth(HOSTS[0]!.address, { timeoutMs: 800 })) ?? [];
  return voters && autopilot.length === HOSTS.length && autopilot.every((s) => s.healthy && s.voter);
}

/** Polls every 100 ms; a probe that throws counts as "not yet". */
const until = (what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> => waitUntil(what, probe, timeoutMs, 100);

interface Sample {
  /** ms from the fault until every agent sees every member alive / also knows a leader. */
  alive?: number;
  whole?: number;
}

/** Looks every ~100 ms from `t0` (ms since epoch) until whole or `windowMs` passed. */
async function measureFrom(t0: number, windowMs: number): Promise<Sample> {
  const s: Sample = {};
  while (Date.now() - t0 < windowMs) {
    const l = await look().catch(() => ({ alive: false, whole: false }));
    const at = Date.now() - t0;
    if (l.alive && s.alive === undefined) s.alive = at;
    if (l.whole) return { ...s, whole: at };
    await sleep(100);
  }
  return s;
}

/**
 * Runs `script` (built from addresses and PIDs only) in a short-lived helper in the victim's host
 * netns (and PID namespace when asked); returns the `date +%s%N` it prints last, in ms since epoch.
 */
async function stamped(script: string, pidHost = false): Promise<number> {
  const docker = d(VICTIM.name);
  const c = await docker.createContainer({
    Image: PARTITION_HELPER_IMAGE,
    Cmd: ['sh', '-c', `${script}; date +%s%N`],
    Labels: { 'io.swarmop.lab': '1', 'io.swarmop.consul-partition': '1' },
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN', 'KILL'], ...(pidHost ? { PidMode: 'host' } : {}) },
  });
  await c.start();
  await c.wait();
  const logs = (await c.logs({ stdout: true, stderr: true })).toString('latin1');
  await c.remove({ force: true });
  const ns = /(\d{19})/.exec(logs)?.[1];
  if (!ns) throw new Error(`helper printed no time: ${logs}`);
  return Number(BigInt(ns) / 1_000_000n);
}

/** Deletes the partition's rules; returns the time right after. */
const heal = (): Promise<number> => stamped(consulPartitionScript('del', PEERS));

/**
 * Cuts the victim off until another agent shows it down: `failed`, or `left` once autopilot's
 * dead-server clean-up force-left it (both are what a partition leaves behind).
 */
async function partitionUntilFailed(): Promise<void> {
  await partitionConsul(d(VICTIM.name), PEERS);
  await until(
    `${VICTIM.name} failed`,
    async () =>
      ['failed', 'left'].includes((await readAgentView(HOSTS[0]!.address)).members.find((m) => m.name === VICTIM.name)?.status ?? ''),
    60_000,
  );
}

/**
 * Whether the victim's current run may have been started by its restart policy (after a kill or a
 * leave), so that Docker's restart delay is doubled for its next death. Any start through the API
 * (by hand, by the operator, a new container) starts that count over.
 */
let policyStarted = false;

/** Makes the fault; returns when its clock starts (ms since epoch). */
const FAULTS: Record<string, () => Promise<number>> = {
  stop: async () => {
    const t = Date.now();
    await victimContainer().stop({ t: 1 });
    policyStarted = false; // started again by the operator or by hand
    return t;
  },
  // kill -9 of the agent's process from the host, as a crash or the OOM killer would: Docker's
  // restart policy applies (`docker kill` would count as a manual stop).
  kill: async () => {
    if (policyStarted) {
      // A long-running agent that crashes restarts after Docker's first delay, not a doubled one.
      await victimContainer().restart({ t: 1 });
      await until('settled after restarting the agent (restart delay count reset)', settled, 180_000);
    }
    policyStarted = true;
    const pid = (await victimContainer().inspect()).State.Pid;
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`agent on ${VICTIM.name} has no PID`);
    return stamped(`kill -9 ${pid}`, true);
  },
  remove: async () => {
    const t = Date.now();
    await victimContainer().remove({ force: true });
    policyStarted = false; // a new container
    return t;
  },
  leave: async () => {
    policyStarted = true; // the agent exits after leaving; its policy may start it again
    const t = Date.now();
    const r = await execInContainer(d(VICTIM.name), containerName(NAME), ['consul', 'leave']);
    // EOF, 137 or no exit code: the agent was restarted under the CLI's feet.
    if (![0, -1, 137].includes(r.exitCode) && !/EOF|connection reset/.test(r.stderr + r.stdout))
      throw new Error(`consul leave exited ${r.exitCode}: ${r.stderr}${r.stdout}`);
    return t;
  },
  partition: async () => {
    await partitionUntilFailed();
    return heal();
  },
};

const text = sampleText;

/** The operator's lines from `from` to `to` (ms since epoch), for a sample over its target. */
function explainSlow(op: OperatorProcess, what: string, from: number, to: number): void {
  const lines = op.lines.filter((l) => {
    const t = Date.parse(String(l.timestamp ?? ''));
    return (Number.isFinite(t) ? t : l.seenAt) >= from - 1000 && (Number.isFinite(t) ? t : l.seenAt) <= to + 100;
  });
  console.log(`# slow sample: ${what} took ${to - from} ms; operator lines from 1 s before the heal (${lines.length}):`);
  for (const l of lines.slice(0, 30)) {
    const { ts, timestamp, level, msg, message, seenAt, ...rest } = l;
    void ts;
    void msg;
    void seenAt;
    const t = Date.parse(String(timestamp ?? ''));
    console.log(
      `#   ${Number.isFinite(t) ? `${t - from >= 0 ? '+' : ''}${t - from}` : '?'} ms ${String(level ?? '')} ${String(message ?? '')} ${JSON.stringify(rest).slice(0, 300)}`,
    );
  }
}

async function cleanup(): Promise<void> {
  await heal().catch(() => undefined);
  for (const h of HOSTS) {
    const list = await d(h.name)
      .listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=${NAME}`] } })
      .catch(() => []);
    for (const c of list)
      await d(h.name)
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

function newOperator(): OperatorProcess {
  return new OperatorProcess({
    storeAddr: lab.storeAddr,
    prefix,
    args: ['--metrics-addr', '0', '--log-level', process.env.BENCH_LOG_LEVEL ?? 'info'],
    name: 'bench-operator',
  });
}

const swarmop = (args: string[], input?: string): Promise<string> => swarmopCli(lab.storeAddr, prefix, args, input);

async function main(): Promise<void> {
  for (const h of HOSTS) {
    const foreign = (await d(h.name).listContainers({ filters: { label: [CLUSTER_LABEL] } })).filter(
      (c) => c.Labels[CLUSTER_LABEL] !== NAME,
    );
    if (foreign.length) throw new Error(`another Consul cluster (${foreign[0]!.Labels[CLUSTER_LABEL]}) runs on ${h.name}; stop it first`);
  }
  await cleanup();
  let op = newOperator();
  try {
    op.start();
    const t0 = Date.now();
    await swarmop(['apply', '-f', '-'], MANIFESTS);
    await until('cluster formed', async () => (await look()).whole, 180_000);
    console.log(
      `bench:consul through the operator process (store ${lab.storeAddr}, prefix ${prefix}); formed from nothing in ${Date.now() - t0} ms`,
    );
    for (const drift of DRIFTS) {
      const fault = FAULTS[drift];
      if (!fault) throw new Error(`unknown drift ${drift}`);
      // Anchor first: the operator stopped, the same fault left to Consul and Docker.
      const started = Date.now();
      const anchorRuns = drift === 'kill' ? KILL_ALONE_RUNS : drift === 'partition' || drift === 'leave' ? ALONE_RUNS : 1;
      const windowMs = drift === 'partition' ? ALONE_WINDOW_MS : drift === 'leave' ? 30_000 : 10_000;
      await until('settled before the anchor', settled, 180_000);
      await stopOperator(op);
      const alone: number[] = [];
      let aloneMissed = 0;
      for (let i = 0; i < anchorRuns; i++) {
        const at = await fault();
        const s = await measureFrom(at, windowMs);
        if (s.alive === undefined) aloneMissed++;
        else alone.push(drift === 'partition' ? s.alive : (s.whole ?? s.alive));
        if (s.whole === undefined || i === anchorRuns - 1) {
          // Not healed by itself (or the last run): the operator puts it back.
          op = newOperator();
          op.start();
          await until(`repaired after the anchor of ${drift}`, settled, 180_000);
          if (i < anchorRuns - 1) await stopOperator(op);
        } else {
          await until('settled again (alone)', settled, 180_000);
        }
      }
      const aloneText =
        alone.length === 0
          ? `never (not within ${windowMs / 1000} s, n=${anchorRuns})`
          : `${text(alone)}${aloneMissed ? `; ${aloneMissed} of ${anchorRuns} not within ${windowMs / 1000} s` : ''}${
              drift === 'partition' || drift === 'leave' ? " (few tries: each waits on Consul's own timers, up to a minute)" : ''
            }`;
      const anchorDone = Date.now();

      const runs = drift === 'partition' ? PARTITION_RUNS : drift === 'leave' ? LEAVE_RUNS : RUNS;
      const alive: number[] = [];
      const whole: number[] = [];
      let missed = 0;
      const repairsBefore = op.find('drift repaired').length;
      for (let i = 0; i < runs; i++) {
        await until('settled before the fault', settled, 180_000);
        const at = await fault();
        const s = await measureFrom(at, 120_000);
        if (s.whole === undefined) missed++;
        if (s.alive !== undefined) alive.push(s.alive);
        if (s.whole !== undefined) whole.push(s.whole);
        if (drift === 'partition' && (s.alive ?? Infinity) > 2000)
          explainSlow(op, `partition ${i + 1} (heal -> alive)`, at, at + (s.alive ?? 120_000));
      }
      const reasons = op
        .find('drift repaired')
        .slice(repairsBefore)
        .map((l) => String(l.why ?? l.reason ?? '?'));
      const count = new Map<string, number>();
      for (const r of reasons) count.set(r, (count.get(r) ?? 0) + 1);
      console.log(
        `${drift.padEnd(9)} with the operator: -> alive ${text(alive)};  -> alive with a leader ${text(whole)}${missed ? `; ${missed} not whole within 120 s` : ''}; repairs: ${[...count].map(([k, v]) => `${k} x${v}`).join(', ') || 'none'}`,
      );
      console.log(`${' '.repeat(9)} operator stopped: ${aloneText}`);
      console.log(`${' '.repeat(9)} operator warnings so far: ${warnSummary(op)}`);
      console.log(
        `${' '.repeat(9)} took: anchor ${((anchorDone - started) / 1000).toFixed(0)} s, runs ${((Date.now() - anchorDone) / 1000).toFixed(0)} s`,
      );
      const anchorWhat =
        drift === 'partition' ? 'Consul alone' : drift === 'kill' ? "Docker's restart policy alone" : 'Docker and Consul alone';
      if (drift === 'partition') {
        const s = stats(alive);
        // Printed as soon as each fault is measured: a later failure keeps the figures already taken.
        reportFigure({
          what: 'Consul: partition healed → every member alive, as every agent sees it (operator process)',
          figure: text(alive),
          anchor: `${anchorWhat}: ${aloneText}`,
          target: 'p99 ≤ 2 s',
          met: s.n >= 20 && s.p99 <= 2000 && missed === 0,
        });
        reportFigure({
          what: 'Consul: partition healed → alive with a leader on every agent (operator process)',
          figure: text(whole),
          anchor: '—',
          target: '—',
        });
      } else {
        reportFigure({
          what: `Consul: agent ${drift} → every member alive with a leader (operator process)`,
          figure: text(whole),
          anchor: `${anchorWhat}: ${aloneText}`,
          target: '—',
        });
      }
    }
    console.log(`bench:consul took ${((Date.now() - t0) / 1000).toFixed(0)} s from the apply`);
  } finally {
    await stopOperator(op).catch(() => undefined);
    await cleanup();
    await fetch(`http://${lab.storeAddr}/v1/kv/${prefix}?recurse`, { method: 'DELETE' }).catch(() => undefined);
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
