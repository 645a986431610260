/**
 * Decides the ONE next step for a ConsulCluster from the analysis (pure): never more than one
 * repair in flight per cluster, never a restart of a healthy member, quorum kept on every replace.
 * The step runs, and the next reconcile judges the new world again.
 */
import { healthy, type ClusterAnalysis, type MemberFacts } from './analysis.js';
import type { DesiredAgent } from './desired.js';
import type { ContainerObservation } from './model.js';

export type Step =
  /** New members (never seen by Consul): created together so bootstrap-expect can be met. */
  | { type: 'create'; agents: DesiredAgent[]; reason: 'Bootstrap' | 'MemberAdded' }
  | { type: 'recreate'; agent: DesiredAgent; found: string }
  | { type: 'start'; agent: DesiredAgent; containerId: string; paused: boolean; found: string }
  | { type: 'restart'; agent: DesiredAgent; containerId: string; found: string }
  /** `alsoVia`: other agents that see the member down join it too, at once (best effort). */
  | { type: 'join'; agent: DesiredAgent; via: string; target: string; found: string; alsoVia?: string[] }
  | { type: 'replace'; agent: DesiredAgent; containerId: string; found: string }
  | { type: 'removeStray'; container: ContainerObservation; leaveFirst: boolean; found: string }
  | { type: 'forceLeave'; node: string; via: string; found: string }
  | { type: 'removeRaftPeer'; id: string; node: string; address: string; via: string; found: string }
  | { type: 'reclaimNodeName'; node: string; nodeID: string; address: string; via: string; found: string };

/** A step whose effect is still settling; remembered (in memory) between reconciles. */
export interface Inflight {
  step: Step['type'];
  /** Members that must be healthy for the step to count as done. */
  nodes: string[];
  startedAt: number;
  deadline: number;
  description: string;
}

