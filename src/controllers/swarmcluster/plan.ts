/**
 * Observed swarm vs desired swarm -> the smallest set of steps (pure). One step per thing to fix,
 * each made of idempotent engine calls; the reconciler executes them, observes again and re-plans, so a
 * plan only needs to be right for the world it was given, never for the world after it.
 *
 * Order inside a plan: stale entries out first (keeps raft counts small), then joins, promotions,
 * availability, demotions and prunes last, each checked against quorum on the node list as it will
 * be after the earlier steps.
 */
import type {
  Blocker,
  DesiredNode,
  DesiredSwarm,
  EngineObservation,
  EngineSwarm,
  SwarmStep,
  SwarmNode,
  SwarmPlan,
  SwarmCall,
  SwarmWorld,
} from './model.js';
import { canDropManager, countManagers, isRaftMember, quorumOf } from './quorum.js';

export interface PlanOptions {
  /** Epoch ms "now", to age Down entries. */
  now: number;
  /**
   * How long a node may show Down while its engine says it is an active member before the
   * controller makes it leave and join again (a reconnect normally heals within seconds).
   */
  downGraceMs: number;
  /**
   * How long a node may be a manager by spec but out of the raft member list, counted from the
   * entry's last update, before the controller makes it leave and join again. Default
   * DEFAULT_PROMOTION_GRACE_MS.
   */
  promotionGraceMs?: number;
}

export const DEFAULT_DOWN_GRACE_MS = 15_000;
/**
 * A worker promoted shortly after it was demoted joins the raft only once swarmkit's node gives up
 * waiting for its worker certificate: two role-change timeouts of 16 s after the demotion (~32 s,
 * measured on the lab), and the entry is updated at the first of them. Re-joining before that
 * would take a node out of the swarm that swarmkit was about to make a manager.
 */
export const DEFAULT_PROMOTION_GRACE_MS = 40_000;

/** Host part of "ip:port" or a bare ip; '' for the placeholder 0.0.0.0 Docker shows for some managers. */
import { hostOfAddr } from '../swarm-node-address.js';
export { hostOfAddr };

/** An entry belongs to a listed host by its address; by hostname only when Docker shows no usable address. */
function sameNode(n: SwarmNode, d: DesiredNode, engineHostname: string | undefined): boolean {
  const addr = hostOfAddr(n.address);
  if (addr) return addr === d.address;
  return n.hostname === d.host || (engineHostname !== undefined && n.hostname === engineHostname);
}

const NOT_READY = new Set(['down', 'unknown', 'disconnected']);

/** For each listed host: its current node entry (by engine NodeID) and stale Down entries (same address/hostname). */
export function matchNodes(desired: DesiredSwarm, engines: Map<string, EngineObservation>, nodes: readonly SwarmNode[]) {
  const current = new Map<string, SwarmNode>();
  const stale = new Map<string, SwarmNode[]>();
  const claimed = new Set<string>();
  for (const d of desired.nodes) {
    const e = engines.get(d.host);
    const nodeID = e?.reachable ? e.swarm.nodeID : undefined;
    const cur = nodeID ? nodes.find((n) => n.id === nodeID) : undefined;
    if (cur) {
      current.set(d.host, cur);
      claimed.add(cur.id);
    }
    // An unreachable engine's own entry shows Down too, and we cannot tell it from a stale one:
    // claim it (so prune never touches it) but treat it as current, not stale.
    const hostname = e?.reachable ? e.hostname : undefined;
    const same = nodes.filter((n) => n.id !== cur?.id && sameNode(n, d, hostname));
    if (!e?.reachable) {
      for (const n of same) claimed.add(n.id);
      const byAddr = same.find((n) => hostOfAddr(n.address) === d.address) ?? same[0];
      if (byAddr && !cur) current.set(d.host, byAddr);
      continue;
    }
    // The engine answers and is not (or no longer) these nodes: a just-left node may still read ready.
    const old = same;
    if (old.length) stale.set(d.host, old);
    for (const n of old) claimed.add(n.id);
  }
  return { current, stale, claimed };
}

