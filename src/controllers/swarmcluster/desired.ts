/** Spec + DockerHost addresses -> the desired swarm (pure). */
import type { SwarmClusterSpec } from '../../crds/swarm-cluster.js';
import type { DesiredSwarm } from './model.js';

export interface DesiredResult {
  desired: DesiredSwarm;
  /** Listed host names that have no DockerHost (or no address) yet. */
  missingHosts: string[];
}

export function desiredSwarm(spec: SwarmClusterSpec, addressOf: (host: string) => string | undefined): DesiredResult {
  const missingHosts: string[] = [];
  const nodes: DesiredSwarm['nodes'] = [];
  const add = (host: string, role: 'manager' | 'worker') => {
    const address = addressOf(host);
    if (address === undefined || address === '') {
      missingHosts.push(host);
      return;
    }
    nodes.push({
      host,
      role,
      availability: spec.availability ?? 'active',
      address,
      advertise: spec.advertiseInterface ?? address,
    });
  };
  for (const h of spec.managers) add(h, 'manager');
  for (const h of spec.workers ?? []) add(h, 'worker');
  return {
    desired: { nodes, prune: spec.prune ?? false, allowForceNewCluster: spec.allowForceNewCluster ?? false },
    missingHosts,
  };
}

/** Host names a SwarmCluster refers to (for event mapping). */
export function hostsOf(spec: Pick<SwarmClusterSpec, 'managers' | 'workers'>): string[] {
  return [...(spec.managers ?? []), ...(spec.workers ?? [])];
}