export interface PlanOptions {
  /** An agent container started less than this long ago may still be coming up (ms). */
  startGraceMs: number;
  /** How long a (re)started agent may take to be healthy before the step is given up (ms). */
  startTimeoutMs: number;
  /** How long a join may take to show the member alive (ms). */
  joinTimeoutMs: number;
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { startGraceMs: 20_000, startTimeoutMs: 60_000, joinTimeoutMs: 10_000 };

export interface Plan {
  step?: Step;
  /** Why nothing is done now although the cluster is not converged. */
  waiting?: string;
  /** The in-flight step finished (true) or timed out (false): forget it. */
  inflightDone?: { settled: boolean; inflight: Inflight };
}

/** Docker and this process read the same clock here, but allow for a little skew on real hosts. */
const CLOCK_SLACK_MS = 1000;

export function isSettled(inflight: Inflight, a: ClusterAnalysis): boolean {
  const started = inflight.step !== 'join';
  return inflight.nodes.every((n) => {
    const m = a.members.find((x) => x.agent.node === n);
    // A member that is no longer wanted cannot settle; the step is moot.
    if (m === undefined) return true;
    if (!healthy(m, a) || !m.answering || !m.upToDate) return false;
    // Right after a (re)start Consul may still show the OLD agent alive: only the new one counts.
    return !started || (m.container?.startedAt ?? 0) >= inflight.startedAt - CLOCK_SLACK_MS;
  });
}

/**
 * The step's member broke again while it settled (its container is gone or stopped, not by
 * docker's own restart): waiting for the step is pointless, the planner must act again.
 */
function undone(inflight: Inflight, a: ClusterAnalysis): boolean {
  return inflight.nodes.some((n) => {
    const m = a.members.find((x) => x.agent.node === n);
    return m !== undefined && m.hostReachable && (!m.container || !['running', 'restarting'].includes(m.container.state));
  });
}

/** Where a join for `m` should go: through the reference agent when that is someone else. */
function joinStep(m: MemberFacts, a: ClusterAnalysis, found: string): Step | undefined {
  const ref = a.reference;
  if (!ref || ref.address === m.agent.address) return undefined;
  // Each agent that still sees it down would learn of the join through gossip, or need a join of
  // its own a reconcile later: the same join from each of them spreads it at once.
  const alsoVia = a.members
    .filter(
      (x) =>
        x !== m &&
        x.answering &&
        x.agent.address !== ref.address &&
        (x.view?.members.find((v) => v.name === m.agent.node)?.status ?? 'none') !== 'alive',
    )
    .map((x) => x.agent.address);
  return { type: 'join', agent: m.agent, via: ref.address, target: m.agent.address, found, alsoVia };
}

function replaceOrder(members: MemberFacts[], a: ClusterAnalysis): MemberFacts[] {
  const rank = (m: MemberFacts) => (m.agent.role === 'client' ? 0 : m.agent.node === a.leaderNode ? 2 : 1);
  return [...members].sort((x, y) => rank(x) - rank(y));
}

export function plan(a: ClusterAnalysis, inflight: Inflight | undefined, now: number, o: PlanOptions = DEFAULT_PLAN_OPTIONS): Plan {
  let inflightDone: Plan['inflightDone'];
  if (inflight) {
    if (isSettled(inflight, a)) inflightDone = { settled: true, inflight };
    else if (now < inflight.deadline && !undone(inflight, a)) return { waiting: `waiting for ${inflight.description}` };
    else inflightDone = { settled: false, inflight };
  }
  const done = (p: Omit<Plan, 'inflightDone'>): Plan => ({ ...p, ...(inflightDone ? { inflightDone } : {}) });
  const acting = a.members.filter((m) => m.hostReachable);

  // 1. Missing containers. Known to Consul means it existed and was removed: a repair.
  const missing = acting.filter((m) => !m.container);
  const removed = missing.find((m) => m.status !== 'none');
  if (removed) {
    return done({
      step: {
        type: 'recreate',
        agent: removed.agent,
        found: `agent container ${removed.agent.container} missing (member ${removed.status})`,
      },
    });
  }
  if (missing.length > 0) {
    const bootstrap = a.members.every((m) => !m.container) && !a.reference;
    return done({ step: { type: 'create', agents: missing.map((m) => m.agent), reason: bootstrap ? 'Bootstrap' : 'MemberAdded' } });
  }

  // 2. Containers not running. Docker's own restart (state restarting) is a repair in flight.
  const restarting = acting.find((m) => m.container?.state === 'restarting');
  if (restarting) return done({ waiting: `docker is restarting ${restarting.agent.container} on ${restarting.agent.host}` });
  // Between `docker rm -f` killing it and the removal finishing: a start fails, its name is still taken.
  const removing = acting.find((m) => m.container?.state === 'removing');
  if (removing) return done({ waiting: `docker is removing ${removing.agent.container} on ${removing.agent.host}` });
  // A removal that failed leaves it dead: it can neither start nor be recreated under its name.
  const dead = acting.find((m) => m.container?.state === 'dead');
  if (dead?.container)
    return done({
      step: { type: 'replace', agent: dead.agent, containerId: dead.container.id, found: 'agent container dead (a removal failed)' },
    });
  const stopped = acting.find((m) => m.container && m.container.state !== 'running');
  if (stopped?.container) {
    if (!stopped.upToDate && othersHealthy(stopped, a)) {
      return done({
        step: {
          type: 'replace',
          agent: stopped.agent,
          containerId: stopped.container.id,
          found: `agent container ${stopped.container.state} with an old configuration`,
        },
      });
    }
    return done({
      step: {
        type: 'start',
        agent: stopped.agent,
        containerId: stopped.container.id,
        paused: stopped.container.state === 'paused',
        found: `agent container ${stopped.container.state}`,
      },
    });
  }

  // 3. Running but the agent does not answer: give a fresh start time, then restart it.
  for (const m of acting.filter((x) => !x.answering && x.container)) {
    const c = m.container!;
    if (c.startedAt !== undefined && now - c.startedAt < o.startGraceMs) return done({ waiting: `agent ${m.agent.node} is starting` });
    if (!m.upToDate && othersHealthy(m, a)) {
      return done({
        step: { type: 'replace', agent: m.agent, containerId: c.id, found: 'agent does not answer and has an old configuration' },
      });
    }
    return done({
      step: {
        type: 'restart',
        agent: m.agent,
        containerId: c.id,
        found: `agent container running but its HTTP API does not answer (member ${m.status})`,
      },
    });
  }

  // 4. The agent answers but the cluster does not see it alive: join it explicitly, now.
  for (const m of acting.filter((x) => x.answering && x.status !== 'alive')) {
    if (m.status === 'leaving') return done({ waiting: `member ${m.agent.node} is leaving` });
    const fresh = m.container?.startedAt !== undefined && now - m.container.startedAt < o.startGraceMs;
    const self = m.view?.members.find((x) => x.name === m.agent.node)?.status;
    if (m.status === 'left' && self !== 'alive' && !fresh && m.container) {
      // It left itself (`consul leave`): the agent drains before it exits (~13 s for a server); a
      // join cannot stop that, a restart brings it back at once (it rejoins through -retry-join).
      // One that still sees itself alive was force-left (autopilot's dead-server clean-up after a
      // partition): a join is enough.
      return done({
        step: {
          type: 'restart',
          agent: m.agent,
          containerId: m.container.id,
          found: `member ${m.agent.node} left; its agent is shutting down`,
        },
      });
    }
    const j = joinStep(m, a, `member ${m.agent.node} is ${m.status} while its agent answers`);
    if (j) return done({ step: j });
  }

  const ref = a.reference;
  // 4b. Alive, but the catalog holds its name under another node ID (its data dir was wiped): the
  // catalog refuses the new ID for good, so the stale entry is replaced through the leader's agent.
  if (ref && a.leaderAddress !== '') {
    const renamed = reclaimable(acting, ref);
    if (renamed) return done({ step: renamed });
  }

  // 5. The cluster sees it alive but it does not see the others (the other half of a healed partition).
  if (ref) {
    for (const m of acting.filter((x) => x.answering && x.view && x.agent.address !== ref.address)) {
      const blind = a.members.find(
        (n) => n.status === 'alive' && n !== m && (m.view!.members.find((v) => v.name === n.agent.node)?.status ?? 'none') !== 'alive',
      );
      if (blind) {
        const status = m.view!.members.find((v) => v.name === blind.agent.node)?.status ?? 'none';
        // A `consul leave` reaches the agents one after another, so one may see the member leaving
        // while the reference still sees it alive. That is no partition: a join would only race the
        // leave, whose outcome (step 4's restart) comes once the reference sees it too.
        if (status === 'leaving') return done({ waiting: `${m.agent.node} sees ${blind.agent.node} leaving` });
        return done({
          step: {
            type: 'join',
            agent: m.agent,
            via: m.agent.address,
            target: ref.address,
            found: `${m.agent.node} sees ${blind.agent.node} ${status}`,
          },
        });
      }
    }
  }

  // 6. Configuration changed: replace one agent at a time, only while the others hold quorum.
  const outdated = replaceOrder(
    acting.filter((m) => m.container && !m.upToDate),
    a,
  );
  const next = outdated[0];
  if (next?.container) {
    if (!othersHealthy(next, a))
      return done({ waiting: `configuration change of ${next.agent.node} waits for the other members to be healthy` });
    return done({
      step: {
        type: 'replace',
        agent: next.agent,
        containerId: next.container.id,
        found: `config hash ${short(next.container.configHash)} != ${short(next.agent.configHash)}`,
      },
    });
  }

  // 7. Agents of this cluster on hosts no longer in the spec: leave gracefully, remove.
  const stray = a.strays.find((c) => !a.unreachableHosts.includes(c.host));
  if (stray) {
    // A server's leave shrinks the raft configuration: only safe while every wanted member is healthy.
    if (!(a.leaderAddress !== '' && a.members.every((m) => healthy(m, a)))) {
      return done({ waiting: `removal of ${stray.member ?? stray.host} waits for the wanted members to be healthy` });
    }
    const leaveFirst = stray.state === 'running';
    return done({
      step: {
        type: 'removeStray',
        container: stray,
        leaveFirst,
        found: `member ${stray.member ?? '?'} on ${stray.host} is not in the spec`,
      },
    });
  }

  // 8. Failed members nobody wants any more, and their dead raft peers.
  if (ref && a.leaderAddress !== '') {
    const wanted = new Set(a.members.map((m) => m.agent.node));
    const gone = ref.members.find((m) => !wanted.has(m.name) && m.status === 'failed');
    if (gone)
      return done({
        step: { type: 'forceLeave', node: gone.name, via: ref.address, found: `member ${gone.name} failed and is not in the spec` },
      });
    const wantedServers = new Set(a.members.filter((m) => m.agent.role === 'server').map((m) => m.agent.node));
    const dead = a.raft.find((p) => !wantedServers.has(p.node) && ref.members.find((m) => m.name === p.node)?.status !== 'alive');
    if (dead) {
      return done({
        step: {
          type: 'removeRaftPeer',
          id: dead.id,
          node: dead.node,
          address: dead.address,
          via: ref.address,
          found: `raft peer ${dead.node} (${dead.address}) is dead and not in the spec`,
        },
      });
    }
  }
  return done({});
}

function reclaimable(acting: readonly MemberFacts[], ref: NonNullable<ClusterAnalysis['reference']>): Step | undefined {
  for (const m of acting) {
    const id = m.view?.identity;
    if (!m.answering || m.status !== 'alive' || !id?.catalogNodeID || id.catalogNodeID === id.nodeID) continue;
    return {
      type: 'reclaimNodeName',
      node: m.agent.node,
      nodeID: id.nodeID,
      address: m.agent.address,
      via: ref.address,
      found: `catalog holds ${m.agent.node} as node ${id.catalogNodeID.slice(0, 8)} while its agent is ${id.nodeID.slice(0, 8)} (data dir wiped)`,
    };
  }
  return undefined;
}

/** Taking `m` down leaves a leader and every other member healthy (so quorum holds). */
function othersHealthy(m: MemberFacts, a: ClusterAnalysis): boolean {
  return a.leaderAddress !== '' && a.members.every((x) => x === m || healthy(x, a));
}

function short(h: string | undefined): string {
  return h ? h.slice(0, 12) : '<none>';
}

/** The in-flight record for a step that takes time to show its effect; undefined for instant ones. */
export function inflightFor(step: Step, now: number, o: PlanOptions = DEFAULT_PLAN_OPTIONS): Inflight | undefined {
  switch (step.type) {
    case 'create':
      return {
        step: step.type,
        nodes: step.agents.map((x) => x.node),
        startedAt: now,
        deadline: now + o.startTimeoutMs,
        description: `${step.reason === 'Bootstrap' ? 'bootstrap of' : 'new members'} ${step.agents.map((x) => x.node).join(', ')}`,
      };
    case 'recreate':
    case 'start':
    case 'restart':
    case 'replace':
      return {
        step: step.type,
        nodes: [step.agent.node],
        startedAt: now,
        deadline: now + o.startTimeoutMs,
        description: `${step.type} of ${step.agent.node}`,
      };
    case 'join':
      return {
        step: step.type,
        nodes: [step.agent.node],
        startedAt: now,
        deadline: now + o.joinTimeoutMs,
        description: `join of ${step.agent.node}`,
      };
    default:
      return undefined;
  }
}
