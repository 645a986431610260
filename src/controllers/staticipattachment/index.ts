/**
 * StaticIPAttachment controller: pipework's fixed container IPs, kept in place.
 * `createStaticIPAttachmentReconciler(options)` is what the operator registers.
 */
import { type NetHelper, type NetHelperOptions, ResidentNetHelper, RunOnceNetHelper } from './net-helper.js';
import { StaticIPAttachmentReconciler } from './reconciler.js';
import { HttpServiceAgent, type ServiceAgent } from './service-agent.js';
import { ServiceRegisteringReconciler } from './service-registering-reconciler.js';
import { ServiceRegistrationStep } from './service-step.js';

export interface CreateStaticIPReconcilerOptions extends NetHelperOptions {
  /** `resident` (default, measured faster) or `run` (a fresh helper container per program). */
  helperMode?: 'resident' | 'run';
  /** Inject a helper (tests, bench). Overrides image/helperMode. */
  helper?: NetHelper;
  retryAfterMs?: number;
  /** Consul agents' service API (tests inject a fake). */
  serviceAgent?: ServiceAgent;
  /** Reads a ConsulCluster's ACL token from the store's KV, for the service registration. */
  readSecret?: (kvKey: string) => Promise<string | undefined>;
  /** Re-check of a registered service (ms), default 10 000. */
  serviceRecheckMs?: number;
}

export function createStaticIPAttachmentReconciler(options: CreateStaticIPReconcilerOptions = {}): ServiceRegisteringReconciler {
  const helper =
    options.helper ?? (options.helperMode === 'run' ? new RunOnceNetHelper(options) : new ResidentNetHelper(options));
  const network = new StaticIPAttachmentReconciler({ helper, ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}) });
  const service = new ServiceRegistrationStep({
    agent: options.serviceAgent ?? new HttpServiceAgent(),
    ...(options.readSecret ? { readSecret: options.readSecret } : {}),
    ...(options.serviceRecheckMs !== undefined ? { recheckMs: options.serviceRecheckMs } : {}),
  });
  return new ServiceRegisteringReconciler({ network, service });
}

export { FINALIZER as STATICIP_FINALIZER, KIND as STATICIP_KIND, StaticIPAttachmentReconciler } from './reconciler.js';
export type { AttachmentObserved } from './reconciler.js';
export { ResidentNetHelper, RunOnceNetHelper, DEFAULT_HELPER_IMAGE, HELPER_ROLE_LABEL } from './net-helper.js';
export type { NetHelper } from './net-helper.js';
export { vethNames } from './spec.js';
export { ServiceRegisteringReconciler } from './service-registering-reconciler.js';
export { SERVICE_CONDITION } from './service-step.js';
