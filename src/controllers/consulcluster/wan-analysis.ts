/**
 * WAN federation of one ConsulCluster, judged from the servers' own views (pure): which server does
 * not see which expected WAN member alive, which server misses a datacenter, the ONE join that
 * repairs it, the WanFederated condition and status.wan.
 *
 * Expected: every server of this cluster sees every server of this cluster and of each peer alive
 * in its WAN pool, and lists every peer's datacenter. For peers this cluster keeps joined (its
 * wanJoin names them), the peers' servers are asked too, because after a partition heals it is
 * often only the other side that still shows this cluster's server `failed`.
 */
import type { ConsulServerDatacenters, ConsulWanStatus } from '../../crds/consul-cluster.js';
import type { ConditionInput } from '../kind-reconciler.js';
import type { SerfStatus, WanView } from './model.js';
import type { WanPeers, WanServer } from './wan-peers.js';

export interface WanGap {
  /** The server whose view lacks the member. */
  observer: WanServer;
  member: WanServer;
  /** The member's status in the observer's view ('none': absent). */
  status: SerfStatus;
  /** This cluster repairs it: one side is its own server and it keeps that peer joined. */
  ours: boolean;
}

export interface WanAnalysis {
  own: WanServer[];
  federation: WanPeers;
  /** Views of own servers, by address (only those asked). */
  views: ReadonlyMap<string, WanView>;
  gaps: WanGap[];
  /** Own servers that answered but do not list every expected datacenter. */
  datacentersMissing: { node: string; missing: string[] }[];
  /** Datacenters every own server should list. */
  datacenters: string[];
  /** Own servers whose WAN view answered. */
  answering: WanServer[];
  /** Addresses asked that did not answer (own or peer servers). */
  silent: ReadonlySet<string>;
}

export interface WanJoin {
  type: 'wanJoin';
  /** An answering server of this cluster; the join runs on its agent. */
  via: string;
  target: string;
  /** The member's status in the view that showed the gap: 'none' is a first join, anything else drift. */
  status: SerfStatus;
  found: string;
}

export interface WanInflight {
  startedAt: number;
  deadline: number;
  description: string;
}

export function analyzeWan(own: readonly WanServer[], federation: WanPeers, views: readonly WanView[]): WanAnalysis {
  const byAddress = new Map(views.filter((v) => v.reachable).map((v) => [v.address, v]));
  const silent = new Set(views.filter((v) => !v.reachable).map((v) => v.address));
  const statusIn = (view: WanView, member: WanServer): SerfStatus => view.members.find((m) => m.name === member.name)?.status ?? 'none';
  const answering = own.filter((s) => byAddress.has(s.address));
  const gaps: WanGap[] = [];
  const everyone = [...own, ...federation.peers.flatMap((p) => p.servers)];
  for (const observer of answering) {
    const view = byAddress.get(observer.address)!;
    for (const member of everyone) {
      if (member === observer) continue;
      const status = statusIn(view, member);
      if (status === 'alive') continue;
      const peer = federation.peers.find((p) => p.cluster === member.cluster);
      gaps.push({ observer, member, status, ours: peer === undefined || peer.repairs });
    }
  }
  for (const peer of federation.peers.filter((p) => p.repairs)) {
    for (const observer of peer.servers) {
      const view = byAddress.get(observer.address);
      if (!view) continue;
      for (const member of own) {
        const status = statusIn(view, member);
        if (status !== 'alive') gaps.push({ observer, member, status, ours: true });
      }
    }
  }
  const datacenters = [...new Set([own[0]?.datacenter ?? '', ...federation.peers.map((p) => p.datacenter)].filter(Boolean))];
  const datacentersMissing = answering
    .map((s) => {
      const listed = byAddress.get(s.address)!.datacenters;
      return { node: s.node, missing: listed ? datacenters.filter((d) => !listed.includes(d)) : datacenters };
    })
    .filter((x) => x.missing.length > 0);
  return { own: [...own], federation, views: byAddress, gaps, datacentersMissing, datacenters, answering, silent };
}

/**
 * The one WAN join that repairs the first gap this cluster answers for. It always runs on this
 * cluster's own server (the side whose agent this operator knows is answering): the observer when
 * the observer is ours, else the member. A server whose agent does not answer is not joined: that
 * is the LAN plan's (or the peer's own cluster's) to repair first.
 */
