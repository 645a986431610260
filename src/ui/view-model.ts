/**
 * The status page's view model: pure functions from the operator's cache (declared objects), the
 * stored statuses and the stored events to rows. Nothing here does I/O or formats HTML, so every
 * rule (which condition counts, how a host's swarm node is matched, how secrets are shown, how a
 * kind's list is paged) is tested without a server or a browser.
 */
import { ageSince } from '../format/age.js';
import type { KindName } from '../crds/kind-info.js';
import type { BaseStatus, Condition, Resource } from '../crds/meta.js';
import type { ConsulClusterStatus } from '../crds/consul-cluster.js';
import type { DockerHostStatus } from '../crds/docker-host.js';
import type { SwarmClusterStatus } from '../crds/swarm-cluster.js';
import { DEFAULT_INTERFACE, type StaticIPAttachmentStatus } from '../crds/static-ip-attachment.js';
import type { ObjectEvent } from '../store/object-events.js';

export const UI_KINDS: readonly KindName[] = ['DockerHost', 'ConsulCluster', 'SwarmCluster', 'StaticIPAttachment'];

/** What the view model reads; the operator's cache and the UI's status/events feed provide it. */
export interface UiSource {
  /** Declared (valid) objects of a kind, in any order. */
  objects(kind: KindName): readonly Resource[];
  /** The stored status of an object, if any. */
  status(kind: KindName, name: string): BaseStatus | undefined;
}