/** Every listed manager answers with no swarm at all (as after its swarm state was wiped). */
function managersLostState(desired: DesiredSwarm, engines: Map<string, EngineObservation>): boolean {
  const managers = desired.nodes.filter((d) => d.role === 'manager');
  return (
    managers.length > 0 &&
    managers.every((d) => {
      const e = engines.get(d.host);
      return e?.reachable === true && e.swarm.localNodeState === 'inactive';
    })
  );
}

/**
 * The plan as it grows, shared by the phases: each appends in order, and `nodes` is the swarm's node
 * list as it will be after the steps so far, so every quorum check sees the earlier steps.
 */
interface Draft {
  steps: SwarmStep[];
  blockers: Blocker[];
  nodes: SwarmNode[];
}

export function planSwarm(desired: DesiredSwarm, world: SwarmWorld, options: PlanOptions): SwarmPlan {
  const { engines, cluster } = world;
  const draft: Draft = { steps: [], blockers: hostBlockers(desired, engines), nodes: [] };
  if (cluster.kind === 'quorum-lost') {
    planQuorumLost(draft, desired, cluster);
  } else if (cluster.kind === 'none') {
    planInit(draft, desired, engines);
  } else {
    // A swarm with a leader: converge every listed node, then deal with unlisted ones.
    draft.nodes = [...cluster.nodes];
    const { current, stale, claimed } = matchNodes(desired, engines, draft.nodes);
    const demotions: SwarmStep[] = [];
    for (const d of desired.nodes) {
      const e = engines.get(d.host);
      if (!e?.reachable) continue;
      const demotion = planListedNode(draft, d, e.swarm, {
        cur: current.get(d.host),
        old: stale.get(d.host) ?? [],
        clusterID: cluster.clusterID,
        options,
      });
      if (demotion) demotions.push(demotion);
    }
    planDemotions(draft, demotions);
    planUnlisted(
      draft,
      cluster.nodes.filter((n) => !claimed.has(n.id)),
      desired.prune,
    );
  }
  return { steps: draft.steps, blockers: draft.blockers };
}

/** Listed engines that cannot take part in this pass: not answering, mid-join or locked. */
function hostBlockers(desired: DesiredSwarm, engines: Map<string, EngineObservation>): Blocker[] {
  const blockers: Blocker[] = [];
  for (const d of desired.nodes) {
    const e = engines.get(d.host);
    if (!e || !e.reachable) {
      blockers.push({
        reason: 'HostUnreachable',
        message: `${d.host}: engine not answering${e && !e.reachable ? ` (${e.error})` : ''}`,
        severity: 'degraded',
      });
    } else if (e.swarm.localNodeState === 'pending') {
      blockers.push({ reason: 'NodePending', message: `${d.host}: swarm join in progress`, severity: 'degraded' });
    } else if (e.swarm.localNodeState === 'locked') {
      blockers.push({
        reason: 'NodeLocked',
        message: `${d.host}: swarm is locked; run \`docker swarm unlock\` on it`,
        severity: 'degraded',
      });
    }
  }
  return blockers;
}

/** The swarm has no leader: re-create it from its manager when the spec allows, else say how to recover. */
function planQuorumLost(draft: Draft, desired: DesiredSwarm, cluster: Extract<SwarmWorld['cluster'], { kind: 'quorum-lost' }>): void {
  const first =
    desired.nodes.find((d) => d.role === 'manager' && d.host === cluster.managerHost) ??
    desired.nodes.find((d) => d.host === cluster.managerHost);
  const advertise = first?.advertise ?? cluster.managerHost;
  if (desired.allowForceNewCluster && first) {
    draft.steps.push({
      cause: {
        reason: 'QuorumRestored',
        found: `swarm ${cluster.clusterID ?? ''} has no leader (${cluster.error})`.replace('  ', ' '),
        repair: true,
      },
      host: first.host,
      calls: [{ op: 'init', host: first.host, advertise, forceNewCluster: true }],
      summary: `re-created the swarm from ${first.host} with --force-new-cluster`,
    });
  } else {
    draft.blockers.push({
      reason: 'QuorumLost',
      message:
        `swarm ${cluster.clusterID ?? '(unknown id)'} lost manager quorum (${cluster.error}). Recover by bringing the missing managers back, ` +
        `or run \`docker swarm init --force-new-cluster --advertise-addr ${advertise}\` on ${cluster.managerHost} ` +
        '(or set spec.allowForceNewCluster: true to let swarmop do it).',
      severity: 'blocking',
    });
  }
}

