/**
 * Reaching the swarm of a ServiceAddresses: the SwarmCluster's managers (the raft leader first,
 * when its status names one) are asked in turn until one answers, the way the operator reaches the
 * manager for the SwarmCluster itself (a DockerHost's Docker API). A node is matched to the
 * DockerHost that is it by address, else by hostname, among the swarm's listed hosts.
 */
import type { SwarmCluster } from '../../crds/index.js';
import type { HostHandle, Hosts } from '../kind-reconciler.js';
import { hostOfAddr } from '../swarm-node-address.js';
import type { ServiceTasksApi, SwarmNodeInfo } from './observe.js';

export function managerOrder(swarm: SwarmCluster, hosts: Hosts): HostHandle[] {
  const leader = swarm.status?.nodes?.find((n) => n.leader)?.hostname;
  const names = [...swarm.spec.managers].sort((a, b) => Number(b === leader) - Number(a === leader));
  return names.map((n) => hosts.get(n)).filter((h): h is HostHandle => h !== undefined && h.ready !== false);
}

/** The first manager that answers `ask`; the last error when none does. */
export async function askManagers<T>(
  managers: readonly HostHandle[],
  api: (h: HostHandle) => ServiceTasksApi,
  ask: (a: ServiceTasksApi) => Promise<T>,
): Promise<{ value: T; manager: string } | { error: string }> {
  let error = 'no manager of the SwarmCluster is a reachable DockerHost';
  for (const h of managers) {
    try {
      return { value: await ask(api(h)), manager: h.name };
    } catch (err) {
      error = (err as Error).message;
    }
  }
  return { error };
}

export function nodeHostMatcher(swarm: SwarmCluster, hosts: Hosts): (node: SwarmNodeInfo) => string | undefined {
  const listed = [...swarm.spec.managers, ...(swarm.spec.workers ?? [])]
    .map((n) => hosts.get(n))
    .filter((h): h is HostHandle => h !== undefined);
  return (node) => {
    const addr = hostOfAddr(node.address);
    return (addr ? listed.find((h) => h.address === addr) : undefined)?.name ?? listed.find((h) => h.name === node.hostname)?.name;
  };
}
