/**
 * npm run bench:failover - operator leader failover through REAL `swarmop operator --leader-elect`
 * processes (bin/swarmop.js, the built CLI), two at a time on one prefix of a `consul agent -dev`
 * started for this run (no lab needed, no resources in the store: leadership alone is measured).
 *
 * - kill: the clock starts when the bench sends SIGKILL to the leading process and stops when the
 *   standby logs `started leading` (the line leader-election.int.test.ts detects leadership by, as
 *   this process reads it). Then a fresh standby is started and the next round waits until it is
 *   ready (/readyz 200: synced and holding a live session, i.e. campaigning).
 * - term: the same with SIGTERM (a clean hand-over: the leader releases the lock).
 * - anchor, Consul alone: a plain session with the operator's session TTL and lock-delay and only
 *   Consul's default serfHealth check acquires a key and is then never renewed, as a crashed holder
 *   would leave it; the clock starts right after its acquire and stops when a second (renewed)
 *   session acquires the key. These rounds run in parallel, each on its own key, since each waits
 *   on Consul's own session timer (up to 2x TTL) and nothing else.
 * - anchor for SIGTERM, Consul alone: a holder releases the key and destroys its session; the clock
 *   stops when a second session, blocked on the key, acquires it.
 * Safety, checked throughout: every 100 ms the bench reads `swarmop_leader` from every running
 *   process twice in a row; a process counts as leading when both reads say 1, and a sample where
 *   two do is an overlap. Afterwards the leading intervals from the processes' own log timestamps
 *   (`started leading` .. `stopped leading` or the exit after SIGKILL) must not overlap either.
 *   Any overlap fails the bench (exit code 1).
 * - partition (testing/harness/fencing-scenario.ts, with a real Docker Engine from hack/dockerd.sh): the
 *   leader waits on a slow engine answer when its packets to Consul start being dropped; the
 *   standby takes over and makes a change on that engine, then the old leader gets its stale
 *   answer. Clock: from the cut to the standby's `started leading`. Gap: from the old leader's last
 *   possible change (its last change any proxy saw, or its `stopped leading` after which the fence
 *   refuses everything, whichever is later) to the new leader's first change at the engine; it
 *   must be > 0 in every round, and no change of the old leader may reach the engine or the store
 *   after the new one leads (an overlap). BENCH_UNFENCED=1 runs these rounds on a copy of the tree
 *   with the fence taken off the Docker clients (bench/unfenced-tree.ts), to show that check fail.
 * Settings: BENCH_FAILOVER_RUNS (default 20, per signal), BENCH_FAILOVER_ANCHOR_RUNS (default 20),
 * BENCH_FAILOVER_PARTITION_RUNS (default 20), BENCH_FAILOVER_CASES (default "signals,partition").
 */
import { startConsulAgent, type ConsulAgentHandle } from '../testing/harness/consul-agent.js';
import { startDockerEngine } from '../testing/harness/docker-engine.js';
import { fencingRound, type FencingContext } from '../testing/harness/fencing-scenario.js';
import { buildUnfencedTree } from './unfenced-tree.js';
import { metricValue, OperatorProcess } from '../testing/harness/operator-process.js';
import { leaderOverlaps, leaderSpans } from '../testing/util/leader-spans.js';
import { waitUntil } from '../testing/util/wait-until.js';
import { reportFigure } from './figures.js';
import { stopOperator, warnSummary } from './operator-run.js';
import { sampleText, stats } from './stats.js';

const RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 20);
const ANCHOR_RUNS = Number(process.env.BENCH_FAILOVER_ANCHOR_RUNS ?? 20);
const PREFIX = 'bench-failover/';
const LEASE_SECONDS = 10;
const LOCK_DELAY_SECONDS = 1;
const TARGET_MS = 5000;
const PARTITION_RUNS = Number(process.env.BENCH_FAILOVER_PARTITION_RUNS ?? 20);
const CASES = new Set((process.env.BENCH_FAILOVER_CASES ?? 'signals,partition').split(','));
const UNFENCED = process.env.BENCH_UNFENCED === '1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Replica {
  op: OperatorProcess;
  /** Set once the bench has seen it exit (ms since epoch), for the log-interval check. */
  exitedAt?: number;
}

