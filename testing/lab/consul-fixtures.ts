/** A healthy three-server cluster as pure data, for the planner and status table tests. */
import type { ConsulClusterSpec } from '../../src/crds/consul-cluster.js';
import { desiredAgents, type DesiredAgent } from '../../src/controllers/consulcluster/desired.js';
import type { AgentView, ClusterObservation, SerfStatus } from '../../src/controllers/consulcluster/model.js';

export const NOW = 1_000_000_000;
export const FIXTURE_HOSTS: Record<string, string> = {
  consulsvr: '192.168.116.111',
  consul01: '192.168.116.112',
  consul02: '192.168.116.113',
  spare: '192.168.116.114',
};

export function fixtureSpec(over: Partial<ConsulClusterSpec> = {}): ConsulClusterSpec {
  return {
    datacenter: 'datacenter',
    image: 'hashicorp/consul:1.8.7',
    ui: true,
    servers: [
      { host: 'consulsvr', node: 'consulsvr' },
      { host: 'consul01', node: 'consul01' },
      { host: 'consul02', node: 'consul02' },
    ],
    bootstrapExpect: 3,
    dataDir: '/var/lib/swarmop/consul/datacenter',
    ...over,
  };
}

export function fixtureDesired(over: Partial<ConsulClusterSpec> = {}): DesiredAgent[] {
  return desiredAgents('datacenter', fixtureSpec(over), (h) => FIXTURE_HOSTS[h]).agents;
}

function view(address: string, agents: readonly DesiredAgent[], leader = '192.168.116.111'): AgentView {
  return {
    address,
    reachable: true,
    leader: `${leader}:8300`,
    members: agents.map((a) => ({ name: a.node, address: a.address, status: 'alive' as SerfStatus, role: a.role })),
    raft: agents
      .filter((a) => a.role === 'server')
      .map((a) => ({ id: `id-${a.node}`, node: a.node, address: `${a.address}:8300`, leader: a.address === leader, voter: true })),
  };
}

/** Every member running, answering, alive and voting; consulsvr leads. */
export function healthyObservation(agents: readonly DesiredAgent[]): ClusterObservation {
  return {
    containers: agents.map((a, i) => ({
      host: a.host,
      id: `c${i}`,
      name: a.container,
      state: 'running',
      configHash: a.configHash,
      member: a.node,
      role: a.role,
      address: a.address,
      startedAt: NOW - 60_000,
    })),
    unreachableHosts: [],
    views: agents.map((a) => view(a.address, agents)),
  };
}

/** Sets `node`'s serf status in its own view only. */
export function seesItselfAs(obs: ClusterObservation, node: string, status: SerfStatus, ownAddress: string): void {
  const m = obs.views.find((v) => v.address === ownAddress)?.members.find((x) => x.name === node);
  if (m) m.status = status;
}

/** Sets `node`'s serf status in every view except its own. */
export function seenAs(obs: ClusterObservation, node: string, status: SerfStatus, ownAddress: string): void {
  for (const v of obs.views) {
    if (v.address === ownAddress) continue;
    const m = v.members.find((x) => x.name === node);
    if (m) m.status = status;
  }
}