/** No listed engine manages a swarm: create one on the first listed manager, unless that could split a swarm. */
function planInit(draft: Draft, desired: DesiredSwarm, engines: Map<string, EngineObservation>): void {
  const first = desired.nodes.find((d) => d.role === 'manager');
  if (!first) return;
  const fe = engines.get(first.host);
  // Some listed engine still believes it is in a swarm, but no listed engine is its manager right
  // now (a manager restarting, a role change in flight, a manager not in the spec). Creating a
  // swarm now would split the cluster, so wait -- unless the spec allows re-creating it.
  const members = desired.nodes.filter((d) => {
    const e = engines.get(d.host);
    return e?.reachable && e.swarm.localNodeState !== 'inactive';
  });
  if (!fe?.reachable) {
    draft.blockers.push({
      reason: 'ManagerUnreachable',
      message: `${first.host} (first manager) must answer before the swarm can be created`,
      severity: 'blocking',
    });
  } else if (members.length > 0 && !desired.allowForceNewCluster && managersLostState(desired, engines)) {
    // Every listed manager answers but is in no swarm (its swarm state was wiped), while other
    // engines still belong to a swarm: that swarm has no manager left and cannot come back.
    draft.blockers.push({
      reason: 'QuorumLost',
      message:
        `every listed manager (${desired.nodes
          .filter((d) => d.role === 'manager')
          .map((d) => d.host)
          .join(', ')}) lost its swarm state while ` +
        `${members.map((m) => m.host).join(', ')} ${members.length === 1 ? 'is' : 'are'} still in the old swarm, which has no manager left. Recover by running ` +
        `\`docker swarm init --advertise-addr ${first.advertise}\` on ${first.host} and \`docker swarm leave --force\` then \`docker swarm join\` on the others ` +
        '(or set spec.allowForceNewCluster: true to let swarmop do it).',
      severity: 'blocking',
    });
  } else if (members.length > 0 && !desired.allowForceNewCluster) {
    draft.blockers.push({
      reason: 'NoManagerVisible',
      message:
        `${members.map((m) => m.host).join(', ')} ${members.length === 1 ? 'is' : 'are'} in a swarm but no listed host is its manager; ` +
        'waiting instead of creating a second swarm (list its managers, or set spec.allowForceNewCluster: true to start a new swarm on ' +
        `${first.host})`,
      severity: 'blocking',
    });
  } else if (fe.swarm.localNodeState === 'inactive') {
    draft.steps.push({
      cause: { reason: 'SwarmInitialized', found: 'no listed manager is in a swarm', repair: false },
      host: first.host,
      calls: [{ op: 'init', host: first.host, advertise: first.advertise, forceNewCluster: false }],
      summary: `initialised the swarm on ${first.host} advertising ${first.advertise}`,
    });
  } else if (fe.swarm.localNodeState === 'active') {
    // Opted in: the first manager leaves the swarm nobody manages and starts ours.
    draft.steps.push({
      cause: { reason: 'SwarmInitialized', found: `${first.host} is a worker of a swarm without a visible manager`, repair: true },
      host: first.host,
      calls: [
        { op: 'leave', host: first.host },
        { op: 'init', host: first.host, advertise: first.advertise, forceNewCluster: false },
      ],
      summary: `left the unmanaged swarm and initialised a new one on ${first.host} (allowForceNewCluster)`,
    });
  }
}

/** What one listed node's phase knows besides its spec and its engine's swarm state. */
interface ListedNode {
  /** Its node entry in the swarm, if any. */
  cur: SwarmNode | undefined;
  /** Stale entries for the same host. */
  old: SwarmNode[];
  clusterID: string;
  options: PlanOptions;
}

/**
 * One listed node whose engine answers: appends its repairs to the draft; a demotion is returned
 * instead, to run after every promotion and join.
 */
