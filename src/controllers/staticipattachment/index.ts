/**
 * StaticIPAttachment controller: pipework's fixed container IPs, kept in place.
 * `createStaticIPAttachmentReconciler(options)` is what the operator registers.
 */
import type { Fence } from '../../runtime/fence.js';
import type { ClusterTokenReader } from '../consul-credentials.js';
import { HelperImageProvisioner } from '../../nethelper/helper-image.js';
import { type NetHelper, type NetHelperOptions, ResidentNetHelper, RunOnceNetHelper } from '../../nethelper/net-helper.js';
import { StaticIPAttachmentReconciler } from './reconciler.js';
import { SessionNetHelper } from '../../nethelper/helper-session.js';
import { HttpServiceAgent, type ServiceAgent } from './service/agent.js';
import { ServiceRegisteringReconciler } from './service/registering-reconciler.js';
import { ServiceRegistrationStep } from './service/step.js';

export interface CreateStaticIPReconcilerOptions extends NetHelperOptions {
  /**
   * `session` (default: one long-lived session per host in the resident helper, programs on its
   * stdin), `resident` (one exec per program into the resident helper) or `run` (a fresh helper
   * container per program).
   */
  helperMode?: 'session' | 'resident' | 'run';
  /** Inject a helper (tests, bench). Overrides image/helperMode. */
  helper?: NetHelper;
  /** Puts the helper image on hosts that lack it; its image is the one the helpers run. Default: a provisioner of `image`. */
  images?: HelperImageProvisioner;
  retryAfterMs?: number;
  /** Consul agents' service API (tests inject a fake). */
  serviceAgent?: ServiceAgent;
  /** Reads a ConsulCluster's ACL token from the store's KV, for the service registration. */
  readSecret?: (kvKey: string) => Promise<string | undefined>;
  /** Reads the operator token of a ConsulCluster with ACLs (its service registrations use it). */
  clusterToken?: ClusterTokenReader;
  /** Re-check of a registered service (ms), default 10 000. */
  serviceRecheckMs?: number;
  /** Every program written to a helper session and every service registration passes it (leader election). */
  fence?: Fence;
  /** Attach only containers carrying this label (the operator's --attach-requires-label). */
  attachRequiresLabel?: string;
}

/** The network helper the options ask for (also shared with the ServiceAddresses controller). */
export function createNetHelper(options: Omit<CreateStaticIPReconcilerOptions, 'helper'> = {}): NetHelper {
  const images = options.images ?? new HelperImageProvisioner(options.image !== undefined ? { image: options.image } : {});
  const helperOptions: NetHelperOptions = { ...options, image: images.image, ensureImage: (host) => images.require(host) };
  const mode = options.helperMode ?? 'session';
  return mode === 'run'
    ? new RunOnceNetHelper(helperOptions)
    : mode === 'resident'
      ? new ResidentNetHelper(helperOptions)
      : new SessionNetHelper({
          resident: new ResidentNetHelper(helperOptions),
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.fence ? { fence: options.fence } : {}),
        });
}

export function createStaticIPAttachmentReconciler(options: CreateStaticIPReconcilerOptions = {}): ServiceRegisteringReconciler {
  const helper = options.helper ?? createNetHelper(options);
  const network = new StaticIPAttachmentReconciler({
    helper,
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
    ...(options.attachRequiresLabel !== undefined ? { attachRequiresLabel: options.attachRequiresLabel } : {}),
  });
  const service = new ServiceRegistrationStep({
    agent: options.serviceAgent ?? new HttpServiceAgent(options.fence ? { fence: options.fence } : {}),
    ...(options.readSecret ? { readSecret: options.readSecret } : {}),
    ...(options.clusterToken ? { clusterToken: options.clusterToken } : {}),
    ...(options.serviceRecheckMs !== undefined ? { recheckMs: options.serviceRecheckMs } : {}),
  });
  return new ServiceRegisteringReconciler({ network, service });
}

export { FINALIZER as STATICIP_FINALIZER, KIND as STATICIP_KIND, StaticIPAttachmentReconciler } from './reconciler.js';
export type { AttachmentObserved } from './status.js';
export { ResidentNetHelper, RunOnceNetHelper, HELPER_ROLE_LABEL } from '../../nethelper/net-helper.js';
export { HelperImageProvisioner, defaultHelperImage, type HelperImageStatus } from '../../nethelper/helper-image.js';
export type { NetHelper } from '../../nethelper/net-helper.js';
export { SessionNetHelper, HelperSession } from '../../nethelper/helper-session.js';
export { vethNames } from './desired.js';
export { ServiceRegisteringReconciler } from './service/registering-reconciler.js';
export { SERVICE_CONDITION } from './service/step.js';
