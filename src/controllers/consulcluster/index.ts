/** The ConsulCluster controller: one Consul agent container per member, kept joined and whole. */
import { ConsulClusterReconciler, type ConsulClusterReconcilerOptions } from './reconciler.js';

export { ConsulClusterReconciler, type ConsulClusterReconcilerOptions } from './reconciler.js';
export {
  CLUSTER_LABEL,
  CONFIG_HASH_LABEL,
  MEMBER_LABEL,
  FINALIZER as CONSUL_CLUSTER_FINALIZER,
  containerName as consulContainerName,
} from './labels.js';
export { agentArgs, configHash, desiredAgents, type DesiredAgent } from './desired.js';
export { readAgentView } from '../../consul/agent-http.js';
export type { ConsulClusterObserved } from './status.js';

export function createConsulClusterReconciler(options: ConsulClusterReconcilerOptions = {}): ConsulClusterReconciler {
  return new ConsulClusterReconciler(options);
}
