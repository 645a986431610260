/**
 * What `diff` compares: the parts of an object a manifest controls (labels, annotations, spec),
 * rendered as stable YAML, so system fields and status never show up as differences.
 */
import { stringify } from 'yaml';
import type { Resource } from '../../crds/meta.js';
import { refOf } from '../resources/kind-lookup.js';
import { unifiedDiff } from './unified-diff.js';

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

export function desiredView(r: Resource): string {
  const metadata: Record<string, unknown> = { name: r.metadata.name };
  if (r.metadata.labels && Object.keys(r.metadata.labels).length > 0) metadata.labels = sortKeys(r.metadata.labels);
  if (r.metadata.annotations && Object.keys(r.metadata.annotations).length > 0) metadata.annotations = sortKeys(r.metadata.annotations);
  return stringify({ apiVersion: r.apiVersion, kind: r.kind, metadata, spec: sortKeys(r.spec ?? {}) });
}

/** '' when live already matches the manifest; a unified diff otherwise (live missing = all added). */
export function resourceDiff(live: Resource | undefined, desired: Resource): string {
  const ref = refOf(desired);
  return unifiedDiff(live ? desiredView(live) : '', desiredView(desired), { oldLabel: `live/${ref}`, newLabel: `manifest/${ref}` });
}
