/**
 * Which ConsulClusters one cluster is federated with over the WAN, from the cached objects (pure):
 * the ones its wanJoin names, and the ones whose wanJoin names it. A named cluster that does not
 * exist, runs the same datacenter, or whose servers have no address yet is a problem to report,
 * never a crash, and nothing is joined to it.
 */
import type { ConsulCluster, ConsulClusterSpec } from '../../crds/consul-cluster.js';
import { desiredAgents, type HostAddressResolver } from './desired.js';

export interface WanServer {
  cluster: string;
  datacenter: string;
  node: string;
  /** `<node>.<datacenter>`: the server's name in the WAN pool. */
  name: string;
  address: string;
}

export interface WanPeer {
  cluster: string;
  datacenter: string;
  servers: WanServer[];
  /**
   * This cluster keeps the two joined (its wanJoin names the peer). When both name each other, the
   * one whose name sorts first does, so one dropped server is repaired once.
   */
  repairs: boolean;
}

export type WanProblemReason = 'ClusterNotFound' | 'DatacenterConflict' | 'PeerHostNotFound';

export interface WanProblem {
  cluster: string;
  reason: WanProblemReason;
  message: string;
}

export interface WanPeers {
  peers: WanPeer[];
  problems: WanProblem[];
  /** Addresses of the named peers' servers: this cluster's servers start with -retry-join-wan to them. */
  retryJoinWan: string[];
}

/** The servers of a cluster as WAN members; undefined when a host has no address (yet). */
export function wanServers(cluster: string, spec: ConsulClusterSpec, hostAddress: HostAddressResolver): WanServer[] | undefined {
  const { agents, missingHosts } = desiredAgents(cluster, spec, hostAddress);
  if (missingHosts.length > 0) return undefined;
  return agents
    .filter((a) => a.role === 'server')
    .map((a) => ({ cluster, datacenter: spec.datacenter, node: a.node, name: `${a.node}.${spec.datacenter}`, address: a.address }));
}

const gone = (c: ConsulCluster | undefined): boolean => c === undefined || c.metadata.deletionTimestamp !== undefined;

export function wanPeers(
  name: string,
  spec: ConsulClusterSpec,
  clusters: readonly ConsulCluster[],
  hostAddress: HostAddressResolver,
): WanPeers {
  const byName = new Map(clusters.map((c) => [c.metadata.name, c]));
  const named = spec.wanJoin ?? [];
  const naming = clusters
    .filter((c) => c.metadata.name !== name && !gone(c) && (c.spec.wanJoin ?? []).includes(name))
    .map((c) => c.metadata.name);
  const peers: WanPeer[] = [];
  const problems: WanProblem[] = [];
  for (const peerName of [...new Set([...named, ...naming])]) {
    if (peerName === name) continue; // refused by validation; never a peer of itself
    const peer = byName.get(peerName);
    const declared = named.includes(peerName);
    if (gone(peer)) {
      problems.push({
        cluster: peerName,
        reason: 'ClusterNotFound',
        message: `wanJoin names ConsulCluster ${peerName}, which does not exist`,
      });
      continue;
    }
    if (peer!.spec.datacenter === spec.datacenter) {
      problems.push({
        cluster: peerName,
        reason: 'DatacenterConflict',
        message: `ConsulCluster ${peerName} runs datacenter ${spec.datacenter} too; WAN federation joins different datacenters, so it is not joined`,
      });
      continue;
    }
    const servers = wanServers(peerName, peer!.spec, hostAddress);
    if (!servers) {
      problems.push({
        cluster: peerName,
        reason: 'PeerHostNotFound',
        message: `a DockerHost of ConsulCluster ${peerName}'s servers is not found; its servers have no address to join`,
      });
      continue;
    }
    const mutual = (peer!.spec.wanJoin ?? []).includes(name);
    peers.push({ cluster: peerName, datacenter: peer!.spec.datacenter, servers, repairs: declared && !(mutual && peerName < name) });
  }
  const retryJoinWan = peers.filter((p) => named.includes(p.cluster)).flatMap((p) => p.servers.map((s) => s.address));
  return { peers, problems, retryJoinWan };
}
