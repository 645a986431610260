/**
 * The object shape shared by every kind (Kubernetes' ObjectMeta / Condition, trimmed to what
 * swarmop uses). Kind-specific spec/status types live next to each kind's schema.
 */
export const API_GROUP = 'swarmop.io';
export const API_VERSION = 'swarmop.io/v1alpha1';

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
