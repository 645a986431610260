/** The observed status and the Ready condition of a StaticIPAttachment, from what was observed (pure). */
import type { ConditionInput } from '../kind-reconciler.js';
import type { NetObservation } from './observe.js';
import type { Plan } from './plan.js';
import type { Desired } from './desired.js';
import type { StaticIPAttachmentStatus } from '../../crds/static-ip-attachment.js';

/** Observed facts written to status (rebuilt every time; lastAppliedTime is carried until the next apply). */
export type AttachmentObserved = Pick<
  StaticIPAttachmentStatus,
  'containerID' | 'pid' | 'interface' | 'address' | 'mac' | 'hostVeth' | 'lastAppliedTime'
>;

export function ready(status: ConditionInput['status'], reason: string, message: string): ConditionInput[] {
  return [{ type: 'Ready', status, reason, message }];
}

/** What the running container's namespace shows for the attachment after the last apply. */
export function observedAttachment(
  d: Desired,
  container: { id: string; pid: number },
  obs: NetObservation,
  lastAppliedTime?: string,
): AttachmentObserved {
  const iface = obs.container?.links.find((l) => l.name === d.iface);
  return {
    containerID: container.id,
    pid: container.pid,
    interface: d.iface,
    ...(iface?.addresses[0] ? { address: `${iface.addresses[0].ip}/${iface.addresses[0].prefix}` } : {}),
    ...(iface ? { mac: iface.mac } : {}),
    hostVeth: d.hostVeth,
    ...(lastAppliedTime ? { lastAppliedTime } : {}),
  };
}

/** Ready from the plan of the world after the apply: empty means attached. */
export function attachedCondition(d: Desired, check: Plan): { conditions: ConditionInput[]; requeueAfter?: number } {
  if (check.steps.length > 0) {
    // Someone changed it again while we worked (or a step did not stick): look again soon.
    return {
      conditions: ready('False', 'Converging', `still differs after apply: ${check.drifts.map((x) => x.found).join('; ')}`),
      requeueAfter: 1_000,
    };
  }
  return { conditions: ready('True', 'Attached', `${d.cidr} on ${d.iface} of ${d.container} via ${d.bridge} on ${d.host}`) };
}
