/**
 * One slot's address as the StaticIPAttachment controller's planner and helper take it: a
 * StaticIPAttachment made in memory (never stored) for the task's container on its host. Its uid,
 * from which the veth names are derived, is the object's uid plus the task id, so two tasks of one
 * slot (even on one host) never share a veth name and a release can only remove the old task's pair.
 */
import { API_VERSION, type ServiceAddresses, type SlotStatus, type StaticIPAttachment } from '../../crds/index.js';

/** What the status says the task's container had. */
export interface PreviousHolder {
  containerID?: string;
  pid?: number;
  lastAppliedTime?: string;
}

export interface SlotTarget {
  key: string;
  address: string;
  taskID: string;
  host: string;
  container: string;
}

/** `previous`: what the status says this task's container had (to tell a restart from a first attach). */
export function slotAttachment(res: ServiceAddresses, t: SlotTarget, previous?: PreviousHolder): StaticIPAttachment {
  const s = res.spec;
  const id = res.metadata.uid ?? res.metadata.name;
  return {
    apiVersion: API_VERSION,
    kind: 'StaticIPAttachment',
    metadata: {
      name: `${res.metadata.name}.${t.key}`,
      uid: `${id}/task/${t.taskID}`,
      ...(res.metadata.creationTimestamp ? { creationTimestamp: res.metadata.creationTimestamp } : {}),
    },
    spec: {
      host: t.host,
      container: t.container,
      bridge: s.bridge,
      address: t.address,
      interface: s.interface,
      ...(s.gateway !== undefined ? { gateway: s.gateway } : {}),
      ...(s.uplink !== undefined ? { uplink: s.uplink } : {}),
      ...(s.ownBridge !== undefined ? { ownBridge: s.ownBridge } : {}),
    },
    ...(previous?.containerID
      ? {
          status: {
            containerID: previous.containerID,
            ...(previous.pid ? { pid: previous.pid } : {}),
            ...(previous.lastAppliedTime ? { lastAppliedTime: previous.lastAppliedTime } : {}),
          },
        }
      : {}),
  };
}

/** What a status entry held, as a target (released through the container's id). */
export function heldTarget(p: SlotStatus): SlotTarget | undefined {
  if (p.taskID === undefined || p.host === undefined || p.containerID === undefined) return undefined;
  return { key: p.slot, address: p.address, taskID: p.taskID, host: p.host, container: p.containerID };
}
