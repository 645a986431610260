/**
 * Changes no Docker event reports in time are seen within a second, not at the next re-check or
 * resync: a worker's `docker swarm leave --force` (the manager sends a node event only once the
 * worker's heartbeat expires, seconds later, and the worker's own engine sends none we could map),
 * and a hand-promoted worker joining the raft, which is what makes it demotable. Every second each
 * SwarmCluster is observed the way a reconcile observes it (every listed engine's GET /info, one
 * manager's GET /nodes, short deadlines), reduced to a summary of what no event reports, and
 * queued when that summary differs from the previous poll's, and once at its first poll. A steady
 * swarm costs one small GET per engine and one per cluster each second and queues nothing; hosts
 * whose event stream is down are not asked (their connectivity change queues already).
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
 * What a poll saw of one swarm, reduced to what no Docker event reports in time: each listed
 * engine's swarm state and node id (`undefined` when it did not answer), and each node entry's
 * state and raft membership. Spec fields (role, availability) are left out: the manager sends a
 * node event when they change. Versions and timestamps are left out: they change without anything
 * to repair.
 */
export interface SwarmView {
  engines: Map<string, string | undefined>;
  cluster: string;
}

export function swarmView(world: SwarmWorld): SwarmView {
  const engines = new Map<string, string | undefined>();
  for (const e of world.engines.values()) {
    engines.set(
      e.host,
      e.reachable ? `${e.swarm.localNodeState}/${e.swarm.nodeID ?? ''}/${e.swarm.controlAvailable ? 'm' : 'w'}` : undefined,
    );
  }
  const c = world.cluster;
  let cluster: string;
  if (c.kind === 'ok') {
    const nodes = [...c.nodes]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((n) => `${n.id}:${n.state}:${n.reachability ?? '-'}${n.leader ? ':leader' : ''}`);
    cluster = `ok ${c.clusterID} ${nodes.join(',')}`;
  } else {
    cluster = c.kind === 'quorum-lost' ? `quorum-lost ${c.clusterID ?? ''}` : 'none';
  }
  return { engines, cluster };
}

/**
 * `view` with each engine that did not answer given its last known state: an engine busy with a
 * role change answers GET /info only seconds later, and queuing a reconcile for that would only
 * make the reconcile wait on the same engine (a host that is really gone is reported by its event
 * stream instead).
 */
export function carryOver(view: SwarmView, previous: SwarmView | undefined): SwarmView {
  const engines = new Map(view.engines);
  for (const [host, seen] of engines)
    if (seen === undefined && previous?.engines.get(host) !== undefined) engines.set(host, previous.engines.get(host));
  return { engines, cluster: view.cluster };
}

export function sameView(a: SwarmView, b: SwarmView): boolean {
  if (a.cluster !== b.cluster || a.engines.size !== b.engines.size) return false;
  for (const [host, seen] of a.engines) if (!b.engines.has(host) || b.engines.get(host) !== seen) return false;
  return true;
}

export async function watchSwarms(ctx: HostWatchContext, signal: AbortSignal, options: SwarmWatchOptions): Promise<void> {
  const every = options.intervalMs ?? 1_000;
  const last = new Map<string, SwarmView>();
  // One poll per cluster at a time: a slow engine delays only its own cluster's next look.
  const inflight = new Map<string, Promise<void>>();
  const poll = async (cluster: SwarmCluster): Promise<void> => {
    const name = cluster.metadata.name;
    const previous = last.get(name);
    let view: SwarmView;
    try {
      view = carryOver(swarmView(await options.observe(cluster, ctx)), previous);
    } catch (err) {
      view = { engines: previous?.engines ?? new Map(), cluster: 'unavailable' };
      ctx.log.debug('swarm watch: no manager answered', { swarmcluster: name, error: (err as Error).message });
    }
    if (signal.aborted) return;
    last.set(name, view);
    // The first look queues too: a change between the cluster's last reconcile and this first look
    // (say, a leave right after the operator started) would otherwise become the baseline.
    if (!previous || !sameView(previous, view)) ctx.enqueue(name);
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