function planListedNode(draft: Draft, d: DesiredNode, s: EngineSwarm, node: ListedNode): SwarmStep | undefined {
  const { cur, old, clusterID, options } = node;
  // A join that never completes (the engine died during it; seen on the lab after a host
  // restart) stays pending for good while no manager lists the node: leave and join again.
  const stuck = s.localNodeState === 'pending' && !cur;
  if (s.localNodeState === 'inactive' || s.localNodeState === 'error' || stuck) {
    planJoin(draft, d, s, old, stuck);
  } else if (s.localNodeState !== 'active') {
    // pending / locked: reported by hostBlockers
  } else if (!cur) {
    planForeignMember(draft, d, s, old, clusterID);
  } else if (NOT_READY.has(cur.state)) {
    planNotReady(draft, d, cur, old, options);
  } else if (cur.role === 'manager' && !isRaftMember(cur)) {
    planOutsideRaft(draft, d, cur, old, options);
  } else {
    return convergeMember(draft, d, cur, old);
  }
  return undefined;
}

const joinStep = (d: DesiredNode): SwarmCall => ({ op: 'join', host: d.host, role: d.role, advertise: d.advertise });

/** The engine is in no swarm, in swarm state error, or stuck joining: (leave,) stale entries out, join. */
function planJoin(draft: Draft, d: DesiredNode, s: EngineSwarm, old: SwarmNode[], stuck: boolean): void {
  const rm = removeStale(draft, d.host, old);
  if (rm.blocked) {
    draft.blockers.push({
      reason: 'QuorumAtRisk',
      message: `${d.host}: stale manager entry ${rm.blocked.id.slice(0, 12)} cannot be removed without losing quorum`,
      severity: 'degraded',
    });
  }
  // Stale entries go before the join: removing an old identity right after the engine joined
  // under a new one can make the engine drop out again (seen on the lab).
  const leaveFirst = s.localNodeState === 'error' || stuck;
  const steps: SwarmCall[] = [...(leaveFirst ? [{ op: 'leave', host: d.host } as SwarmCall] : []), ...rm.steps, joinStep(d)];
  const wasMember = old.length > 0 || leaveFirst;
  draft.steps.push({
    cause: wasMember
      ? {
          reason: 'NodeRejoined',
          found:
            s.localNodeState === 'error'
              ? `${d.host}: swarm state error (${s.error ?? 'unknown'})`
              : stuck
                ? `${d.host}: swarm join pending while no manager lists it`
                : `${d.host} is not in the swarm (engine swarm state inactive) while the swarm lists it as ${staleText(old)}`,
          repair: true,
        }
      : { reason: 'NodeJoined', found: `${d.host} is listed as ${d.role} but not in the swarm`, repair: false },
    host: d.host,
    calls: steps,
    summary: `${leaveFirst ? 'left, ' : ''}${rm.steps.length ? `removed stale node ${staleText(old.filter((n) => !draft.nodes.some((x) => x.id === n.id)))} and ` : ''}joined as ${d.role}`,
  });
}

/** Active, but not a member of the swarm we manage (another swarm, or removed from ours): leave and join ours. */
function planForeignMember(draft: Draft, d: DesiredNode, s: EngineSwarm, old: SwarmNode[], clusterID: string): void {
  const rm = removeStale(draft, d.host, old);
  draft.steps.push({
    cause: {
      reason: 'NodeRejoined',
      found: `${d.host} is active in ${s.clusterID && s.clusterID !== clusterID ? `another swarm ${s.clusterID}` : 'a swarm'} but not a node of swarm ${clusterID}`,
      repair: true,
    },
    host: d.host,
    calls: [{ op: 'leave', host: d.host }, ...rm.steps, joinStep(d)],
    summary: `left, joined swarm ${clusterID} as ${d.role}`,
  });
}

/** The entry shows Down (or unknown) while the engine answers as an active member. */
function planNotReady(draft: Draft, d: DesiredNode, cur: SwarmNode, old: SwarmNode[], options: PlanOptions): void {
  const age = ageOf(cur, options.now);
  // Only a real Down is repaired: `unknown` is what a manager shows while a node changes role
  // or after a leader change, and it heals by itself once the node reports in.
  if (cur.state !== 'unknown' && age >= options.downGraceMs && (cur.role !== 'manager' || canDropManager(draft.nodes, cur.id))) {
    const rm = removeStale(draft, d.host, [cur, ...old]);
    draft.steps.push({
      cause: {
        reason: 'NodeRejoined',
        found: `${d.host} shows ${cur.state} for ${Math.round(age / 1000)}s while its engine answers as an active member`,
        repair: true,
      },
      host: d.host,
      calls: [{ op: 'leave', host: d.host }, ...rm.steps, joinStep(d)],
      summary: `left, removed stale node ${cur.id.slice(0, 12)} and joined again as ${d.role}`,
    });
  } else {
    draft.blockers.push({ reason: 'NodeDown', message: `${d.host}: node ${cur.id.slice(0, 12)} shows ${cur.state}`, severity: 'degraded' });
  }
}

