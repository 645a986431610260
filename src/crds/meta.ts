/**
 * The object shape shared by every kind (Kubernetes' ObjectMeta / Condition, trimmed to what
 * swarmop uses). Kind-specific spec/status types live next to each kind's schema.
 */
export const API_GROUP = 'swarmop.io';
export const API_VERSION = 'swarmop.io/v1alpha1';

/**
 * Apply's record of the manifest it last wrote, and who wrote it (store/apply-merge.ts). Part of
 * the metadata schema because they are not the user's: bounded by the document limit, not by the
 * per-annotation one, and not counted in the user's 64 annotations.
 */
export const LAST_APPLIED_ANNOTATION = 'swarmop.io/last-applied-configuration';
export const LAST_APPLIED_MANAGER_ANNOTATION = 'swarmop.io/last-applied-manager';

export interface ObjectMeta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  // Set by the system; ignored (or rejected when inconsistent) on apply.
  uid?: string;
  generation?: number;
  /** Consul ModifyIndex of the object's spec key, as a decimal string. */
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface BaseStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface Resource<Spec = Record<string, unknown>, Status extends BaseStatus = BaseStatus> {
  apiVersion: typeof API_VERSION;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}
