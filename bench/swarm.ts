/**
 * npm run bench:swarm - SwarmCluster on the lab (hack/lab.sh up), with the real operator process:
 * for each fault, the time from the fault to all listed nodes Ready in their roles (as the
 * manager's `docker node ls` shows it, one entry per host), p50 over BENCH_RUNS runs, next to what
 * Swarm alone does in the same run (operator stopped; "never" when it does not heal itself within
 * BENCH_ALONE_WAIT_S seconds). For faults that make a node show Down, the time from Down becoming
 * visible to Ready is printed too (target: <= 10 s).
 *
 * Faults: a worker runs `docker swarm leave --force`; a settled worker is promoted by hand (one
 * whose role has not changed since it joined: before each run it leaves and the operator joins it
 * again); a worker promoted again right after the operator demoted it (swarmkit keeps such a node
 * out of the raft until two 16 s role-change timeouts after that demotion have passed, and refuses
 * to demote a manager that is not a raft member). For both promotions the time from the node
 * showing as a raft member to its demotion (the operator's own share) is printed too. A worker's
 * engine restarts with its swarm state
 * wiped (hack/lab.sh host-stop/host-start of consul02; set BENCH_RESTART=0 to skip it, since it
 * restarts a shared lab host).
 * Clocks start at the fault: just before the API call that makes it (leave, promote), or, for the
 * restart, when the host's engine started again without its swarm state, as the lab's outer engine
 * records it (the DinD host container's State.StartedAt): that figure spans engine start -> the
 * node Ready again as a worker in the manager's node list, through the operator process, and so
 * includes the engine's own boot and the operator seeing the host back. Its "engine answers ->
 * Ready" (from when `hack/lab.sh host-start` saw the engine answer) is the operator's share, and
 * "Down visible -> Ready" counts from the manager showing the old entry Down while the host was
 * stopped. After the first leave, the worker's own engine events from the leave on are printed (a
 * worker sends none the operator could map).
 * The settled worker runs BENCH_PROMOTE_SETTLE_S (default 10) seconds after its rejoin before the promotion.
 * Settings: BENCH_RUNS (runs per fault; default 20 for leave and promote, 5 for repromote, whose
 * runs each wait ~35 s on swarmkit, and restart, which restarts a lab host), BENCH_ALONE_WAIT_S
 * (default 30), BENCH_BY_HAND_RUNS (default 5), BENCH_RESTART (default 1), BENCH_FAULTS (comma-separated subset of
 * leave,promote,repromote,restart; default all).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { hostDocker, LAB_OPERATOR_ARGS, labCommand, outerDocker, readLabEnv, REPO_ROOT } from '../e2e/framework/lab.js';
import { OperatorProcess } from '../testing/harness/operator-process.js';
import { reportFigure } from './figures.js';
import { nodeRows, type NodeRow } from '../testing/harness/swarm-nodes.js';
import { sampleText } from './stats.js';
import { swarmopCli } from './operator-run.js';

const RUNS_SET = process.env.BENCH_RUNS !== undefined ? Number(process.env.BENCH_RUNS) : undefined;
const ALONE_WAIT_MS = Number(process.env.BENCH_ALONE_WAIT_S ?? 30) * 1000;
const WITH_RESTART = process.env.BENCH_RESTART !== '0';
/** Runs of the settled promotion demoted by hand as early as swarmkit allows (its anchor). */
const BY_HAND_RUNS = Number(process.env.BENCH_BY_HAND_RUNS ?? 5);
/** How long a rejoined worker runs before the settled-promotion fault promotes it. */
const SETTLE_MS = Number(process.env.BENCH_PROMOTE_SETTLE_S ?? 10) * 1000;