/**
 * Its spec says manager, but it is not in the raft member list. Right after a promotion that is
 * normal for under a second (the node first gets a manager certificate), for up to ~32 s when the
 * node was demoted shortly before (see DEFAULT_PROMOTION_GRACE_MS); one that stays so (promoted
 * while it was leaving, or the promotion broke) never completes and can neither be demoted nor
 * used: the engine leaves, the entry is removed with force, the engine joins again.
 */
function planOutsideRaft(draft: Draft, d: DesiredNode, cur: SwarmNode, old: SwarmNode[], options: PlanOptions): void {
  const age = ageOf(cur, options.now);
  if (age < (options.promotionGraceMs ?? DEFAULT_PROMOTION_GRACE_MS)) {
    draft.blockers.push({
      reason: 'RoleChangePending',
      message: `${d.host} was made a manager and is still joining the raft${d.role === 'worker' ? '; it is demoted once it has' : ''}`,
      severity: 'degraded',
    });
    return;
  }
  const rm = removeStale(draft, d.host, [cur, ...old]);
  draft.steps.push({
    cause: {
      reason: 'NodeRejoined',
      found: `${d.host}: node ${cur.id.slice(0, 12)} is a manager by spec but not in the raft member list for ${Math.round(age / 1000)}s`,
      repair: true,
    },
    host: d.host,
    calls: [{ op: 'leave', host: d.host }, ...rm.steps, joinStep(d)],
    summary: `left, removed node ${cur.id.slice(0, 12)} with force and joined again as ${d.role}`,
  });
}

/** A ready member of our swarm: stale entries out, then role and availability as listed. */
function convergeMember(draft: Draft, d: DesiredNode, cur: SwarmNode, old: SwarmNode[]): SwarmStep | undefined {
  if (old.length) {
    const rm = removeStale(draft, d.host, old);
    if (rm.steps.length) {
      draft.steps.push({
        cause: {
          reason: 'StaleNodeRemoved',
          found: `${d.host} has stale entries ${staleText(old)} besides its node ${cur.id.slice(0, 12)}`,
          repair: true,
        },
        host: d.host,
        calls: rm.steps,
        summary: `removed stale node entries ${staleText(old)}`,
      });
    }
  }

  let demotion: SwarmStep | undefined;
  if (cur.role !== d.role) {
    if (d.role === 'manager') {
      draft.steps.push({
        cause: { reason: 'RoleRestored', found: `${d.host} is a worker, listed as manager`, repair: true },
        host: d.host,
        calls: [{ op: 'set-role', host: d.host, nodeID: cur.id, role: 'manager' }],
        summary: 'promoted to manager',
      });
      // A fresh manager needs a few seconds to catch up with the raft log: count it as a member
      // but not yet reachable, so a demotion waits for a later pass instead of losing quorum.
      draft.nodes = draft.nodes.map((n) => (n.id === cur.id ? { ...n, role: 'manager', reachability: 'unknown' } : n));
    } else {
      demotion = {
        cause: { reason: 'RoleRestored', found: `${d.host} is a manager, listed as worker`, repair: true },
        host: d.host,
        calls: [{ op: 'set-role', host: d.host, nodeID: cur.id, role: 'worker' }],
        summary: 'demoted to worker',
      };
    }
  }
  if (cur.availability !== d.availability) {
    draft.steps.push({
      cause: {
        reason: 'AvailabilityRestored',
        found: `${d.host} availability is ${cur.availability}, listed as ${d.availability}`,
        repair: true,
      },
      host: d.host,
      calls: [{ op: 'set-availability', host: d.host, nodeID: cur.id, availability: d.availability }],
      summary: `set availability ${d.availability}`,
    });
  }
  return demotion;
}

