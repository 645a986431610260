/** The observed status and conditions of a ConsulCluster, rebuilt from one analysis (pure). */
import type { ConsulClusterStatus, ConsulMemberStatus, ConsulRaftPeer } from '../../crds/consul-cluster.js';
import type { ConditionInput } from '../kind-reconciler.js';
import type { ClusterAnalysis } from './analysis.js';

export type ConsulClusterObserved = Pick<ConsulClusterStatus, 'leader' | 'raftPeers' | 'members' | 'wan' | 'tokens'>;

export function observedStatus(a: ClusterAnalysis): ConsulClusterObserved {
  const members: ConsulMemberStatus[] = a.members.map((m) => ({
    node: m.agent.node,
    host: m.agent.host,
    address: m.agent.address,
    status: m.status,
    role: m.agent.role,
  }));
  const raftPeers: ConsulRaftPeer[] = a.raft.map((p) => ({
    node: p.node,
    address: p.address,
    voter: p.voter,
    ...(p.leader ? { leader: true } : {}),
  }));
  return { ...(a.leaderNode ? { leader: a.leaderNode } : {}), raftPeers, members };
}

export interface ConditionFacts {
  missingHosts: string[];
  /** Set while a step is still settling or something blocks the next one. */
  progress?: string;
}

export function conditions(a: ClusterAnalysis, f: ConditionFacts): ConditionInput[] {
  if (f.missingHosts.length > 0) {
    const message = `DockerHost ${f.missingHosts.join(', ')} not found`;
    return [
      { type: 'Ready', status: 'False', reason: 'HostNotFound', message },
      { type: 'Degraded', status: 'Unknown', reason: 'HostNotFound', message },
    ];
  }
  const notAlive = a.members.filter((m) => m.status !== 'alive');
  const describe = notAlive.map((m) => `${m.agent.node} ${m.status}${m.hostReachable ? '' : ' (host unreachable)'}`).join(', ');
  const outdated = a.members.filter((m) => m.container && !m.upToDate).map((m) => m.agent.node);
  const servers = a.members.filter((m) => m.agent.role === 'server');
  const nonVoters = servers.filter((m) => m.status === 'alive' && !m.voter).map((m) => m.agent.node);
  const suffix = f.progress ? `; ${f.progress}` : '';

  if (!a.leaderAddress) {
    const reason = a.members.every((m) => !m.container) ? 'NotCreated' : 'NoLeader';
    const message = `no raft leader${describe ? `; not alive: ${describe}` : ''}${suffix}`;
    return [
      { type: 'Ready', status: 'False', reason, message },
      // Without a leader quorum is not held: the cluster is down, not degraded.
      { type: 'Degraded', status: 'False', reason: 'NoQuorum', message },
    ];
  }
  const leader = `leader ${a.leaderNode ?? a.leaderAddress}`;
  const degraded: ConditionInput =
    notAlive.length > 0
      ? { type: 'Degraded', status: 'True', reason: 'MemberNotAlive', message: `quorum held (${leader}); not alive: ${describe}` }
      : { type: 'Degraded', status: 'False', reason: 'AllMembersAlive', message: `${leader}; all ${a.members.length} members alive` };
  // Consul's gossip lags the containers by seconds: an agent container that is gone or stopped on
  // a host we can see is not ready even while the others still list its member alive.
  const down = a.members
    .filter((m) => m.hostReachable && m.container?.state !== 'running')
    .map((m) => `${m.agent.node} ${m.container?.state ?? 'missing'}`);
  let ready: ConditionInput;
  if (notAlive.length > 0)
    ready = { type: 'Ready', status: 'False', reason: 'MembersNotAlive', message: `not alive: ${describe}${suffix}` };
  else if (outdated.length > 0)
    ready = {
      type: 'Ready',
      status: 'False',
      reason: 'RollingUpdate',
      message: `configuration change pending on ${outdated.join(', ')}${suffix}`,
    };
  else if (nonVoters.length > 0)
    ready = {
      type: 'Ready',
      status: 'False',
      reason: 'RaftPeersMissing',
      message: `not voting raft peers yet: ${nonVoters.join(', ')}${suffix}`,
    };
  else if (down.length > 0)
    ready = {
      type: 'Ready',
      status: 'False',
      reason: 'AgentContainersDown',
      message: `agent containers not running: ${down.join(', ')}${suffix}`,
    };
  // A step still settling is not done, whatever the member list says yet.
  else if (f.progress) ready = { type: 'Ready', status: 'False', reason: 'Repairing', message: f.progress };
  else if (a.strays.length > 0)
    ready = {
      type: 'Ready',
      status: 'False',
      reason: 'RemovingMembers',
      message: `agents not in the spec still run on ${a.strays.map((s) => s.host).join(', ')}`,
    };
  else
    ready = {
      type: 'Ready',
      status: 'True',
      reason: 'AllMembersAlive',
      message: `${leader}; ${a.members.length} members alive, ${servers.length} voting servers`,
    };
  return [ready, degraded];
}