export interface ReadyView {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface ObjectRow {
  kind: KindName;
  name: string;
  ready: ReadyView;
  age: string;
  /** A one-line summary of the spec (what the object declares); secrets as references only. */
  summary: string;
  labels: [string, string][];
  terminating: boolean;
}

export interface KindPage {
  kind: KindName;
  rows: ObjectRow[];
  total: number;
  readyCount: number;
  page: number;
  pages: number;
  pageSize: number;
}

/** The Ready condition, Unknown (reason Pending) when the controller has not written one. */
export function readyOf(status: BaseStatus | undefined, generation?: number): ReadyView {
  const c: Condition | undefined = status?.conditions?.find((x) => x.type === 'Ready');
  if (!c) return { status: 'Unknown', reason: 'Pending', message: 'no status written yet' };
  // A condition about an older generation says nothing about the current spec.
  if (generation !== undefined && c.observedGeneration !== undefined && c.observedGeneration < generation) {
    return {
      status: 'Unknown',
      reason: 'Progressing',
      message: `status is for generation ${c.observedGeneration}, spec is at ${generation}`,
    };
  }
  return { status: c.status, reason: String(c.reason ?? ''), message: String(c.message ?? '') };
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Spec fields named `...Ref` hold references to secrets kept elsewhere (a KV key, a file): shown
 * as the reference, never resolved.
 */
function secretRefs(spec: Record<string, unknown>): string[] {
  return Object.entries(spec)
    .filter(([k, v]) => /Refs?$/.test(k) && v !== null && typeof v === 'object')
    .map(
      ([k, v]) =>
        `${k}: ${Object.entries(v as Record<string, unknown>)
          .map(([rk, rv]) => `${rk}=${str(rv)}`)
          .join(',')}`,
    );
}

export function specSummary(kind: KindName, spec: Record<string, unknown>): string {
  const parts: string[] = [];
  switch (kind) {
    case 'DockerHost':
      parts.push(str(spec['endpoint']), `address ${str(spec['address'])}`);
      if (spec['tls']) parts.push('tls');
      break;
    case 'ConsulCluster':
      parts.push(`dc ${str(spec['datacenter'])}`, `${list(spec['servers']).length} servers`, str(spec['image']));
      if (list(spec['clients']).length) parts.push(`${list(spec['clients']).length} clients`);
      break;
    case 'SwarmCluster':
      parts.push(`managers ${list(spec['managers']).map(str).join(',')}`, `workers ${list(spec['workers']).map(str).join(',') || '-'}`);
      break;
    case 'StaticIPAttachment':
      parts.push(
        `${str(spec['host'])}/${str(spec['container'])}`,
        `${str(spec['interface']) || DEFAULT_INTERFACE} ${str(spec['address'])}`,
        `via ${str(spec['bridge'])}`,
      );
      break;
  }
  parts.push(...secretRefs(spec));
  return parts.filter(Boolean).join(' · ');
}

export function objectRow(kind: KindName, r: Resource, status: BaseStatus | undefined, now: number): ObjectRow {
  return {
    kind,
    name: r.metadata.name,
    ready: readyOf(status, r.metadata.generation),
    age: ageSince(r.metadata.creationTimestamp, now),
    summary: specSummary(kind, (r.spec ?? {}) as Record<string, unknown>),
    labels: Object.entries(r.metadata.labels ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    terminating: r.metadata.deletionTimestamp !== undefined,
  };
}

export const DEFAULT_PAGE_SIZE = 50;

/**
 * One page of a kind's objects sorted by name. Only the page's rows are built; the Ready count
 * reads every status (a map lookup each), which stays cheap at 10,000 objects.
 */
export function kindPage(source: UiSource, kind: KindName, options: { page?: number; pageSize?: number; now: number }): KindPage {
  const pageSize = Math.max(1, Math.min(500, options.pageSize ?? DEFAULT_PAGE_SIZE));
  const all = [...source.objects(kind)].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  );
  const pages = Math.max(1, Math.ceil(all.length / pageSize));
  const page = Math.min(Math.max(1, Math.floor(options.page ?? 1)), pages);
  let readyCount = 0;
  for (const r of all) if (readyOf(source.status(kind, r.metadata.name), r.metadata.generation).status === 'True') readyCount++;
  const rows = all
    .slice((page - 1) * pageSize, page * pageSize)
    .map((r) => objectRow(kind, r, source.status(kind, r.metadata.name), options.now));
  return { kind, rows, total: all.length, readyCount, page, pages, pageSize };
}

export interface AttachmentView {
  name: string;
  container: string;
  address: string;
  ready: ReadyView;
}

export interface HostRow {
  name: string;
  address: string;
  endpoint: string;
  ready: ReadyView;
  engine: string;
  swarm: { cluster: string; role: string; state: string; availability: string; leader: boolean } | undefined;
  consul: { cluster: string; node: string; role: string; status: string }[];
  attachments: AttachmentView[];
  /** Attachments on this host beyond the ones listed. */
  moreAttachments: number;
}

/**
 * One row per DockerHost: its engine (DockerHost status), its swarm node (the SwarmCluster that
 * lists it, matched to the observed node by node ID, then address, then hostname), its Consul
 * agents (ConsulCluster members observed on that host) and its attachments.
 */
export function hostRows(source: UiSource, options: { maxAttachments?: number } = {}): HostRow[] {
  return hostPage(source, { ...options, pageSize: Number.MAX_SAFE_INTEGER }).rows;
}

export interface HostPage {
  rows: HostRow[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
}

/** One page of hosts sorted by name; rows are built only for the hosts on the page. */
export function hostPage(source: UiSource, options: { maxAttachments?: number; page?: number; pageSize?: number } = {}): HostPage {
  const max = options.maxAttachments ?? 20;
  const pageSize = Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE);
  const all = [...source.objects('DockerHost')].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  );
  const pages = Math.max(1, Math.ceil(all.length / pageSize));
  const page = Math.min(Math.max(1, Math.floor(options.page ?? 1)), pages);
  const shown = all.slice((page - 1) * pageSize, page * pageSize);
  const onPage = new Set(shown.map((h) => h.metadata.name));
  const byHost = new Map<string, Resource[]>();
  for (const a of source.objects('StaticIPAttachment')) {
    const host = str((a.spec as Record<string, unknown>)['host']);
    if (!onPage.has(host)) continue;
    const arr = byHost.get(host) ?? [];
    arr.push(a);
    byHost.set(host, arr);
  }
  const swarms = source.objects('SwarmCluster');
  const consuls = source.objects('ConsulCluster');
  const rows = shown.map((h): HostRow => {
    const name = h.metadata.name;
    const spec = h.spec as Record<string, unknown>;
    const st = source.status('DockerHost', name) as DockerHostStatus | undefined;
    const engine = st?.engineVersion
      ? `${st.engineVersion}${st.reachable === false ? ' (unreachable)' : ''}`
      : st?.reachable === false
        ? 'unreachable'
        : 'unknown';
    let swarm: HostRow['swarm'];
    for (const sc of swarms) {
      const sspec = sc.spec as Record<string, unknown>;
      const role = list(sspec['managers']).includes(name) ? 'manager' : list(sspec['workers']).includes(name) ? 'worker' : undefined;
      if (!role) continue;
      const sst = source.status('SwarmCluster', sc.metadata.name) as SwarmClusterStatus | undefined;
      const nodes = sst?.nodes ?? [];
      const node =
        (st?.swarm?.nodeID ? nodes.find((n) => n.nodeID === st.swarm!.nodeID) : undefined) ??
        nodes.find((n) => n.address !== undefined && n.address === spec['address']) ??
        nodes.find((n) => n.hostname === name);
      swarm = {
        cluster: sc.metadata.name,
        role: node?.role ?? role,
        state: node?.state ?? (st?.swarm?.state ? `engine ${st.swarm.state}` : 'unknown'),
        availability: node?.availability ?? '',
        leader: node?.leader === true,
      };
      break;
    }
    const consul: HostRow['consul'] = [];
    for (const cc of consuls) {
      const cspec = cc.spec as Record<string, unknown>;
      const cst = source.status('ConsulCluster', cc.metadata.name) as ConsulClusterStatus | undefined;
      const declared = [
        ...list(cspec['servers']).map((m) => ({ m, role: 'server' })),
        ...list(cspec['clients']).map((m) => ({ m, role: 'client' })),
      ];
      for (const { m, role } of declared) {
        const member = m as Record<string, unknown>;
        if (member['host'] !== name) continue;
        const node = str(member['node']);
        const seen = cst?.members?.find((x) => x.node === node);
        const leader = cst?.leader === node ? ' (leader)' : '';
        consul.push({ cluster: cc.metadata.name, node, role: role + leader, status: seen?.status ?? 'unknown' });
      }
    }
    const mine = (byHost.get(name) ?? []).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const attachments = mine.slice(0, max).map((a): AttachmentView => {
      const aspec = a.spec as Record<string, unknown>;
      const ast = source.status('StaticIPAttachment', a.metadata.name) as StaticIPAttachmentStatus | undefined;
      return {
        name: a.metadata.name,
        container: str(aspec['container']),
        address: ast?.address ?? str(aspec['address']),
        ready: readyOf(ast, a.metadata.generation),
      };
    });
    return {
      name,
      address: str(spec['address']),
      endpoint: str(spec['endpoint']),
      ready: readyOf(st, h.metadata.generation),
      engine,
      swarm,
      consul,
      attachments,
      moreAttachments: Math.max(0, mine.length - max),
    };
  });
  return { rows, total: all.length, page, pages, pageSize };
}

export interface TimelineEntry {
  /** Stable per occurrence: object, first timestamp and count (a repeat is a new entry). */
  id: string;
  /** The same event repeating (id without the count): a newer occurrence replaces the older one. */
  series: string;
  time: string;
  kind: string;
  name: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  source: string;
}

export function timelineEntry(e: ObjectEvent): TimelineEntry {
  const kind = str(e.involvedObject?.kind);
  const name = str(e.involvedObject?.name);
  const count = typeof e.count === 'number' ? e.count : 1;
  const series = `${kind}/${name}/${e.reason}/${e.firstTimestamp}`;
  return {
    id: `${series}/${count}`,
    series,
    time: e.lastTimestamp,
    kind,
    name,
    type: str(e.type),
    reason: str(e.reason),
    message: str(e.message),
    count,
    source: str(e.source),
  };
}

/** Newest first, at most `limit`; a stored event is one entry (its latest count). */
export function timeline(events: Iterable<ObjectEvent>, limit = 200): TimelineEntry[] {
  const entries = [...events].map(timelineEntry);
  entries.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.id < b.id ? 1 : -1));
  return entries.slice(0, limit);
}
