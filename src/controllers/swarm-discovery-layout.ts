/**
 * Where a SwarmCluster's classic-Swarm discovery list lives in a ConsulCluster's KV. Shared: the
 * SwarmCluster controller writes there, and the ConsulCluster controller grants its discovery
 * token write on exactly that folder.
 */
export function discoveryPrefix(path: string): string {
  return `${path.replace(/^\/+|\/+$/g, '')}/docker/swarm/nodes/`;
}

/** The discovery folders of every SwarmCluster that publishes into `consulCluster`. */
export function discoveryFoldersFor(
  consulCluster: string,
  swarms: readonly { spec: { discovery?: { consulCluster: string; path?: string } } }[],
): string[] {
  return swarms
    .filter((s) => s.spec.discovery?.consulCluster === consulCluster)
    .map((s) => discoveryPrefix(s.spec.discovery!.path ?? 'swarm'));
}
