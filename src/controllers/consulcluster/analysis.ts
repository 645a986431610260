/**
 * Joins the desired agents with what was observed: per member its container, whether its agent
 * answers, its serf status and raft vote as seen by the reference agent (the leader's own agent
 * when it answers), plus containers of the cluster that no member wants (strays). Pure.
 */
import type { DesiredAgent } from './desired.js';
import type { AgentView, ClusterObservation, ContainerObservation, RaftServer, SerfStatus } from './model.js';

export interface MemberFacts {
  agent: DesiredAgent;
  container?: ContainerObservation;
  hostReachable: boolean;
  /** The member's own agent answered its HTTP API. */
  answering: boolean;
  /** The member's own view of the cluster, when it answered. */
  view?: AgentView;
  /** Serf status in the reference view ('none' when absent or nobody answers). */
  status: SerfStatus;
  /** Server listed as a voting raft peer by the reference agent. */
  voter: boolean;
  /** Container carries the desired config hash. */
  upToDate: boolean;
}

export interface ClusterAnalysis {
  members: MemberFacts[];
  /** The view everything else is judged by; absent when no agent answers. */
  reference?: AgentView;
  /** ip:port of the raft leader, '' when none. */
  leaderAddress: string;
  leaderNode?: string;
  raft: RaftServer[];
  /** Containers of this cluster on hosts where no member is wanted. */
  strays: ContainerObservation[];
  unreachableHosts: string[];
}

function ipOf(hostPort: string): string {
  const i = hostPort.lastIndexOf(':');
  return i < 0 ? hostPort : hostPort.slice(0, i);
}

export function chooseReference(views: readonly AgentView[]): AgentView | undefined {
  const up = views.filter((v) => v.reachable);
  const withLeader = up.filter((v) => v.leader !== '');
  return (
    withLeader.find((v) => v.address === ipOf(v.leader)) ??
    // Most agents agreeing on a leader beats one isolated agent's opinion.
    withLeader.sort(
      (a, b) => b.members.filter((m) => m.status === 'alive').length - a.members.filter((m) => m.status === 'alive').length,
    )[0] ??
    up[0]
  );
}

export function analyze(desired: readonly DesiredAgent[], obs: ClusterObservation): ClusterAnalysis {
  const reference = chooseReference(obs.views);
  const leaderAddress = reference?.leader ?? '';
  const raft = reference?.raft ?? [];
  const leaderNode =
    raft.find((s) => s.leader)?.node ??
    (leaderAddress ? reference?.members.find((m) => m.address === ipOf(leaderAddress))?.name : undefined);
  const members = desired.map((agent): MemberFacts => {
    const container = obs.containers.find((c) => c.host === agent.host && c.name === agent.container);
    const view = obs.views.find((v) => v.address === agent.address && v.reachable);
    const answering = view !== undefined && container?.state === 'running';
    return {
      agent,
      container,
      hostReachable: agent.address !== '' && !obs.unreachableHosts.includes(agent.host),
      answering,
      view: answering ? view : undefined,
      status: reference?.members.find((m) => m.name === agent.node)?.status ?? 'none',
      voter: raft.some((s) => s.node === agent.node && s.voter),
      upToDate: container?.configHash === agent.configHash,
    };
  });
  const wantedHosts = new Set(desired.map((d) => d.host));
  const strays = obs.containers.filter((c) => !wantedHosts.has(c.host));
  return { members, reference, leaderAddress, leaderNode, raft, strays, unreachableHosts: obs.unreachableHosts };
}

/**
 * Alive, and for servers a voting raft peer under a leader that autopilot calls healthy (in contact
 * with the leader, log caught up) when autopilot answered.
 */
export function healthy(m: MemberFacts, a: ClusterAnalysis): boolean {
  if (m.status !== 'alive') return false;
  if (m.agent.role === 'client') return true;
  if (!m.voter || a.leaderAddress === '') return false;
  const verdict = a.reference?.autopilot?.find((s) => s.name === m.agent.node);
  return verdict === undefined ? a.reference?.autopilot === undefined : verdict.healthy;
}
