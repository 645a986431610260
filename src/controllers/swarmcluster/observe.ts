/**
 * Reads the world for one SwarmCluster: every listed engine's swarm state (in parallel, each with a
 * short deadline so one dead host does not stall the rest) and the node list from one manager.
 * Never uses a previous status.
 */
import { SwarmopError } from '../../errors.js';
import type { ClusterObservation, DesiredSwarm, EngineObservation, SwarmWorld } from './model.js';
import { apiMessage, type SwarmApi } from './swarm-api.js';

export interface ObserveOptions {
  /** Deadline of one engine's info() call (ms). */
  infoTimeoutMs: number;
}

export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SwarmopError('Unavailable', `${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

const NO_LEADER = /does not have a leader|no leader|lost quorum|context deadline exceeded/i;

export async function observeSwarm(
  desired: DesiredSwarm,
  apiOf: (host: string) => SwarmApi | undefined,
  options: ObserveOptions,
): Promise<SwarmWorld> {
  const engines = new Map<string, EngineObservation>();
  await Promise.all(
    desired.nodes.map(async (d) => {
      const api = apiOf(d.host);
      if (!api) {
        engines.set(d.host, { host: d.host, reachable: false, error: 'no Docker client for this host' });
        return;
      }
      try {
        const info = await withDeadline(api.info(), options.infoTimeoutMs, `${d.host}: info`);
        const e: EngineObservation = { host: d.host, reachable: true, swarm: info.swarm };
        if (info.engineVersion) e.engineVersion = info.engineVersion;
        if (info.hostname) e.hostname = info.hostname;
        engines.set(d.host, e);
      } catch (err) {
        engines.set(d.host, { host: d.host, reachable: false, error: apiMessage(err) });
      }
    }),
  );
  return { engines, cluster: await observeCluster(desired, engines, apiOf, options) };
}

/**
 * Manager candidates: listed hosts whose engine holds the raft store, listed managers first. When
 * they disagree about the cluster id, the id most listed managers share wins (ties: spec order).
 */
export function managerCandidates(desired: DesiredSwarm, engines: Map<string, EngineObservation>): { host: string; clusterID?: string }[] {
  const ordered = [...desired.nodes.filter((d) => d.role === 'manager'), ...desired.nodes.filter((d) => d.role !== 'manager')];
  const cands: { host: string; clusterID?: string }[] = [];
  for (const d of ordered) {
    const e = engines.get(d.host);
    if (e?.reachable && e.swarm.localNodeState === 'active' && e.swarm.controlAvailable) {
      const c: { host: string; clusterID?: string } = { host: d.host };
      if (e.swarm.clusterID) c.clusterID = e.swarm.clusterID;
      cands.push(c);
    }
  }
  const votes = new Map<string, number>();
  for (const c of cands) if (c.clusterID) votes.set(c.clusterID, (votes.get(c.clusterID) ?? 0) + 1);
  const rank = (c: { clusterID?: string }) => -(votes.get(c.clusterID ?? '') ?? 0);
  return cands
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map((x) => x.c);
}

async function observeCluster(
  desired: DesiredSwarm,
  engines: Map<string, EngineObservation>,
  apiOf: (host: string) => SwarmApi | undefined,
  options: ObserveOptions,
): Promise<ClusterObservation> {
  const cands = managerCandidates(desired, engines);
  if (cands.length === 0) return { kind: 'none' };
  const chosen = cands[0]!.clusterID;
  let lastError: { host: string; clusterID?: string; error: string } | undefined;
  let noLeader: typeof lastError;
  for (const c of cands) {
    if (chosen && c.clusterID && c.clusterID !== chosen) continue;
    const api = apiOf(c.host)!;
    try {
      const nodes = await withDeadline(api.listNodes(), options.infoTimeoutMs * 2, `${c.host}: node ls`);
      const clusterID = c.clusterID ?? chosen ?? (await api.inspect()).id;
      return { kind: 'ok', clusterID, managerHost: c.host, nodes };
    } catch (err) {
      const error = apiMessage(err);
      lastError = { host: c.host, error, ...(c.clusterID ? { clusterID: c.clusterID } : {}) };
      if (NO_LEADER.test(error)) noLeader ??= lastError;
    }
  }
  if (noLeader) {
    const q: ClusterObservation = { kind: 'quorum-lost', managerHost: noLeader.host, error: noLeader.error };
    if (noLeader.clusterID) q.clusterID = noLeader.clusterID;
    return q;
  }
  throw new SwarmopError('Unavailable', `no manager answered node ls: ${lastError?.error ?? 'no candidates'}`);
}