export function wanJoinFor(w: WanAnalysis): WanJoin | undefined {
  const isOwn = (s: WanServer) => w.own.includes(s);
  const answers = (s: WanServer) => w.answering.includes(s);
  for (const g of w.gaps) {
    if (!g.ours) continue;
    const [via, target] = isOwn(g.observer) ? [g.observer, g.member] : [g.member, g.observer];
    if (!answers(via) || w.silent.has(target.address)) continue;
    return {
      type: 'wanJoin',
      via: via.address,
      target: target.address,
      status: g.status,
      found: `${g.observer.name} sees ${g.member.name} ${g.status} in the WAN pool`,
    };
  }
  return undefined;
}

export interface WanPlan {
  join?: WanJoin;
  waiting?: string;
  /** The join in flight finished: settled (the gaps are gone) or not (timed out). */
  inflightDone?: { settled: boolean; inflight: WanInflight };
}

/** One WAN step: wait for a join in flight to show its effect (or its deadline), else the next join. */
export function planWan(w: WanAnalysis, inflight: WanInflight | undefined, now: number): WanPlan {
  const settled = !w.gaps.some((g) => g.ours);
  let inflightDone: WanPlan['inflightDone'];
  if (inflight) {
    if (settled) inflightDone = { settled: true, inflight };
    else if (now < inflight.deadline) return { waiting: `waiting for ${inflight.description}` };
    else inflightDone = { settled: false, inflight };
  }
  const action = wanJoinFor(w);
  return { ...(action ? { join: action } : {}), ...(inflightDone ? { inflightDone } : {}) };
}

export function wanInflightFor(action: WanJoin, now: number, timeoutMs: number): WanInflight {
  return { startedAt: now, deadline: now + timeoutMs, description: `WAN join of ${action.target} from ${action.via}` };
}

const MAX_LISTED = 4;

function listed(items: readonly string[]): string {
  return items.length > MAX_LISTED ? `${items.slice(0, MAX_LISTED).join('; ')}; and ${items.length - MAX_LISTED} more` : items.join('; ');
}

/** WanFederated: True when every expected WAN member is alive in every view asked and every server lists every datacenter. */
export function wanCondition(w: WanAnalysis, progress?: string): ConditionInput {
  const type = 'WanFederated';
  const suffix = progress ? `; ${progress}` : '';
  const problems = w.federation.problems;
  if (problems.length > 0) return { type, status: 'False', reason: problems[0]!.reason, message: listed(problems.map((p) => p.message)) };
  if (w.answering.length === 0)
    return { type, status: 'Unknown', reason: 'NoServerAnswers', message: 'no server of this cluster answered its WAN members' };
  if (w.gaps.length > 0) {
    return {
      type,
      status: 'False',
      reason: 'WanMembersMissing',
      message: `${listed(w.gaps.map((g) => `${g.observer.name} sees ${g.member.name} ${g.status}`))}${suffix}`,
    };
  }
  if (w.datacentersMissing.length > 0) {
    return {
      type,
      status: 'False',
      reason: 'DatacentersMissing',
      message: `${listed(w.datacentersMissing.map((d) => `${d.node} does not list ${d.missing.join(', ')}`))} in /v1/catalog/datacenters${suffix}`,
    };
  }
  const servers = w.own.length + w.federation.peers.reduce((n, p) => n + p.servers.length, 0);
  return {
    type,
    status: 'True',
    reason: 'Federated',
    message: `${servers} servers of ${w.datacenters.length} datacenters alive in the WAN pool; every server lists ${w.datacenters.join(', ')}`,
  };
}

/** status.wan: the reference server's WAN pool (the given address when it answered, else the first that did), and each own server's datacenters. */
export function wanStatus(w: WanAnalysis, referenceAddress?: string): ConsulWanStatus {
  const ref =
    (referenceAddress ? w.views.get(referenceAddress) : undefined) ??
    w.answering.map((s) => w.views.get(s.address)).find((v) => v !== undefined);
  const servers: ConsulServerDatacenters[] = w.own.map((s) => {
    const dcs = w.views.get(s.address)?.datacenters;
    return { node: s.node, ...(dcs ? { datacenters: [...dcs] } : {}) };
  });
  return {
    members: (ref?.members ?? []).map((m) => ({ name: m.name, datacenter: m.datacenter, address: m.address, status: m.status })),
    servers,
  };
}
