/** The status of a ServiceAddresses and its Ready condition, from the slot plan and what each slot's attach found (pure). */
import type { SlotStatus, ServiceAddressesStatus } from '../../crds/index.js';
import type { ConditionInput } from '../kind-reconciler.js';
import type { PlannedHolder, SlotPlan } from './plan.js';
import type { ServiceMode } from './observe.js';

export type ServiceAddressesObserved = Omit<ServiceAddressesStatus, 'conditions' | 'observedGeneration'>;

/** What happened to one slot this run. */
export interface SlotResult {
  attached: boolean;
  /** The task that got the address, when not the planned holder (it had stopped; a waiting one took over). */
  holder?: PlannedHolder;
  containerID?: string;
  pid?: number;
  reason?: string;
  message?: string;
}

export function ready(status: ConditionInput['status'], reason: string, message: string): ConditionInput[] {
  return [{ type: 'Ready', status, reason, message }];
}

function holderFields(h: PlannedHolder): Partial<SlotStatus> {
  return {
    taskID: h.task.id,
    ...(h.node?.hostname ? { node: h.node.hostname } : {}),
    ...(h.host ? { host: h.host } : {}),
    ...(h.task.containerID ? { containerID: h.task.containerID } : {}),
    container: h.container,
  };
}

export function slotStatuses(plan: SlotPlan, results: ReadonlyMap<string, SlotResult>): SlotStatus[] {
  const slots = plan.slots.map((s): SlotStatus => {
    const r = results.get(s.key);
    const holder = r?.holder ?? s.holder;
    const base: SlotStatus = { slot: s.key, address: s.address, attached: r?.attached === true, ...(holder ? holderFields(holder) : {}) };
    if (r?.containerID) base.containerID = r.containerID;
    if (r?.pid) base.pid = r.pid;
    if (!s.holder) return { ...base, reason: 'NoTask', message: s.waiting.length ? 'no running task' : 'no running task in this slot' };
    if (r && !r.attached) return { ...base, ...(r.reason ? { reason: r.reason } : {}), ...(r.message ? { message: r.message } : {}) };
    const others = [s.holder!, ...s.waiting].map((w) => w.task).filter((t) => t.id !== holder?.task.id);
    if (others.length > 0 && r?.attached)
      return { ...base, message: `newer task ${others.map((t) => t.id.slice(0, 12)).join(', ')} gets the address once this one stops` };
    return base;
  });
  // Tasks past the addresses are listed too, without one.
  for (const h of plan.exhausted) {
    slots.push({
      slot: h.task.slot !== undefined ? String(h.task.slot) : (h.node?.hostname ?? h.task.nodeID),
      address: '',
      attached: false,
      ...holderFields(h),
      reason: 'AddressesExhausted',
      message: 'more tasks than addresses',
    });
  }
  return slots;
}

export function observedStatus(mode: ServiceMode, slots: SlotStatus[], lastAppliedTime: string | undefined): ServiceAddressesObserved {
  return {
    mode,
    slots,
    attached: slots.filter((s) => s.attached).length,
    tasks: slots.filter((s) => s.taskID !== undefined).length,
    ...(lastAppliedTime ? { lastAppliedTime } : {}),
  };
}

/** Ready: every running task holds its slot's address, every task has one, and a replicated service runs as many as it asks for. */
export function readyCondition(
  service: string,
  plan: SlotPlan,
  slots: readonly SlotStatus[],
  replicas?: number,
): { conditions: ConditionInput[]; requeueAfter?: number } {
  if (plan.exhausted.length > 0) {
    const n = plan.exhausted.length;
    return {
      conditions: ready(
        'False',
        'AddressesExhausted',
        `${n} task${n === 1 ? '' : 's'} of service ${service} got no address: the service has more tasks than the ${plan.slots.length} addresses (${plan.exhausted.map((h) => h.task.id.slice(0, 12)).join(', ')})`,
      ),
    };
  }
  const failing = slots.filter((s) => s.taskID !== undefined && !s.attached);
  if (failing.length > 0) {
    const first = failing[0]!;
    return {
      conditions: ready(
        'False',
        first.reason ?? 'Converging',
        failing.map((s) => `slot ${s.slot} (${s.address}): ${s.message ?? s.reason ?? 'not attached'}`).join('; '),
      ),
      requeueAfter: 5_000,
    };
  }
  const held = slots.filter((s) => s.attached).length;
  // A replicated service is Ready once as many tasks as it asks for (up to the addresses) hold theirs:
  // right after `service create` no task runs yet, and 0 of 2 is not Ready.
  const expected = replicas === undefined ? 0 : Math.min(replicas, plan.slots.length);
  if (held < expected) {
    return {
      conditions: ready(
        'False',
        'TasksStarting',
        `${held} of ${expected} tasks of service ${service} hold their addresses; waiting for the others to run`,
      ),
      requeueAfter: 2_000,
    };
  }
  return { conditions: ready('True', 'Attached', `${held} task${held === 1 ? '' : 's'} of service ${service} hold their addresses`) };
}