let consul: ConsulAgentHandle;
const replicas: Replica[] = [];
let seq = 0;

function startReplica(): Replica {
  const op = new OperatorProcess({
    name: `op${++seq}`,
    storeAddr: consul.address,
    prefix: PREFIX,
    args: [
      '--leader-elect',
      '--lease-seconds',
      String(LEASE_SECONDS),
      '--lock-delay-seconds',
      String(LOCK_DELAY_SECONDS),
      '--metrics-addr',
      '127.0.0.1:0',
      '--resync-seconds',
      '3600',
    ],
  });
  const r: Replica = { op };
  replicas.push(r);
  op.start();
  return r;
}

const leads = (r: Replica) => r.op.find('started leading');

async function readyz(r: Replica): Promise<boolean> {
  const addr = r.op.metricsAddr();
  if (!addr) return false;
  return (await fetch(`http://${addr}/readyz`).catch(() => undefined))?.status === 200;
}

/** Ready (synced, live session) and not leading: a standby campaigning against the held lock. */
async function waitStandby(r: Replica): Promise<void> {
  await waitUntil(`${r.op.name} ready`, () => readyz(r), 30_000, 50);
  if (leads(r).length !== 0) throw new Error(`${r.op.name} leads although the lock is held:\n${r.op.dump(10)}`);
}

/** Waits for `r`'s next `started leading` line after `count` of them; its seenAt. */
async function waitLeads(r: Replica, count: number, timeoutMs: number): Promise<number> {
  await waitUntil(`${r.op.name} leads`, () => leads(r).length > count, timeoutMs, 10);
  return leads(r)[count]!.seenAt;
}

// --- safety sampler -------------------------------------------------------------------------

let samples = 0;
let sampleOverlaps = 0;
let sampleOneLeader = 0;
const overlapNotes: string[] = [];

async function leaderGauge(r: Replica): Promise<number | undefined> {
  const addr = r.op.metricsAddr();
  if (!addr || !r.op.running) return undefined;
  try {
    const res = await fetch(`http://${addr}/metrics`, { signal: AbortSignal.timeout(2000) });
    return metricValue(await res.text(), 'swarmop_leader');
  } catch {
    return undefined;
  }
}

async function sampler(stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const live = replicas.filter((r) => r.op.running && r.op.metricsAddr() !== undefined);
    const first: (number | undefined)[] = [];
    for (const r of live) first.push(await leaderGauge(r));
    const second: (number | undefined)[] = [];
    for (const r of live) second.push(await leaderGauge(r));
    // Both reads 1 (and no process flaps 1 -> 0 -> 1 within a few ms: the lock-delay alone is 1 s):
    // the process led at the instant between the two passes.
    const leading = live.filter((_, i) => first[i] === 1 && second[i] === 1);
    samples++;
    if (leading.length === 1) sampleOneLeader++;
    if (leading.length > 1) {
      sampleOverlaps++;
      overlapNotes.push(`${new Date().toISOString()} swarmop_leader=1 on ${leading.map((r) => r.op.name).join(', ')}`);
    }
    await sleep(100);
  }
}

// --- the operator rounds --------------------------------------------------------------------

async function rounds(
  signal: 'SIGKILL' | 'SIGTERM',
  leader: Replica,
  standby: Replica,
  n: number,
): Promise<{ ms: number[]; leader: Replica; standby: Replica }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = leads(standby).length;
    const t0 = Date.now();
    const exit = await leader.op.stop(signal, 30_000);
    leader.exitedAt = Date.now();
    if (signal === 'SIGTERM' && exit.code !== 0)
      throw new Error(`${leader.op.name} exited ${JSON.stringify(exit)} after SIGTERM:\n${leader.op.dump(10)}`);
    const at = await waitLeads(standby, before, 3 * LEASE_SECONDS * 1000 + 10_000);
    ms.push(at - t0);
    leader = standby;
    standby = startReplica();
    await waitStandby(standby);
  }
  return { ms, leader, standby };
}

// --- the anchor: a plain Consul session lock --------------------------------------------------

