/**
 * StaticIPAttachment controller: pipework's fixed container IPs, kept in place.
 * `createStaticIPAttachmentReconciler(options)` is what the operator registers.
 */
import { type NetHelper, type NetHelperOptions, ResidentNetHelper, RunOnceNetHelper } from './net-helper.js';
import { StaticIPAttachmentReconciler } from './reconciler.js';
import { SessionNetHelper } from './helper-session.js';

export interface CreateStaticIPReconcilerOptions extends NetHelperOptions {
  /**
   * `session` (default: one long-lived session per host in the resident helper, programs on its
   * stdin), `resident` (one exec per program into the resident helper) or `run` (a fresh helper
   * container per program).
   */
  helperMode?: 'session' | 'resident' | 'run';
  /** Inject a helper (tests, bench). Overrides image/helperMode. */
  helper?: NetHelper;
  retryAfterMs?: number;
}

export function createStaticIPAttachmentReconciler(options: CreateStaticIPReconcilerOptions = {}): StaticIPAttachmentReconciler {
  const mode = options.helperMode ?? 'session';
  const helper =
    options.helper ??
    (mode === 'run'
      ? new RunOnceNetHelper(options)
      : mode === 'resident'
        ? new ResidentNetHelper(options)
        : new SessionNetHelper({ resident: new ResidentNetHelper(options), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) }));
  return new StaticIPAttachmentReconciler({ helper, ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}) });
}

export { FINALIZER as STATICIP_FINALIZER, KIND as STATICIP_KIND, StaticIPAttachmentReconciler } from './reconciler.js';
export type { AttachmentObserved } from './reconciler.js';
export { ResidentNetHelper, RunOnceNetHelper, DEFAULT_HELPER_IMAGE, HELPER_ROLE_LABEL } from './net-helper.js';
export type { NetHelper } from './net-helper.js';
export { SessionNetHelper, HelperSession } from './helper-session.js';
export { vethNames } from './spec.js';
