/** The controller contract's types this controller uses, in one import. */
export type { KindName } from '../../crds/index.js';
export type {
  FinalizeOutcome,
  HostEvent,
  HostHandle,
  KindReconcileContext,
  KindReconciler,
  KindTypes,
  ObjectCache,
  ReconcileOutcome,
  Repair,
} from '../kind-reconciler.js';
