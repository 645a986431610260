/** Every controller the operator runs, in start order. */
import type { KindReconciler } from './reconciler.js';
import { createDockerHostReconciler } from './dockerhost/index.js';
import { createConsulClusterReconciler } from './consulcluster/index.js';
import { createSwarmClusterReconciler } from './swarmcluster/index.js';
import { createStaticIPAttachmentReconciler } from './staticipattachment/index.js';

export function allReconcilers(): KindReconciler[] {
  return [
    // An unreachable host is re-probed every 2 s besides its event stream's reconnects.
    createDockerHostReconciler({ unreachableRecheckMs: 2_000 }),
    createConsulClusterReconciler(),
    createSwarmClusterReconciler(),
    createStaticIPAttachmentReconciler(),
  ];
}
