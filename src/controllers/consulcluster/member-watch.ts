/**
 * A `failed` member is seen within a second, not at the cluster's next re-check: every second each
 * ConsulCluster's agents are asked for their serf member list (GET /v1/agent/members, short
 * timeout, in parallel); when any agent reports one of the cluster's own nodes as `failed`, or
 * the set of views changed since the last poll, the cluster is queued. The reconcile then
 * decides what to do (the workqueue's backoff still applies). A converged cluster costs one small
 * GET per agent per second and queues nothing.
 */
import type { ConsulCluster } from '../../crds/index.js';
import { sleep, systemClock } from '../../runtime/clock.js';
import type { HostWatchContext } from '../kind-reconciler.js';
import { desiredAgents } from './desired.js';
import type { SerfMember } from './model.js';

export interface MemberWatchOptions {
  /** Serf members as the agent at `address` sees them; throws when it does not answer. */
  readMembers: (address: string, signal: AbortSignal, cluster: string) => Promise<SerfMember[]>;
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
        let agents;
        try {
          agents = desiredAgents(name, c.spec, (h) => ctx.hosts.get(h)?.address).agents.filter((a) => a.address !== '');
        } catch {
          return; // an invalid spec is the reconcile's to report
        }
        const views = await Promise.all(
          agents.map(async (a) => {
            try {
              const members = await options.readMembers(a.address, signal, name);
              return [a.address, members.map((m) => `${m.name}=${m.status}`).sort().join(',')] as const;
            } catch {
              return [a.address, '-'] as const;
            }
          }),
        );
        const view: ClusterView = new Map(views);
        if (needsReconcile(agents.map((a) => a.node), view, last.get(name))) ctx.enqueue(name);
        last.set(name, view);
      }),
    );
    for (const name of last.keys()) if (!clusters.some((c) => c.metadata.name === name)) last.delete(name);
  }
}
