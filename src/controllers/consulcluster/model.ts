/** What one reconcile saw of a ConsulCluster, as plain data (observe.ts reads it): its containers on every host and each agent's own view. */

// The agents' own views are what its HTTP client reads (src/consul/agent-model.ts); they are part of
// what one reconcile saw, so the kind's model names them too.
export {
  SERF_STATUS,
  serfStatus,
  type AgentView,
  type AutopilotServer,
  type RaftServer,
  type SerfMember,
  type SerfStatus,
  type WanMember,
  type WanView,
} from '../../consul/agent-model.js';
import type { AgentView } from '../../consul/agent-model.js';

export interface ContainerObservation {
  host: string;
  id: string;
  name: string;
  /** Docker state: running, exited, created, restarting, paused, dead. */
  state: string;
  configHash?: string;
  member?: string;
  role?: string;
  /** -bind address parsed from the container's args. */
  address?: string;
  /** ms since epoch of the last start; absent when never started. */
  startedAt?: number;
}

export interface ClusterObservation {
  /** Every container labelled with this cluster, on every reachable host. */
  containers: ContainerObservation[];
  /** Hosts whose Docker API did not answer. */
  unreachableHosts: string[];
  /** One view per agent address asked (desired members and strays). */
  views: AgentView[];
}