const lab = readLabEnv();
/** The lab's manager and two workers (consulsvr, consul01, consul02 with the default settings). */
const [MGR, W1, W2] = lab.hosts.slice(0, 3).map((h) => h.name) as [string, string, string];
const addressOf = (h: string): string => lab.hosts.find((x) => x.name === h)!.address;
const prefix = `bench-swarm-${randomBytes(3).toString('hex')}/`;
const artifactsDir = join(REPO_ROOT, '.lab', 'bench-swarm');
const docker = (h: string): Docker => hostDocker(h);
const EXPECTED = JSON.stringify([`${MGR}:manager:ready`, `${W1}:worker:ready`, `${W2}:worker:ready`].sort());

async function nodes(): Promise<NodeRow[]> {
  return nodeRows(docker(MGR));
}
async function converged(): Promise<boolean> {
  try {
    const t = (await nodes()).map((n) => `${n.Description.Hostname}:${n.Spec.Role}:${n.Status.State}`).sort();
    return JSON.stringify(t) === EXPECTED;
  } catch {
    return false;
  }
}
async function shows(host: string, state: string): Promise<boolean> {
  try {
    return (await nodes()).some((n) => n.Description.Hostname === host && n.Status.State === state);
  } catch {
    return false;
  }
}

const MANIFESTS = `${lab.hosts
  .slice(0, 3)
  .map(
    (h) => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata: {name: ${h.name}}
spec: {endpoint: "${h.endpoint}", address: ${h.address}}
`,
  )
  .join('---\n')}---
