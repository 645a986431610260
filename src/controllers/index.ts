/** Every controller the operator runs, in start order. */
import type { Fence } from '../runtime/fence.js';
import type { KvStore } from '../store/kv.js';
import type { KindReconciler } from './kind-reconciler.js';
import { createDockerHostReconciler } from './dockerhost/index.js';
import { createConsulClusterReconciler } from './consulcluster/index.js';
import { createSwarmClusterReconciler } from './swarmcluster/index.js';
import { createStaticIPAttachmentReconciler } from './staticipattachment/index.js';
import { HelperImageProvisioner } from './staticipattachment/helper-image.js';

export interface ReconcilerDeps {
  /** The store's Consul KV: ConsulCluster reads gossip key / ACL token references from it. */
  kv?: Pick<KvStore, 'get'>;
  /**
   * The network helper's image and who puts it on the hosts: shared by the DockerHost controller
   * (provisions each reachable host once, reports it) and the StaticIPAttachment helpers.
   */
  helperImages?: HelperImageProvisioner;
  /**
   * Under leader election: the calls reconcilers make outside the Docker clients and the store
   * (Consul agents' HTTP API, programs on helper sessions) pass it. Docker calls and store writes
   * are fenced where their clients are built (HostRegistry, FencedKv).
   */
  fence?: Fence;
}

export function allReconcilers(deps: ReconcilerDeps = {}): KindReconciler[] {
  const kv = deps.kv;
  const helperImages = deps.helperImages ?? new HelperImageProvisioner();
  return [
    // An unreachable host is re-probed every 2 s besides its event stream's reconnects.
    createDockerHostReconciler({ unreachableRecheckMs: 2_000, helperImages }),
    createConsulClusterReconciler({ ...(kv ? { readSecret: async (key: string) => (await kv.get(key))?.value } : {}), ...(deps.fence ? { fence: deps.fence } : {}) }),
    createSwarmClusterReconciler(),
    createStaticIPAttachmentReconciler({
      images: helperImages,
      ...(kv ? { readSecret: async (key: string) => (await kv.get(key))?.value } : {}),
      ...(deps.fence ? { fence: deps.fence } : {}),
    }),
  ];
}
