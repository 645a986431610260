/**
 * A `failed` member is seen within a second, not at the cluster's next re-check: every second each
 * ConsulCluster's agents are asked for their serf member list (GET /v1/agent/members, short
 * timeout, in parallel); when any agent reports one of the cluster's own nodes as `failed`, or
 * the set of views changed since the last poll, the cluster is queued. The reconcile then
 * decides what to do (the workqueue's backoff still applies). A converged cluster costs one small
 * GET per agent per second and queues nothing. A federated cluster's servers are asked for their
 * WAN pool too (GET /v1/agent/members?wan=1), and so are the servers of the peers it keeps joined,
 * so a server dropping out of the WAN pool on either side is seen within a second as well.
 */
import type { ConsulCluster } from '../../crds/index.js';
import { sleep, systemClock } from '../../runtime/clock.js';
import type { HostWatchContext } from '../kind-reconciler.js';
import { desiredAgents } from './desired.js';
import type { SerfMember, WanMember } from './model.js';
import { wanPeers } from './wan-peers.js';

export interface MemberWatchOptions {
  /** Serf members as the agent at `address` sees them; throws when it does not answer. */
  readMembers: (address: string, signal: AbortSignal, cluster: string) => Promise<SerfMember[]>;
  /** The WAN pool as the server at `address` (of ConsulCluster `cluster`) sees it; without it WAN pools are not watched. */
  readWanMembers?: (address: string, signal: AbortSignal, cluster: string) => Promise<WanMember[]>;
  intervalMs?: number;
}

/** What a poll saw of one cluster: `agent address -> node=status,...`, unreachable agents as `-`. */
export type ClusterView = Map<string, string>;

export function needsReconcile(nodes: readonly string[], view: ClusterView, previous: ClusterView | undefined): boolean {
  for (const seen of view.values()) {
    if (seen === '-') continue;
    for (const entry of seen.split(',')) {
      const [node, status] = entry.split('=');
      // `failed` persists until someone re-joins it: queue every poll. Other states (left,
      // leaving) count once, as a change: queuing a leaving agent every second would disturb it.
      if (node && nodes.includes(node) && status === 'failed') return true;
    }
  }
  if (!previous) return false;
  if (previous.size !== view.size) return true;
  for (const [k, v] of view) if (previous.get(k) !== v) return true;
  return false;
}

export async function watchMembers(ctx: HostWatchContext, signal: AbortSignal, options: MemberWatchOptions): Promise<void> {
  const every = options.intervalMs ?? 1_000;
  const last = new Map<string, ClusterView>();
  while (!signal.aborted) {
    await sleep(systemClock, every, signal);
    if (signal.aborted) break;
    const clusters = ctx.cache.list('ConsulCluster') as ConsulCluster[];
    await Promise.all(
      clusters.map(async (c) => {
        const name = c.metadata.name;
        const hostAddress = (h: string) => ctx.hosts.get(h)?.address;
        let agents;
        let wan: { nodes: string[]; servers: { address: string; cluster: string }[] } = { nodes: [], servers: [] };
        try {
          agents = desiredAgents(name, c.spec, hostAddress).agents.filter((a) => a.address !== '');
          const federation = options.readWanMembers ? wanPeers(name, c.spec, clusters, hostAddress) : undefined;
          if (federation && federation.peers.length > 0) {
            const own = agents.filter((a) => a.role === 'server');
            const kept = federation.peers.filter((p) => p.repairs).flatMap((p) => p.servers);
            wan = {
              nodes: [
                ...own.map((a) => `${a.node}.${c.spec.datacenter}`),
                ...federation.peers.flatMap((p) => p.servers.map((s) => s.name)),
              ],
              servers: [
                ...own.map((a) => ({ address: a.address, cluster: name })),
                ...kept.map((s) => ({ address: s.address, cluster: s.cluster })),
              ],
            };
          }
        } catch {
          return; // an invalid spec is the reconcile's to report
        }
        const ask = async (key: string, read: () => Promise<{ name: string; status: string }[]>) => {
          try {
            return [
              key,
              (await read())
                .map((m) => `${m.name}=${m.status}`)
                .sort()
                .join(','),
            ] as const;
          } catch {
            return [key, '-'] as const;
          }
        };
        const views = await Promise.all([
          ...agents.map((a) => ask(a.address, () => options.readMembers(a.address, signal, name))),
          ...wan.servers.map((s) => ask(`wan ${s.address}`, () => options.readWanMembers!(s.address, signal, s.cluster))),
        ]);
        const view: ClusterView = new Map(views);
        if (needsReconcile([...agents.map((a) => a.node), ...wan.nodes], view, last.get(name))) ctx.enqueue(name);
        last.set(name, view);
      }),
    );
    for (const name of last.keys()) if (!clusters.some((c) => c.metadata.name === name)) last.delete(name);
  }
}