apiVersion: swarmop.io/v1alpha1
kind: SwarmCluster
metadata: {name: swarm}
spec: {managers: [${MGR}], workers: [${W1}, ${W2}]}
`;

interface Timing {
  /** Fault -> the repair visible in the node list (new node id, role back). */
  repaired?: number;
  ready?: number;
  downToReady?: number;
  /** The promoted node showing as a raft member -> its demotion. */
  memberToRepaired?: number;
  /** The restarted engine answering -> all Ready. */
  answersToReady?: number;
}

interface Fault {
  name: string;
  host: string;
  runs: number;
  /**
   * Breaks the swarm; resolves once the fault is done (for the restart: once the engine answers
   * again) with a check that the repair happened (not just the old table still reading fine) and,
   * if the fault made the node show Down, when that became visible.
   */
  inject: () => Promise<Injected>;
  /** Also time the same fault repaired by hand as early as swarmkit allows (operator stopped). */
  byHand?: () => Promise<number[]>;
}

interface Injected {
  repaired: (rows: NodeRow[]) => boolean;
  /** performance.now() when the fault was made; default: when inject returned. */
  at?: number;
  downAt?: number;
  /** performance.now() when the restarted engine answered. */
  answersAt?: number;
  raftMember?: (rows: NodeRow[]) => boolean;
  /** Work of the fault left running while the repair is measured (awaited after it). */
  settle?: Promise<unknown>;
}

/** Polls (50 ms) from the end of the fault until converged and repaired. */
async function measure(f: Fault, timeoutMs: number): Promise<Timing> {
  const { repaired, downAt: injectedDown, raftMember, at, answersAt, settle } = await f.inject();
  try {
    return await poll(f, { repaired, raftMember, t0: at ?? performance.now(), down: injectedDown, answersAt }, timeoutMs);
  } finally {
    await settle;
  }
}

async function poll(
  f: Fault,
  o: {
    repaired: Injected['repaired'];
    raftMember: Injected['raftMember'];
    t0: number;
    down: number | undefined;
    answersAt: number | undefined;
  },
  timeoutMs: number,
): Promise<Timing> {
  const { repaired, raftMember, t0, answersAt } = o;
  let down = o.down;
  let repairedAt: number | undefined;
  let memberAt: number | undefined;
  while (performance.now() - t0 < timeoutMs) {
    let rows: NodeRow[] = [];
    try {
      rows = await nodes();
    } catch {
      // manager busy: poll again
    }
    if (down === undefined && rows.some((n) => n.Description.Hostname === f.host && n.Status.State === 'down')) down = performance.now();
    const table = rows.map((n) => `${n.Description.Hostname}:${n.Spec.Role}:${n.Status.State}`).sort();
    if (memberAt === undefined && raftMember?.(rows)) memberAt = performance.now();
    if (repairedAt === undefined && repaired(rows)) repairedAt = performance.now();
    if (JSON.stringify(table) === EXPECTED && repairedAt !== undefined) {
      const now = performance.now();
      return {
        repaired: repairedAt - t0,
        ready: now - t0,
        ...(down !== undefined ? { downToReady: now - down } : {}),
        ...(memberAt !== undefined ? { memberToRepaired: repairedAt - memberAt } : {}),
        ...(answersAt !== undefined ? { answersToReady: now - answersAt } : {}),
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {};
}

const idOf = async (host: string) => (await nodes()).find((x) => x.Description.Hostname === host)!;
/** A node that left or lost its state comes back under a new id. */
const newID = (host: string, old: string) => (rows: NodeRow[]) => rows.some((n) => n.Description.Hostname === host && n.ID !== old);

async function leave(host: string): Promise<Injected> {
  const old = (await idOf(host)).ID;
  const at = performance.now();
  await docker(host).swarmLeave({ force: true });
  return { repaired: newID(host, old), at };
}
/**
 * A worker whose role has not changed since it joined: it leaves and is joined again (by the
 * operator, or by hand while the operator is stopped), then promoted. A node demoted within the
 * last ~32 s would measure swarmkit's role-change timeouts instead (the next fault).
 */
async function settledPromote(host: string, operatorRunning: boolean): Promise<Injected> {
  const old = (await idOf(host)).ID;
  await docker(host).swarmLeave({ force: true });
  if (!operatorRunning) {
    const { JoinTokens } = (await docker(MGR).swarmInspect()) as { JoinTokens: { Worker: string } };
    await docker(MGR).getNode(old).remove({ force: true });
    const addr = addressOf(host);
    await docker(host).swarmJoin({
      RemoteAddrs: [`${addressOf(MGR)}:2377`],
      JoinToken: JoinTokens.Worker,
      AdvertiseAddr: addr,
      ListenAddr: '0.0.0.0:2377',
    });
  }
  const t = performance.now();
  while (!((await converged()) && (await nodes()).some((n) => n.Description.Hostname === host && n.ID !== old))) {
    if (performance.now() - t > 60_000) throw new Error(`${host} not joined again within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // A worker promoted by hand has been running a while; one promoted a second after it joined
  // answers GET /info only seconds later (its engine busy with the role change), which is its own case.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  return promote(host);
}
async function promote(host: string): Promise<Injected> {
  const n = await idOf(host);
  const at = performance.now();
  await docker(MGR)
    .getNode(n.ID)
    .update({ _query: { version: n.Version.Index }, _body: { ...n.Spec, Role: 'manager' } } as never);
  // Repaired = the node spec says worker again (the node then needs a while to read Ready as a worker).
  return {
    at,
    repaired: (rows: NodeRow[]) => rows.some((x) => x.ID === n.ID && x.Spec.Role === 'worker'),
    raftMember: (rows: NodeRow[]) => rows.some((x) => x.ID === n.ID && x.ManagerStatus !== undefined),
  };
}
/** Demotes `host` by hand through the manager, retrying while swarmkit refuses (not a raft member yet). */
async function demoteByHand(host: string): Promise<void> {
  for (;;) {
    const n = await idOf(host);
    if (n.Spec.Role === 'worker') return;
    try {
      await docker(MGR)
        .getNode(n.ID)
        .update({ _query: { version: n.Version.Index }, _body: { ...n.Spec, Role: 'worker' } } as never);
      return;
    } catch (err) {
      const text = `${(err as Error).message} ${(err as { json?: { message?: string } }).json?.message ?? ''}`;
      if (!/can't find manager in raft memberlist|out of sequence/i.test(text)) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * The settled promotion's floor, set by swarmkit: the operator stopped, the same fault, and the
 * demotion sent by hand from the promotion on, retried until swarmkit takes it; promotion -> all
 * Ready in the manager's node list, as the operator's figure. These runs come before the
 * operator's, on a swarm with fewer rejoins behind it (swarmkit's commit of the demotion was seen
 * to vary from 3 s to 13 s on the lab over one session).
 */
async function byHandDemotions(host: string, runs: number): Promise<number[]> {
  // The swarm-alone run left the node a manager.
  await demoteByHand(host);
  await waitConverged(`${host} demoted by hand after the swarm-alone run`);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { at } = await settledPromote(host, false);
    await demoteByHand(host);
    await waitConverged(`by-hand demotion ${i + 1} of ${host}`);
    out.push(performance.now() - at!);
  }
  return out;
}

async function wipeRestart(host: string): Promise<Injected> {
  const old = (await idOf(host)).ID;
  const labContainers = ((await docker(host).listContainers({ filters: { label: ['io.swarmop.lab=1'] } })) as { Id: string }[]).map(
    (c) => c.Id,
  );
  await labCommand(['host-exec', host, 'rm', '-rf', '/var/lib/docker/swarm']);
  await labCommand(['host-stop', host]);
  // The manager shows the old entry Down before the host comes back (a reboot, not a blip).
  const t = performance.now();
  while (!(await shows(host, 'down')) && performance.now() - t < 60_000) await new Promise((r) => setTimeout(r, 100));
  const downAt = performance.now();
  await labCommand(['host-start', host]);
  const answersAt = performance.now();
  // The fault: the engine started again without its swarm state, at the time the outer engine
  // recorded for the host container's start (same machine clock), mapped onto performance.now().
  const started = ((await outerDocker(lab).getContainer(host).inspect()) as { State: { StartedAt: string } }).State.StartedAt;
  const at = performance.now() - (Date.now() - Date.parse(started));
  // The lab's workloads on the host are started again while the repair is measured.
  const settle = Promise.all(
    labContainers.map((id) =>
      docker(host)
        .getContainer(id)
        .start()
        .catch(() => undefined),
    ),
  );
  return { repaired: newID(host, old), at, downAt, answersAt, settle };
}

let operatorRunning = false;
const FAULTS: Fault[] = [
  { name: 'worker `swarm leave --force`', host: W1, runs: RUNS_SET ?? 20, inject: () => leave(W1) },
  {
    name: 'worker promoted by hand',
    host: W2,
    runs: RUNS_SET ?? 20,
    inject: () => settledPromote(W2, operatorRunning),
    byHand: () => byHandDemotions(W2, BY_HAND_RUNS),
  },
  { name: 'worker promoted again right after its demotion', host: W2, runs: RUNS_SET ?? 5, inject: () => promote(W2) },
  ...(WITH_RESTART
    ? [
        {
          name: 'worker engine restarted, swarm state wiped (from engine start)',
          host: W2,
          runs: RUNS_SET ?? 5,
          inject: () => wipeRestart(W2),
        },
      ]
    : []),
].filter((f, i) => {
  const only = process.env.BENCH_FAULTS?.split(',');
  return !only || only.includes(['leave', 'promote', 'repromote', 'restart'][i]!);
});

const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'never' : `${(x / 1000).toFixed(2)} s`);

async function waitConverged(what: string, timeoutMs = 120_000): Promise<void> {
  const t = performance.now();
  while (!(await converged())) {
    if (performance.now() - t > timeoutMs) throw new Error(`not converged after ${timeoutMs} ms (${what})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The worker's own engine events from `sinceMs` on, as `Type/Action +ms` (a bounded query, so it returns). */
async function printWorkerEvents(host: string, sinceMs: number): Promise<void> {
  const until = Math.floor(Date.now() / 1000) + 1;
  const raw = (await docker(host).getEvents({ since: Math.floor(sinceMs / 1000), until } as never)) as unknown as
    NodeJS.ReadableStream | Buffer | string;
  let text = '';
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) text = raw.toString();
  else for await (const chunk of raw as AsyncIterable<Buffer>) text += chunk.toString();
  const seen = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const e = JSON.parse(l) as { Type: string; Action: string; timeNano: number };
      return `${e.Type}/${e.Action} ${Math.round(e.timeNano / 1e6 - sinceMs)} ms`;
    });
  console.log(`# ${host}'s own engine events from its leave (0 ms) to its repair: ${seen.join(', ') || 'none'}`);
}

const cli = (args: string[], input?: string): Promise<string> => swarmopCli(lab.storeAddr, prefix, args, input);

async function main(): Promise<void> {
  console.log(
    `bench:swarm on the lab (store ${lab.storeAddr}, prefix ${prefix}), runs per fault: ${FAULTS.map((f) => `${f.runs}`).join('/')}`,
  );
  await cli(['apply', '-f', '-'], MANIFESTS);
  let op = new OperatorProcess({ storeAddr: lab.storeAddr, prefix, artifactsDir, name: 'bench-operator', args: LAB_OPERATOR_ARGS });
  op.start();
  try {
    await waitConverged('initial formation');
    const rows: string[] = [];
    for (const f of FAULTS) {
      // Swarm alone: the operator is stopped, the fault is left to the engines.
      await op.stop();
      operatorRunning = false;
      const alone = await measure(f, ALONE_WAIT_MS);
      const byHand = f.byHand ? await f.byHand() : undefined;
      const byHandText = byHand ? `; demoted by hand as early as swarmkit allows: ${sampleText(byHand)}` : '';
      op = new OperatorProcess({ storeAddr: lab.storeAddr, prefix, artifactsDir, name: 'bench-operator', args: LAB_OPERATOR_ARGS });
      op.start();
      operatorRunning = true;
      await waitConverged(`after the swarm-alone run of ${f.name}`);

      const ready: number[] = [];
      const repairedMs: number[] = [];
      const downToReady: number[] = [];
      const memberToRepaired: number[] = [];
      const answersToReady: number[] = [];
      let failures = 0;
      for (let i = 0; i < f.runs; i++) {
        const since = Date.now();
        const t = await measure(f, 120_000);
        if (i === 0 && f === FAULTS.find((x) => x.name.includes('leave'))) await printWorkerEvents(f.host, since);
        if (t.ready === undefined) failures++;
        else ready.push(t.ready);
        if (t.repaired !== undefined) repairedMs.push(t.repaired);
        if (t.downToReady !== undefined) downToReady.push(t.downToReady);
        if (t.memberToRepaired !== undefined) memberToRepaired.push(t.memberToRepaired);
        if (t.answersToReady !== undefined) answersToReady.push(t.answersToReady);
        await waitConverged(`run ${i + 1} of ${f.name}`);
      }
      const line =
        `${f.name.padEnd(44)} with swarmop: fault -> repaired ${sampleText(repairedMs)}, -> all Ready ${sampleText(ready)}${failures ? ` (${failures} not converged)` : ''}` +
        (downToReady.length ? `, Down visible -> Ready ${sampleText(downToReady)}` : '') +
        (memberToRepaired.length ? `, raft member -> demoted ${sampleText(memberToRepaired)}` : '') +
        (answersToReady.length ? `, engine answers -> all Ready ${sampleText(answersToReady)}` : '') +
        `;  Swarm alone: ${alone.ready === undefined ? `never (not within ${ALONE_WAIT_MS / 1000} s)` : ms(alone.ready)}${byHandText}`;
      console.log(line);
      rows.push(line);
      reportFigure({
        what: `Swarm: ${f.name.trim()} → all Ready (operator process)`,
        figure: `${sampleText(ready)}${failures ? `, ${failures} not converged` : ''}`,
        anchor: `Swarm alone: ${alone.ready === undefined ? `never (not within ${ALONE_WAIT_MS / 1000} s)` : ms(alone.ready)}${byHandText}`,
        target: '—',
      });
    }
    const repairs = op.lines.filter((l) => l.message === 'drift repaired').length;
    console.log(`drift repaired lines in the last operator's log: ${repairs}`);
  } finally {
    await op.stop().catch(() => op.kill());
    await fetch(`http://${lab.storeAddr}/v1/kv/${prefix}?recurse`, { method: 'DELETE' }).catch(() => undefined);
  }
}

await main();
