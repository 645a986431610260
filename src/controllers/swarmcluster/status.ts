/** Observed world + desired swarm + remaining blockers -> status facts and conditions (pure). */
import type { SwarmNodeStatus } from '../../crds/swarm-cluster.js';
import type { ConditionInput } from '../kind-reconciler.js';
import type { Blocker, DesiredSwarm, SwarmWorld } from './model.js';
import { hostOfAddr, matchNodes } from './plan.js';

export interface SwarmClusterObserved {
  swarmID?: string;
  nodes?: SwarmNodeStatus[];
}

export interface SwarmStatusResult {
  observed: SwarmClusterObserved;
  conditions: ConditionInput[];
  /** Every listed node is ready in its role and availability. */
  ready: boolean;
}

export function swarmStatus(desired: DesiredSwarm, world: SwarmWorld, blockers: readonly Blocker[]): SwarmStatusResult {
  const { cluster } = world;
  const observed: SwarmClusterObserved = {};
  const problems: Blocker[] = [...blockers];

  if (cluster.kind === 'ok') {
    observed.swarmID = cluster.clusterID;
    observed.nodes = cluster.nodes
      .map((n) => {
        const s: SwarmNodeStatus = { hostname: n.hostname, nodeID: n.id, role: n.role, state: n.state, availability: n.availability };
        if (n.engineVersion) s.engineVersion = n.engineVersion;
        if (n.reachability) s.reachability = n.reachability;
        if (n.role === 'manager') s.leader = n.leader === true;
        const addr = hostOfAddr(n.address);
        if (addr) s.address = addr;
        return s;
      })
      .sort((a, b) => a.hostname.localeCompare(b.hostname) || (a.nodeID ?? '').localeCompare(b.nodeID ?? ''));
    const { current } = matchNodes(desired, world.engines, cluster.nodes);
    for (const d of desired.nodes) {
      const n = current.get(d.host);
      if (!n) problems.push({ reason: 'NodeMissing', message: `${d.host} is not in the swarm`, severity: 'degraded' });
      else if (n.state !== 'ready') problems.push({ reason: 'NodeNotReady', message: `${d.host} shows ${n.state}`, severity: 'degraded' });
      else if (n.role !== d.role)
        problems.push({ reason: 'WrongRole', message: `${d.host} is ${n.role}, listed as ${d.role}`, severity: 'degraded' });
      else if (n.availability !== d.availability)
        problems.push({
          reason: 'WrongAvailability',
          message: `${d.host} is ${n.availability}, listed as ${d.availability}`,
          severity: 'degraded',
        });
    }
  } else if (cluster.kind === 'quorum-lost') {
    if (cluster.clusterID) observed.swarmID = cluster.clusterID;
    if (!problems.some((b) => b.reason === 'QuorumLost'))
      problems.push({ reason: 'QuorumLost', message: `swarm has no leader (${cluster.error})`, severity: 'blocking' });
  } else if (!problems.some((b) => b.severity === 'blocking')) {
    problems.push({ reason: 'SwarmNotInitialized', message: 'no listed manager is in a swarm yet', severity: 'blocking' });
  }

  const unique = dedupe(problems);
  const ready = cluster.kind === 'ok' && !unique.some((p) => p.severity === 'blocking' || NOT_READY_REASONS.has(p.reason));
  const blocking = unique.find((p) => p.severity === 'blocking');
  const nodeProblem = unique.find((p) => NOT_READY_REASONS.has(p.reason));
  const managers = desired.nodes.filter((d) => d.role === 'manager').length;
  const workers = desired.nodes.length - managers;

  const readyCond: ConditionInput = ready
    ? {
        type: 'Ready',
        status: 'True',
        reason: 'AllNodesReady',
        message: `${desired.nodes.length} nodes ready (${managers} ${plural(managers, 'manager')}, ${workers} ${plural(workers, 'worker')})`,
      }
    : {
        type: 'Ready',
        status: 'False',
        reason: (blocking ?? nodeProblem ?? unique[0])!.reason,
        message: (blocking ? [blocking] : unique.filter((p) => NOT_READY_REASONS.has(p.reason))).map((p) => p.message).join('; '),
      };
  const degraded = unique.filter((p) => p.severity === 'degraded');
  const degradedCond: ConditionInput = degraded.length
    ? { type: 'Degraded', status: 'True', reason: degraded[0]!.reason, message: degraded.map((p) => p.message).join('; ') }
    : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no degraded nodes' };
  return { observed, conditions: [readyCond, degradedCond], ready: readyCond.status === 'True' };
}

/** Problems of listed nodes: while any remains, the cluster is not Ready. */
const NOT_READY_REASONS = new Set([
  'NodeMissing',
  'NodeNotReady',
  'WrongRole',
  'WrongAvailability',
  'HostNotFound',
  'HostUnreachable',
  'NodePending',
  'NodeLocked',
  'NodeDown',
  'RoleChangePending',
]);

function dedupe(list: Blocker[]): Blocker[] {
  const seen = new Set<string>();
  return list.filter((b) => {
    const k = `${b.reason}\0${b.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
