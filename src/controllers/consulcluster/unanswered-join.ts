/**
 * A LAN join whose call timed out is not a failed join: the agent goes on with it, and one sent
 * while a partition drops packets completes at the next SYN retransmission after the heal (1 s,
 * then 3 s after it was sent). When the member is alive at a look soon after, that join is the
 * repair and is reported as one; later than the window, serf's own reconnect may have done it.
 */
import type { ClusterAnalysis } from './analysis.js';
import type { Step } from './plan.js';

/** Past the SYN retransmissions a connect makes within memberlist's 10 s TCP timeout. */
export const UNANSWERED_JOIN_WINDOW_MS = 10_000;

export interface UnansweredJoin {
  step: Extract<Step, { type: 'join' }>;
  sentAt: number;
}

export interface LateRepair {
  reason: 'MemberRejoined';
  found: string;
  action: string;
  host: string;
}

export function joinLandedLate(j: UnansweredJoin, a: ClusterAnalysis, now: number): LateRepair | 'pending' | 'expired' {
  // Only a join of the member itself: a join sent from a member (the other half of a heal) says
  // nothing by the member's own status.
  if (j.step.target !== j.step.agent.address || now - j.sentAt > UNANSWERED_JOIN_WINDOW_MS) return 'expired';
  const m = a.members.find((x) => x.agent.node === j.step.agent.node);
  if (m?.status !== 'alive') return 'pending';
  const also = j.step.alsoVia?.length ? ` (and from ${j.step.alsoVia.join(', ')})` : '';
  return {
    reason: 'MemberRejoined',
    found: j.step.found,
    action: `joined ${j.step.target} from ${j.step.via}${also}; the agent finished it after the call timed out`,
    host: j.step.agent.host,
  };
}
