/**
 * What a Consul agent's HTTP API says, as plain data (agent-http.ts reads it): its serf members,
 * raft servers, WAN pool and autopilot verdicts.
 */

/** Serf status codes of /v1/agent/members. */
export const SERF_STATUS = { 0: 'none', 1: 'alive', 2: 'leaving', 3: 'left', 4: 'failed' } as const;
export type SerfStatus = 'alive' | 'leaving' | 'left' | 'failed' | 'none';

export function serfStatus(code: number | undefined): SerfStatus {
  return (SERF_STATUS as Record<number, SerfStatus>)[code ?? 0] ?? 'none';
}

export interface SerfMember {
  name: string;
  address: string;
  status: SerfStatus;
  /** `consul` for servers, `node` for clients (Consul's serf role tag). */
  role: 'server' | 'client';
}

export interface RaftServer {
  id: string;
  node: string;
  /** ip:8300 */
  address: string;
  leader: boolean;
  voter: boolean;
}

export interface AgentView {
  address: string;
  /** The agent answered its HTTP API. */
  reachable: boolean;
  /** It answered, but refused the operator's token (HTTP 403): it was configured with another one. */
  denied?: boolean;
  /** The raft listing was refused (403): the token lacks operator:read or the cluster does not know it. */
  raftDenied?: boolean;
  /** Raft leader as ip:port, '' when the agent knows none. */
  leader: string;
  members: SerfMember[];
  /** The agent's raft configuration (servers only). */
  raft: RaftServer[];
  /** Autopilot's verdict per server (answered through the leader); absent without a leader. */
  autopilot?: AutopilotServer[];
  /** The agent's node ID and the catalog's ID for its name (they differ after a wiped data dir). */
  identity?: { nodeID: string; catalogNodeID?: string };
}

/** One member of the WAN pool: a server of some datacenter, named `<node>.<datacenter>`. */
export interface WanMember {
  name: string;
  datacenter: string;
  /** ip:port of its WAN gossip. */
  address: string;
  status: SerfStatus;
}

/** A server's view of the WAN pool. */
export interface WanView {
  address: string;
  reachable: boolean;
  members: WanMember[];
  /** /v1/catalog/datacenters (nearest first); absent when that call failed. */
  datacenters?: string[];
}

export interface AutopilotServer {
  name: string;
  /** Alive, in recent contact with the leader and caught up on the raft log. */
  healthy: boolean;
  voter: boolean;
}
