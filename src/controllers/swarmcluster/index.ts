/** SwarmCluster controller: forms and repairs a swarm-mode cluster over DockerHosts. */
import { ConsulKv } from '../../store/consul-kv.js';
import type { KvStore } from '../../store/kv.js';
import { FencedKv } from '../../store/fenced-kv.js';
import type { Fence } from '../../runtime/fence.js';
import { SwarmClusterReconciler, type SwarmClusterReconcilerOptions } from './reconciler.js';

export { SwarmClusterReconciler, SWARMCLUSTER_FINALIZER } from './reconciler.js';
export type { SwarmClusterReconcilerOptions } from './reconciler.js';
export type { SwarmApi } from './swarm-api.js';
export { dockerSwarmApi } from './swarm-api.js';
export { discoveryPrefix } from './discovery.js';
export type { SwarmClusterObserved } from './status.js';

/**
 * The reconciler with real clients: dockerode per host (from the operator's host handles) and one
 * ConsulKv per discovery agent address, created on first use (no I/O here).
 */
export function createSwarmClusterReconciler(
  options: SwarmClusterReconcilerOptions & { consulToken?: string; fence?: Fence } = {},
): SwarmClusterReconciler {
  const { consulToken, fence, ...rest } = options;
  const clients = new Map<string, KvStore>();
  const kvFor =
    rest.kvFor ??
    ((address: string) => {
      let kv = clients.get(address);
      if (!kv) {
        kv = new ConsulKv(consulToken ? { address, token: consulToken, requestTimeoutMs: 5000 } : { address, requestTimeoutMs: 5000 });
        // Under leader election the discovery list is written only while leading.
        if (fence) kv = new FencedKv({ kv, fence, foreign: true });
        clients.set(address, kv);
      }
      return kv;
    });
  return new SwarmClusterReconciler({ ...rest, kvFor });
}