/** Demotions after promotions and joins, each only if quorum survives it. */
function planDemotions(draft: Draft, demotions: readonly SwarmStep[]): void {
  for (const a of demotions) {
    const step = a.calls[0] as Extract<SwarmCall, { op: 'set-role' }>;
    // Managers not in the raft member list never get here (see planOutsideRaft): swarmkit refuses to demote them.
    if (canDropManager(draft.nodes, step.nodeID)) {
      draft.steps.push(a);
      draft.nodes = draft.nodes.map((n) => (n.id === step.nodeID ? { ...n, role: 'worker' } : n));
    } else {
      const { members, reachable } = countManagers(draft.nodes);
      draft.blockers.push({
        reason: 'DemotionWouldLoseQuorum',
        message: `${a.host} stays manager: demoting it would leave ${reachable - 1} reachable of ${members - 1} managers (quorum ${quorumOf(members - 1)})`,
        severity: 'degraded',
      });
    }
  }
}

/** Nodes nobody listed: with prune, drained first, then removed, managers only while quorum allows. */
function planUnlisted(draft: Draft, unlisted: readonly SwarmNode[], prune: boolean): void {
  if (!prune) return;
  for (const n of unlisted) {
    if (n.role === 'manager') {
      if (n.leader) {
        draft.blockers.push({
          reason: 'PruneBlocked',
          message: `unlisted node ${n.hostname} is the raft leader; make a listed manager leader first`,
          severity: 'degraded',
        });
        continue;
      }
      if (!canDropManager(draft.nodes, n.id)) {
        draft.blockers.push({
          reason: 'PruneBlocked',
          message: `unlisted manager ${n.hostname} kept: removing it would lose quorum`,
          severity: 'degraded',
        });
        continue;
      }
      dropFromRaft(draft, n.id);
    }
    const demote: SwarmCall[] = n.role === 'manager' ? [{ op: 'set-role', host: n.hostname, nodeID: n.id, role: 'worker' }] : [];
    if (n.availability !== 'drain' && n.state === 'ready') {
      draft.steps.push({
        cause: { reason: 'NodeDraining', found: `node ${n.hostname} (${n.id.slice(0, 12)}) is not listed and prune is on`, repair: false },
        host: n.hostname,
        calls: [...demote, { op: 'set-availability', host: n.hostname, nodeID: n.id, availability: 'drain' }],
        summary: 'drained before removal',
      });
    } else {
      draft.steps.push({
        cause: {
          reason: 'NodePruned',
          found: `node ${n.hostname} (${n.id.slice(0, 12)}, ${n.state}) is not listed and prune is on`,
          repair: true,
        },
        host: n.hostname,
        calls: [...demote, { op: 'remove-node', host: n.hostname, nodeID: n.id, force: true }],
        summary: 'drained and removed from the swarm',
      });
    }
  }
}

function dropFromRaft(draft: Draft, nodeID: string): void {
  draft.nodes = draft.nodes.filter((n) => n.id !== nodeID);
}

/** Steps that take stale entries out, stopping at the first manager whose removal would lose quorum. */
function removeStale(draft: Draft, host: string, list: readonly SwarmNode[]): { steps: SwarmCall[]; blocked?: SwarmNode } {
  const steps: SwarmCall[] = [];
  for (const n of list) {
    // Only a raft member must be demoted first (and only while quorum allows); swarmkit refuses to
    // demote a manager entry that is not in the raft member list but removes it with force.
    if (isRaftMember(n)) {
      if (!canDropManager(draft.nodes, n.id)) return { steps, blocked: n };
      steps.push({ op: 'set-role', host, nodeID: n.id, role: 'worker' });
    }
    steps.push({ op: 'remove-node', host, nodeID: n.id, force: true });
    dropFromRaft(draft, n.id);
  }
  return { steps };
}

const staleText = (list: readonly SwarmNode[]) => list.map((n) => `${n.id.slice(0, 12)} (${n.state})`).join(', ');

/** How long the entry has been in its state; Infinity when Docker gives no time. */
function ageOf(n: SwarmNode, now: number): number {
  const since = n.updatedAt ? Date.parse(n.updatedAt) : NaN;
  return Number.isNaN(since) ? Infinity : now - since;
}
