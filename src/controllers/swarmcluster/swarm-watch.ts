/**
 * Changes no Docker event reports in time are seen within a second, not at the next re-check or
 * resync: a worker's `docker swarm leave --force` (the manager sends a node event only once the
 * worker's heartbeat expires, seconds later, and the worker's own engine sends none), and a worker
 * promoted by hand joining the raft (the promotion sends a node event; the raft join that makes it
 * demotable does not). Every second each SwarmCluster is observed the way a reconcile observes it
 * (every listed engine's GET /info, one manager's GET /nodes, short deadlines), reduced to a
 * summary of what the plan depends on, and queued when that summary differs from the previous
 * poll's, and once at its first poll. A steady swarm costs one small GET per engine and one per
 * cluster each second and queues nothing; hosts whose event stream is down are not asked (their
 * connectivity change queues already).
 */
import type { SwarmCluster } from '../../crds/swarm-cluster.js';
import { sleep, systemClock } from '../../runtime/clock.js';
import type { HostWatchContext } from '../kind-reconciler.js';
import type { SwarmWorld } from './model.js';

export interface SwarmWatchOptions {
  /** One observation of `cluster` (as the reconcile makes it); throws when no manager answered. */
  observe: (cluster: SwarmCluster, ctx: HostWatchContext) => Promise<SwarmWorld>;
  intervalMs?: number;
}

/**
 * What the plan of a swarm depends on, as one comparable string: each listed engine's swarm state
 * and node id (or `-` when it does not answer), and each node entry's role, availability, state and
 * raft membership. Versions and timestamps are left out: they change without anything to repair.
 */
export function swarmView(world: SwarmWorld): string {
  const engines = [...world.engines.values()]
    .sort((a, b) => a.host.localeCompare(b.host))
    .map((e) => (e.reachable ? `${e.host}=${e.swarm.localNodeState}/${e.swarm.nodeID ?? ''}/${e.swarm.controlAvailable ? 'm' : 'w'}` : `${e.host}=-`));
  const c = world.cluster;
  let cluster: string;
  if (c.kind === 'ok') {
    const nodes = [...c.nodes]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((n) => `${n.id}:${n.role}:${n.availability}:${n.state}:${n.reachability ?? '-'}${n.leader ? ':leader' : ''}`);
    cluster = `ok ${c.clusterID} ${nodes.join(',')}`;
  } else {
    cluster = c.kind === 'quorum-lost' ? `quorum-lost ${c.clusterID ?? ''}` : 'none';
  }
  return `${engines.join(',')} | ${cluster}`;
}

export async function watchSwarms(ctx: HostWatchContext, signal: AbortSignal, options: SwarmWatchOptions): Promise<void> {
  const every = options.intervalMs ?? 1_000;
  const last = new Map<string, string>();
  // One poll per cluster at a time: a slow engine delays only its own cluster's next look.
  const inflight = new Map<string, Promise<void>>();
  const poll = async (cluster: SwarmCluster): Promise<void> => {
    const name = cluster.metadata.name;
    let view: string;
    try {
      view = swarmView(await options.observe(cluster, ctx));
    } catch (err) {
      view = `unavailable`;
      ctx.log.debug('swarm watch: no manager answered', { swarmcluster: name, error: (err as Error).message });
    }
    if (signal.aborted) return;
    const previous = last.get(name);
    last.set(name, view);
    // The first look queues too: a change between the cluster's last reconcile and this first look
    // (say, a leave right after the operator started) would otherwise become the baseline.
    if (previous !== view) ctx.enqueue(name);
  };
  while (!signal.aborted) {
    await sleep(systemClock, every, signal);
    if (signal.aborted) break;
    const clusters = ctx.cache.list('SwarmCluster');
    for (const c of clusters) {
      const name = c.metadata.name;
      if (inflight.has(name)) continue;
      inflight.set(
        name,
        poll(c).finally(() => inflight.delete(name)),
      );
    }
    for (const name of last.keys()) if (!clusters.some((c) => c.metadata.name === name)) last.delete(name);
  }
  await Promise.allSettled([...inflight.values()]);
}
