/**
 * ServiceAddresses controller: fixed addresses for a Swarm service's tasks, one per slot (or node),
 * attached with the StaticIPAttachment controller's planning, steps and helper.
 * `createServiceAddressesReconciler(options)` is what the operator registers.
 */
import { type NetHelper, StaticIPAttachmentReconciler } from '../staticipattachment/index.js';
import type { HostHandle } from '../kind-reconciler.js';
import type { ServiceTasksApi } from './observe.js';
import { ServiceAddressesReconciler } from './reconciler.js';

export interface CreateServiceAddressesOptions {
  /** The network helper (shared with the StaticIPAttachment controller, so one session per host serves both). */
  helper: NetHelper;
  /** Attach only containers carrying this label (the operator's --attach-requires-label). */
  attachRequiresLabel?: string;
  tasksApi?: (host: HostHandle) => ServiceTasksApi;
  retryAfterMs?: number;
  recheckMs?: number;
}

export function createServiceAddressesReconciler(options: CreateServiceAddressesOptions): ServiceAddressesReconciler {
  const attacher = new StaticIPAttachmentReconciler({
    helper: options.helper,
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
    ...(options.attachRequiresLabel !== undefined ? { attachRequiresLabel: options.attachRequiresLabel } : {}),
  });
  return new ServiceAddressesReconciler({
    attacher,
    ...(options.tasksApi ? { tasksApi: options.tasksApi } : {}),
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
    ...(options.recheckMs !== undefined ? { recheckMs: options.recheckMs } : {}),
  });
}

export { ServiceAddressesReconciler, FINALIZER as SERVICEADDRESSES_FINALIZER, KIND as SERVICEADDRESSES_KIND } from './reconciler.js';
export type { ServiceAddressesObserved } from './status.js';
export { planSlots } from './plan.js';
export { dockerServiceTasksApi, type ServiceTasksApi } from './observe.js';
