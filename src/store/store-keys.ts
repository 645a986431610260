/**
 * The Consul KV layout, in one place (every key swarmop writes under its prefix is built here):
 *   <prefix>objects/<plural>/<name>   {apiVersion, kind, metadata (no resourceVersion), spec}
 *   <prefix>status/<plural>/<name>    status object
 *   <prefix>events/<plural>/<name>    JSON array of events, oldest first
 *   <prefix>revisions/<plural>/<name> JSON array of the object's last specs, oldest first (revisions.ts)
 *   <prefix>journal/objects/head      the objects journal's head {seq, epoch, slots}
 *   <prefix>journal/objects/<slot>    one journal entry {seq, epoch, keys}, slot = seq mod slots
 *   <prefix>leader                    leader-election lock
 *   <prefix>hashkeys/consulclusters/<name>  the HMAC key of a ConsulCluster's config-hash label (random, made once)
 *   <prefix>tokens/consulclusters/<name>/{operator,discovery,agents/<node>}  the ACL tokens the operator made in a
 *                                     ConsulCluster with ACLs: JSON {accessorID, secretID, delivered?}
 * What the journal's values mean is object-journal.ts.
 */
import { KINDS } from '../crds/index.js';
import { SwarmopError } from '../errors.js';

export type KeySection = 'objects' | 'status' | 'events';

export const DEFAULT_PREFIX = 'swarmop/';

/** `--prefix` / SWARMOP_PREFIX as given, made to end with exactly one "/" ('' stays the KV root). */
export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? DEFAULT_PREFIX).trim().replace(/^\/+/, '');
  if (p === '') return '';
  return p.endsWith('/') ? p.replace(/\/+$/, '/') : `${p}/`;
}

export function pluralOf(kind: string): string {
  const info = KINDS.find((k) => k.kind === kind);
  if (!info) throw new SwarmopError('Invalid', `unknown kind "${kind}"; expected one of ${KINDS.map((k) => k.kind).join(', ')}`);
  return info.plural;
}

export function sectionPrefix(prefix: string, section: KeySection, kind?: string): string {
  return kind === undefined ? `${prefix}${section}/` : `${prefix}${section}/${pluralOf(kind)}/`;
}

/** Where a ConsulCluster's config-hash HMAC key is kept (see consulcluster/hash-key.ts). */
export function configHashKeyKey(prefix: string, cluster: string): string {
  return `${prefix}hashkeys/consulclusters/${cluster}`;
}

/** The folder of a ConsulCluster's token records (see consulcluster/token-records.ts). */
export function clusterTokensPrefix(prefix: string, cluster: string): string {
  return `${prefix}tokens/consulclusters/${cluster}/`;
}

export function objectKey(prefix: string, kind: string, name: string): string {
  return `${sectionPrefix(prefix, 'objects', kind)}${name}`;
}

export function statusKey(prefix: string, kind: string, name: string): string {
  return `${sectionPrefix(prefix, 'status', kind)}${name}`;
}

export function eventsKey(prefix: string, kind: string, name: string): string {
  return `${sectionPrefix(prefix, 'events', kind)}${name}`;
}

/** Outside KeySection on purpose: parseKey (and so every listing decoder) skips revisions keys. */
export function revisionsKey(prefix: string, kind: string, name: string): string {
  return `${revisionsPrefix(prefix, kind)}${name}`;
}

export function revisionsPrefix(prefix: string, kind: string): string {
  return `${prefix}revisions/${pluralOf(kind)}/`;
}

export function leaderKey(prefix: string): string {
  return `${prefix}leader`;
}

/** Where the objects journal lives: `<prefix>journal/objects/`. */
export function journalPrefixOf(prefix: string): string {
  return `${prefix}journal/objects/`;
}

export function journalHeadKey(prefix: string): string {
  return `${journalPrefixOf(prefix)}head`;
}

/** The key of the ring slot that holds `seq`. */
export function journalSlotKey(prefix: string, seq: number, slots: number): string {
  return `${journalPrefixOf(prefix)}${seq % slots}`;
}

export interface ParsedKey {
  section: KeySection;
  kind: string;
  plural: string;
  name: string;
}

/** The object a key belongs to; undefined for keys outside the layout (leader, unknown plural, nesting). */
export function parseKey(prefix: string, key: string): ParsedKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split('/');
  if (parts.length !== 3) return undefined;
  const [section, plural, name] = parts as [string, string, string];
  if (section !== 'objects' && section !== 'status' && section !== 'events') return undefined;
  const info = KINDS.find((k) => k.plural === plural);
  if (!info || name === '') return undefined;
  return { section, kind: info.kind, plural, name };
}
