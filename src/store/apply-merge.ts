/**
 * The document a managed apply stores for one manifest: the manifest merged three-way with the
 * stored object (three-way-merge.ts), with the manifest as written recorded in the last-applied
 * annotation and the manager beside it. Conflicts with another manager are returned, not thrown,
 * so one error can name every object.
 */
import { applyDefaults } from '../crds/index.js';
import type { ObjectMeta, Resource } from '../crds/meta.js';
import type { StoredDoc } from './stored-document.js';
import { parseJson, sameJson } from './stored-document.js';
import {
  DEFAULT_FIELD_MANAGER,
  fieldConflicts,
  LAST_APPLIED_ANNOTATION,
  LAST_APPLIED_MANAGER_ANNOTATION,
  leafPaths,
  threeWayMerge,
  valueAt,
} from './three-way-merge.js';

export interface ManagedApplyOptions {
  /** Who applies (recorded in the annotation and the revisions). */
  manager: string;
  /** Take over fields another manager applied instead of failing. */
  forceConflicts?: boolean;
}

const RESERVED = new Set([LAST_APPLIED_ANNOTATION, LAST_APPLIED_MANAGER_ANNOTATION]);

function withoutReserved(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => !RESERVED.has(k)));
}

/** The configuration recorded as last applied: the manifest as written, without system fields. */
export function appliedConfiguration(r: Resource): Resource {
  const metadata: ObjectMeta = { name: r.metadata.name };
  if (r.metadata.labels && Object.keys(r.metadata.labels).length > 0) metadata.labels = r.metadata.labels;
  const annotations = withoutReserved(r.metadata.annotations);
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec ?? {} };
}

export interface LastApplied {
  manager: string;
  configuration: Resource;
}

/** The last-applied record of a stored object; undefined when it has none (or an unreadable one). */
export function lastAppliedOf(meta: ObjectMeta | undefined): LastApplied | undefined {
  const text = meta?.annotations?.[LAST_APPLIED_ANNOTATION];
  const configuration = text === undefined ? undefined : parseJson(text);
  if (configuration === null || typeof configuration !== 'object' || Array.isArray(configuration)) return undefined;
  return {
    manager: meta?.annotations?.[LAST_APPLIED_MANAGER_ANNOTATION] ?? DEFAULT_FIELD_MANAGER,
    configuration: configuration as Resource,
  };
}

/** The view of a document the configuration is compared with: labels, annotations (not ours), spec. */
function managedView(doc: StoredDoc): Resource {
  return appliedConfiguration(doc as Resource);
}

export interface MergedApply {
  doc: Resource;
  /** `.spec.x` paths another manager applied that this manifest would change (empty when forced). */
  conflicts: string[];
  /** The manager the conflicts are with. */
  conflictsWith?: string;
}

export function mergeForApply(manifest: Resource, stored: StoredDoc | undefined, options: ManagedApplyOptions): MergedApply {
  const applied = appliedConfiguration(manifest);
  const record = { [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied), [LAST_APPLIED_MANAGER_ANNOTATION]: options.manager };
  if (!stored) {
    const metadata: ObjectMeta = { ...applied.metadata, annotations: { ...applied.metadata.annotations, ...record } };
    return { doc: { ...applied, metadata }, conflicts: [] };
  }
  const last = lastAppliedOf(stored.metadata);
  const live = managedView(stored);
  // Only this manager's own last apply is the base: another manager's fields are never removed here.
  const base = last && last.manager === options.manager ? last.configuration : undefined;
  const conflicts =
    last && last.manager !== options.manager && !options.forceConflicts ? fieldConflicts(last.configuration, applied, live) : [];
  const labels = threeWayMerge(base?.metadata?.labels, applied.metadata.labels ?? {}, live.metadata.labels ?? {}) as Record<string, string>;
  const annotations = threeWayMerge(
    withoutReserved(base?.metadata?.annotations),
    applied.metadata.annotations ?? {},
    live.metadata.annotations ?? {},
  ) as Record<string, string>;
  const metadata: ObjectMeta = { name: applied.metadata.name, annotations: { ...annotations, ...record } };
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  const liveSpec = withoutDefaultsOf(last?.configuration, (stored.spec ?? {}) as Record<string, unknown>);
  const spec = threeWayMerge(base?.spec, applied.spec, liveSpec) as Record<string, unknown>;
  return {
    doc: { apiVersion: applied.apiVersion, kind: applied.kind, metadata, spec },
    conflicts,
    ...(conflicts.length > 0 && last ? { conflictsWith: last.manager } : {}),
  };
}

/**
 * The stored spec without the values the store only filled in as defaults of the last applied
 * configuration (a ConsulCluster's bootstrapExpect = its server count): nobody set them, so the
 * merge must not keep them when the manifest changes what they were derived from. A value that
 * differs from that default was set by someone (a `patch`) and stays.
 */
function withoutDefaultsOf(lastApplied: Resource | undefined, liveSpec: Record<string, unknown>): Record<string, unknown> {
  if (!lastApplied || lastApplied.spec === null || typeof lastApplied.spec !== 'object') return liveSpec;
  let defaulted: unknown;
  try {
    defaulted = applyDefaults(lastApplied).spec;
  } catch {
    return liveSpec;
  }
  const out = structuredClone(liveSpec);
  for (const path of leafPaths(defaulted)) {
    if (valueAt(lastApplied.spec, path) !== undefined) continue;
    if (!sameJson(valueAt(out, path), valueAt(defaulted, path))) continue;
    let parent: unknown = out;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string, unknown> | undefined)?.[key];
    if (parent && typeof parent === 'object' && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[path.at(-1)!];
  }
  return out;
}
