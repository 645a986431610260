/** SwarmCluster controller: forms and repairs a swarm-mode cluster over DockerHosts. */
import type { ClusterCredentials } from '../consul-credentials.js';
import { createHash } from 'node:crypto';
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
 * ConsulKv per discovery agent address and credentials, created on first use (no I/O here).
 */
export function createSwarmClusterReconciler(options: SwarmClusterReconcilerOptions & { fence?: Fence } = {}): SwarmClusterReconciler {
  const { fence, ...rest } = options;
  const clients = new Map<string, KvStore>();
  const kvFor =
    rest.kvFor ??
    ((address: string, credentials: ClusterCredentials) => {
      // A new token or certificate gets a client of its own (old ones hold no open request).
      const id = createHash('sha256')
        .update(JSON.stringify([address, credentials.token ?? '', credentials.tls ?? null]))
        .digest('hex');
      let kv = clients.get(id);
      if (!kv) {
        const tls = credentials.tls;
        kv = new ConsulKv({
          address,
          requestTimeoutMs: 5000,
          ...(credentials.token ? { token: credentials.token } : {}),
          ...(tls
            ? { tls: { ca: [Buffer.from(tls.ca)], cert: Buffer.from(tls.cert), key: Buffer.from(tls.key), rejectUnauthorized: true } }
            : {}),
        });
        // Under leader election the discovery list is written only while leading.
        if (fence) kv = new FencedKv({ kv, fence, foreign: true });
        clients.set(id, kv);
      }
      return kv;
    });
  return new SwarmClusterReconciler({ ...rest, kvFor });
}