async function consulPut(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${consul.httpAddr}${path}`, {
    method: 'PUT',
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  if (res.status !== 200) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function createSession(name: string): Promise<string> {
  // No Checks field: Consul binds the session to the agent's serfHealth only.
  const r = (await consulPut('/v1/session/create', {
    Name: name,
    TTL: `${LEASE_SECONDS}s`,
    LockDelay: `${LOCK_DELAY_SECONDS}s`,
    Behavior: 'release',
  })) as { ID: string };
  return r.ID;
}

const acquire = async (key: string, session: string) => (await consulPut(`/v1/kv/${key}?acquire=${session}`, 'x')) === true;

/** One crashed holder: its session is never renewed after the acquire; ms until a live contender holds the key. */
async function anchorRound(i: number): Promise<number> {
  const key = `bench-failover-anchor/${i}`;
  const holder = await createSession(`anchor-holder-${i}`);
  const contender = await createSession(`anchor-contender-${i}`);
  if (!(await acquire(key, holder))) throw new Error(`anchor ${i}: the holder could not acquire ${key}`);
  const t0 = Date.now();
  // The contender is a live standby: renewed every TTL/2.
  const renew = setInterval(() => void consulPut(`/v1/session/renew/${contender}`).catch(() => undefined), (LEASE_SECONDS * 1000) / 2);
  try {
    let index = 0;
    for (;;) {
      if (Date.now() - t0 > 4 * LEASE_SECONDS * 1000) throw new Error(`anchor ${i}: no acquire within ${4 * LEASE_SECONDS} s`);
      // As a standby does: block on the key until its holder is gone, then try through the lock-delay.
      const res = await fetch(`${consul.httpAddr}/v1/kv/${key}?index=${index}&wait=${LEASE_SECONDS}s`);
      index = Number(res.headers.get('X-Consul-Index') ?? 0);
      const [pair] = (await res.json()) as { Session?: string }[];
      if (pair?.Session) continue;
      while (!(await acquire(key, contender))) await sleep(50);
      return Date.now() - t0;
    }
  } finally {
    clearInterval(renew);
    await consulPut(`/v1/session/destroy/${contender}`).catch(() => undefined);
  }
}

/** A clean hand-over by Consul alone: the holder releases the key and destroys its session; ms until a blocked contender holds it. */
async function releaseRound(i: number): Promise<number> {
  const key = `bench-failover-release/${i}`;
  const holder = await createSession(`release-holder-${i}`);
  const contender = await createSession(`release-contender-${i}`);
  try {
    if (!(await acquire(key, holder))) throw new Error(`release anchor ${i}: the holder could not acquire ${key}`);
    const first = await fetch(`${consul.httpAddr}/v1/kv/${key}`);
    const index = Number(first.headers.get('X-Consul-Index') ?? 0);
    await first.arrayBuffer();
    const blocked = fetch(`${consul.httpAddr}/v1/kv/${key}?index=${index}&wait=${LEASE_SECONDS}s`);
    await sleep(50);
    const t0 = Date.now();
    await consulPut(`/v1/kv/${key}?release=${holder}`, 'x');
    await consulPut(`/v1/session/destroy/${holder}`);
    await (await blocked).arrayBuffer();
    while (!(await acquire(key, contender))) await sleep(50);
    return Date.now() - t0;
  } finally {
    await consulPut(`/v1/session/destroy/${contender}`).catch(() => undefined);
  }
}

async function signalCases(): Promise<number> {
  consul = await startConsulAgent();
  const stopSampling = new AbortController();
  let sampling: Promise<void> | undefined;
  try {
    const a = startReplica();
    const b = startReplica();
    await waitUntil('a first leader', () => leads(a).length + leads(b).length > 0, 60_000, 20);
    let leader = leads(a).length ? a : b;
    let standby = leader === a ? b : a;
    await waitStandby(standby);
    sampling = sampler(stopSampling.signal);

    const kill = await rounds('SIGKILL', leader, standby, RUNS);
    const term = await rounds('SIGTERM', kill.leader, kill.standby, RUNS);
    leader = term.leader;
    standby = term.standby;

    const began = Date.now();
    // Staggered by 250 ms so the rounds do not all hit Consul in the same instant.
    const anchor = await Promise.all(Array.from({ length: ANCHOR_RUNS }, (_, i) => sleep(i * 250).then(() => anchorRound(i))));
    const anchorSeconds = (Date.now() - began) / 1000;
    const released: number[] = [];
    for (let i = 0; i < RUNS; i++) released.push(await releaseRound(i));

    stopSampling.abort();
    await sampling;
    // The standby first, so that stopping the leader hands over to no one.
    for (const r of [standby, leader]) {
      await stopOperator(r.op);
      r.exitedAt = Date.now();
    }
    const logged = replicas.map((r) => ({
      name: r.op.name,
      lines: r.op.lines,
      ...(r.exitedAt === undefined ? {} : { endedAt: r.exitedAt }),
    }));
    const logs = leaderOverlaps(logged);
    // The first leader and one per round: fewer spans would mean the check saw less than happened.
    const spans = leaderSpans(logged).length;
    const wantSpans = 1 + 2 * RUNS;

    const k = stats(kill.ms);
    const settings = `session TTL ${LEASE_SECONDS} s, lock-delay ${LOCK_DELAY_SECONDS} s`;
    console.log(
      `operator leader failover: two \`swarmop operator --leader-elect\` processes (${settings}; the operator binds its session to a 2 s TTL check)`,
    );
    console.log(`SIGKILL of the leader -> standby logs started leading   ${sampleText(kill.ms)}   target p99 <= ${TARGET_MS} ms`);
    console.log(`SIGTERM of the leader -> standby logs started leading   ${sampleText(term.ms)}`);
    console.log(
      `anchor, Consul alone (plain session, ${settings}, serfHealth only, holder never renewed -> a second session acquires)   ${sampleText(anchor)}   (${ANCHOR_RUNS} in parallel, ${anchorSeconds.toFixed(0)} s)`,
    );
    console.log(
      `anchor, Consul alone (the holder releases the key and destroys its session -> a blocked second session acquires)   ${sampleText(released)}`,
    );
    console.log(
      `safety: ${samples} samples of swarmop_leader on every live process (every ~100 ms): ${sampleOneLeader} with one leader, ${sampleOverlaps} with two; ${spans} leading intervals from the processes' log timestamps (${wantSpans} expected): ${logs.length} overlaps`,
    );
    for (const note of [...overlapNotes, ...logs]) console.log(`OVERLAP: ${note}`);
    console.log(
      `operator processes started: ${replicas.length}; their warnings: ${
        replicas
          .map((r) => warnSummary(r.op))
          .filter((w) => w !== 'none')
          .join(' | ') || 'none'
      }`,
    );
    const anchorText = `Consul alone, plain session lock (${settings}, no check but serfHealth), holder crashed → second session acquires: ${sampleText(anchor)}`;
    reportFigure({
      what: 'Operator leader failover: SIGKILL of the leading operator process → the standby logs started leading',
      figure: sampleText(kill.ms),
      anchor: anchorText,
      target: 'p99 ≤ 5 s',
      met: k.n >= 20 && k.p99 <= TARGET_MS,
    });
    reportFigure({
      what: 'Operator leader failover: SIGTERM of the leading operator process (clean hand-over) → the standby logs started leading',
      figure: sampleText(term.ms),
      anchor: `Consul alone, plain session lock: holder releases and destroys its session → a blocked second session acquires: ${sampleText(released)}`,
      target: '—',
    });
    console.log(`leader overlaps: ${sampleOverlaps + logs.length}`);
    if (spans !== wantSpans || sampleOneLeader === 0) {
      console.log(
        `FAILED: the safety check saw ${spans} leading intervals (expected ${wantSpans}) and ${sampleOneLeader} samples with a leader`,
      );
      return 1;
    }
    return sampleOverlaps + logs.length === 0 ? 0 : 1;
  } finally {
    stopSampling.abort();
    await sampling?.catch(() => undefined);
    for (const r of replicas) if (r.op.running) await r.op.stop('SIGKILL', 10_000).catch(() => undefined);
    await consul.stop();
  }
}

