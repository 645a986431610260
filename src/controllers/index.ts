/** Every controller the operator runs, in start order. */
import type { Fence } from '../runtime/fence.js';
import type { KvStore } from '../store/kv.js';
import type { KindReconciler } from './kind-reconciler.js';
import { createDockerHostReconciler } from './dockerhost/index.js';
import { createConsulClusterReconciler } from './consulcluster/index.js';
import { createSwarmClusterReconciler } from './swarmcluster/index.js';
import { createNetHelper, createStaticIPAttachmentReconciler } from './staticipattachment/index.js';
import { createServiceAddressesReconciler } from './serviceaddresses/index.js';
import { HelperImageProvisioner } from '../nethelper/helper-image.js';
import { secretKeyProblem, type TrustPolicy } from './trust-policy.js';
import { storeHashKey } from './consulcluster/hash-key.js';
import { configHashKeyKey } from '../store/store-keys.js';
import { KvTokenRecords } from './consulcluster/token-records.js';
import type { ClusterTokenReader } from './consul-credentials.js';

export interface ReconcilerDeps {
  /** The store's Consul KV: ConsulCluster reads gossip key / ACL token references from it. */
  kv?: Pick<KvStore, 'get' | 'cas' | 'list' | 'delete'>;
  /** The store's key prefix (normalized): where ConsulCluster config-hash keys are kept. */
  prefix?: string;
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
  /** The operator's limits on what documents may make it do (its flags); absent: none (tests). */
  policy?: TrustPolicy;
}

export function allReconcilers(deps: ReconcilerDeps = {}): KindReconciler[] {
  const { kv, policy } = deps;
  const helperImages = deps.helperImages ?? new HelperImageProvisioner();
  // Secrets are read with the operator's own token: never a key outside the secrets prefix,
  // whichever controller asks (the ConsulCluster controller also says so in a condition).
  const readSecret = kv
    ? async (key: string) => (policy && secretKeyProblem(key, policy.secretsPrefix) !== undefined ? undefined : (await kv.get(key))?.value)
    : undefined;
  // The tokens the operator makes in ACL clusters, recorded under the store's own prefix.
  const tokenRecords = kv && deps.prefix !== undefined ? new KvTokenRecords(kv, deps.prefix) : undefined;
  const clusterToken: ClusterTokenReader | undefined = tokenRecords ? (cluster, key) => tokenRecords.secret(cluster, key) : undefined;
  // One network helper (one session per host) for both kinds that attach addresses.
  const helper = createNetHelper({ images: helperImages, ...(deps.fence ? { fence: deps.fence } : {}) });
  return [
    // An unreachable host is re-probed every 2 s besides its event stream's reconnects.
    createDockerHostReconciler({ unreachableRecheckMs: 2_000, helperImages }),
    createConsulClusterReconciler({
      ...(readSecret ? { readSecret } : {}),
      ...(kv && deps.prefix !== undefined ? { hashKey: storeHashKey(kv, (c) => configHashKeyKey(deps.prefix!, c)) } : {}),
      ...(tokenRecords ? { tokenRecords } : {}),
      ...(policy ? { policy } : {}),
      ...(deps.fence ? { fence: deps.fence } : {}),
    }),
    createSwarmClusterReconciler({
      ...(policy ? { policy } : {}),
      ...(deps.fence ? { fence: deps.fence } : {}),
      ...(readSecret ? { readSecret } : {}),
      ...(clusterToken ? { clusterToken } : {}),
    }),
    createStaticIPAttachmentReconciler({
      helper,
      images: helperImages,
      ...(readSecret ? { readSecret } : {}),
      ...(clusterToken ? { clusterToken } : {}),
      ...(policy?.attachRequiresLabel !== undefined ? { attachRequiresLabel: policy.attachRequiresLabel } : {}),
      ...(deps.fence ? { fence: deps.fence } : {}),
    }),
    createServiceAddressesReconciler({
      helper,
      ...(policy?.attachRequiresLabel !== undefined ? { attachRequiresLabel: policy.attachRequiresLabel } : {}),
    }),
  ];
}
