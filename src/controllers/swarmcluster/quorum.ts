/** Raft quorum arithmetic over a node list (pure). */
import type { SwarmNode } from './model.js';

/** Managers needed for a raft of `members` voters to have a leader. */
export function quorumOf(members: number): number {
  return Math.floor(members / 2) + 1;
}

export interface ManagerCount {
  members: number;
  reachable: number;
}

/**
 * A node whose spec says manager but that has no manager status is not in the raft member list
 * (promoted while down or leaving, or a promotion still under way): it is no voter.
 */
export function isRaftMember(n: SwarmNode): boolean {
  return n.role === 'manager' && n.reachability !== undefined;
}

export function countManagers(nodes: readonly SwarmNode[]): ManagerCount {
  const managers = nodes.filter(isRaftMember);
  return { members: managers.length, reachable: managers.filter((n) => n.reachability === 'reachable').length };
}

/**
 * Whether taking `nodeID` out of the raft (demote or remove) keeps a quorum of reachable managers.
 * The last manager is never taken out.
 */
export function canDropManager(nodes: readonly SwarmNode[], nodeID: string): boolean {
  const target = nodes.find((n) => n.id === nodeID);
  if (!target || !isRaftMember(target)) return true;
  const { members, reachable } = countManagers(nodes);
  const after = members - 1;
  const reachableAfter = reachable - (target.reachability === 'reachable' ? 1 : 0);
  return after >= 1 && reachableAfter >= 1 && reachableAfter >= quorumOf(after);
}
