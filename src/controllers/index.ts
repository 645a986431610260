/** Every controller the operator runs, in start order. */
import type { KindReconciler } from './reconciler.js';
import { createDockerHostReconciler } from './dockerhost/index.js';

export function allReconcilers(): KindReconciler[] {
  return [createDockerHostReconciler({ unreachableRecheckMs: 2_000 })];
}