// --- partition: the old leader's stale change must not follow the new leader's -----------------

async function partitionCase(): Promise<number> {
  const agent = await startConsulAgent();
  const engine = await startDockerEngine({ name: 'bench-fencing' });
  const tree = UNFENCED ? buildUnfencedTree() : undefined;
  const ctx: FencingContext = {
    consulAddr: agent.address,
    engineSocket: engine.socketPath,
    children: [],
    proxies: [],
    ...(tree ? { repoRoot: tree.root } : {}),
  };
  try {
    const failover: number[] = [];
    const gaps: number[] = [];
    const margins: number[] = [];
    let overlaps = 0;
    let refused = 0;
    for (let i = 0; i < PARTITION_RUNS; i++) {
      const r = await fencingRound(ctx, 'partition', `bench-fencing-${i}/`);
      failover.push(r.bStartedTs - r.faultAt);
      if (r.aStoppedTs !== undefined) margins.push(r.bStartedTs - r.aStoppedTs);
      const aLast = Math.max(r.aLastChangeAt ?? -Infinity, r.aStoppedTs ?? -Infinity);
      if (r.bFirstChangeAt !== undefined && Number.isFinite(aLast)) gaps.push(r.bFirstChangeAt - aLast);
      if (r.aImportRefused) refused++;
      const late = [...r.aChangesAfterB, ...r.aStoreWritesAfterB];
      if (late.length > 0 || r.aStoppedTs === undefined || r.aStoppedTs >= r.bStartedTs) {
        overlaps++;
        console.log(
          `OVERLAP round ${i}: old leader stopped leading at ${r.aStoppedTs ?? 'never'}, new leader started at ${r.bStartedTs}; old leader's changes after that: ${late.map((x) => `${x.method} ${x.path.split('?')[0]} at ${x.at}`).join(', ') || 'none'}`,
        );
      }
      for (const c of ctx.children) if (c.running) await c.stop('SIGKILL').catch(() => undefined);
      for (const p of ctx.proxies.splice(0)) await p.close().catch(() => undefined);
    }
    const minGap = gaps.length ? Math.min(...gaps) : NaN;
    console.log(
      `partition of the leader from Consul (packets dropped) while it waits on a slow engine answer${UNFENCED ? ' -- UNFENCED copy of the tree (BENCH_UNFENCED=1)' : ''}`,
    );
    console.log(`cut -> standby logs started leading   ${sampleText(failover)}`);
    console.log(`old leader's stopped leading -> new leader's started leading (own log timestamps)   ${sampleText(margins)}`);
    console.log(
      `gap: old leader's last possible change -> new leader's first change at the engine   min ${minGap.toFixed(0)} ms   (${gaps.filter((g) => g > 0).length} of ${gaps.length} rounds > 0)`,
    );
    console.log(`the old leader's stale import refused by its own fence in ${refused} of ${PARTITION_RUNS} rounds`);
    console.log(`partition overlaps: ${overlaps} of ${PARTITION_RUNS} rounds`);
    if (!UNFENCED) {
      reportFigure({
        what: 'Operator leader failover: the leader partitioned from Consul (packets dropped) during a slow engine call → the standby logs started leading',
        figure: sampleText(failover),
        anchor: `old leader's last possible change → new leader's first change: min ${minGap.toFixed(0)} ms, > 0 in ${gaps.filter((g) => g > 0).length} of ${gaps.length}; overlaps ${overlaps}`,
        target: 'gap > 0 in every round; p99 ≤ 5 s',
        met: overlaps === 0 && gaps.length === PARTITION_RUNS && gaps.every((g) => g > 0) && stats(failover).p99 <= TARGET_MS,
      });
    }
    return overlaps === 0 && gaps.length === PARTITION_RUNS && gaps.every((g) => g > 0) ? 0 : 1;
  } finally {
    for (const c of ctx.children) if (c.running) await c.stop('SIGKILL').catch(() => undefined);
    for (const p of ctx.proxies) await p.close().catch(() => undefined);
    tree?.remove();
    await engine.stop();
    await agent.stop();
  }
}

async function main(): Promise<number> {
  let rc = 0;
  if (CASES.has('signals')) rc = Math.max(rc, await signalCases());
  if (CASES.has('partition')) rc = Math.max(rc, await partitionCase());
  return rc;
}

process.exitCode = await main();
