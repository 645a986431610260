/**
 * StaticIPAttachment controller: pipework's fixed container IPs, kept in place.
 * `createStaticIPAttachmentReconciler(options)` is what the operator registers.
 */
import { type NetHelper, type NetHelperOptions, ResidentNetHelper, RunOnceNetHelper } from './net-helper.js';
import { StaticIPAttachmentReconciler } from './reconciler.js';

export interface CreateStaticIPReconcilerOptions extends NetHelperOptions {
  /** `resident` (default, measured faster) or `run` (a fresh helper container per program). */
  helperMode?: 'resident' | 'run';
  /** Inject a helper (tests, bench). Overrides image/helperMode. */
  helper?: NetHelper;
  retryAfterMs?: number;
}

export function createStaticIPAttachmentReconciler(options: CreateStaticIPReconcilerOptions = {}): StaticIPAttachmentReconciler {
  const helper =
    options.helper ?? (options.helperMode === 'run' ? new RunOnceNetHelper(options) : new ResidentNetHelper(options));
  return new StaticIPAttachmentReconciler({ helper, ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}) });
}

export { FINALIZER as STATICIP_FINALIZER, KIND as STATICIP_KIND, StaticIPAttachmentReconciler } from './reconciler.js';
export type { AttachmentObserved } from './reconciler.js';
export { ResidentNetHelper, RunOnceNetHelper, DEFAULT_HELPER_IMAGE, HELPER_ROLE_LABEL } from './net-helper.js';
export type { NetHelper } from './net-helper.js';
export { vethNames } from './spec.js';
