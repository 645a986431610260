/**
 * What `diff` compares: the parts of an object a manifest controls (labels, annotations, spec),
 * rendered as stable YAML, so system fields and status never show up as differences.
 */
import { stringify } from 'yaml';
import type { Resource } from '../../crds/meta.js';
import { refOf } from '../resources/kind-lookup.js';
import { unifiedDiff } from './unified-diff.js';
import { LAST_APPLIED_ANNOTATION, LAST_APPLIED_MANAGER_ANNOTATION } from '../../store/three-way-merge.js';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Apply's own bookkeeping, left out of diffs (it changes with every apply that changes anything). */
const BOOKKEEPING = new Set([LAST_APPLIED_ANNOTATION, LAST_APPLIED_MANAGER_ANNOTATION]);

export function desiredView(r: Resource): string {
  const metadata: Record<string, unknown> = { name: r.metadata.name };
  if (r.metadata.labels && Object.keys(r.metadata.labels).length > 0) metadata.labels = sortKeys(r.metadata.labels);
  const annotations = Object.fromEntries(Object.entries(r.metadata.annotations ?? {}).filter(([k]) => !BOOKKEEPING.has(k)));
  if (Object.keys(annotations).length > 0) metadata.annotations = sortKeys(annotations);
  return stringify({ apiVersion: r.apiVersion, kind: r.kind, metadata, spec: sortKeys(r.spec ?? {}) });
}

/** '' when live already matches the manifest; a unified diff otherwise (live missing = all added). */
export function resourceDiff(live: Resource | undefined, desired: Resource): string {
  const ref = refOf(desired);
  return unifiedDiff(live ? desiredView(live) : '', desiredView(desired), { oldLabel: `live/${ref}`, newLabel: `manifest/${ref}` });
}

/** The diff of one write apply would make: live to merged (after undefined = pruned, all removed). */
export function applyDiff(ref: string, live: Resource | undefined, merged: Resource | undefined): string {
  return unifiedDiff(live ? desiredView(live) : '', merged ? desiredView(merged) : '', {
    oldLabel: `live/${ref}`,
    newLabel: `merged/${ref}`,
  });
}
