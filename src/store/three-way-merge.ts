/**
 * kubectl's client-side apply, on swarmop's documents: the change is computed from three views —
 * what this manager applied last (the last-applied annotation), the new manifest, and what is
 * stored — with JSON merge-patch semantics (maps merge key by key, lists and scalars are replaced
 * whole, as kubectl does for custom resources). A field the manifest stopped setting is removed;
 * a field it never set (a label from `swarmop label`, a `patch`ed spec field) is kept.
 *
 * Why an annotation and not server-side field managers: the whole record then lives in the one
 * objects key, so it is written in the same compare-and-set as the object (no second key to keep
 * consistent), `get -o yaml` shows it, and kubectl users know it. What the annotation cannot say
 * is which manager owns which field when several managers apply the same object; swarmop records
 * the last manager next to it (`swarmop.io/last-applied-manager`) and reports a conflict when a
 * manifest would change a field another manager applied (see fieldConflicts).
 */
import { LAST_APPLIED_ANNOTATION, LAST_APPLIED_MANAGER_ANNOTATION } from '../crds/meta.js';
import { sameJson } from './stored-document.js';

export { LAST_APPLIED_ANNOTATION, LAST_APPLIED_MANAGER_ANNOTATION };
/** The manager of the CLI's apply when --field-manager is not given. */
export const DEFAULT_FIELD_MANAGER = 'swarmop';

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The merged value: `live`, minus the fields `last` set and `desired` does not, plus every field
 * of `desired`. Maps on both sides merge recursively; anything else takes the desired value.
 * `last` undefined = nothing was applied before (nothing is removed).
 */
export function threeWayMerge(last: Json, desired: Json, live: Json): Json {
  if (!isObject(desired) || !isObject(live)) return structuredClone(desired);
  const lastObj = isObject(last) ? last : {};
  const out: JsonObject = structuredClone(live);
  for (const key of Object.keys(lastObj)) if (!(key in desired)) delete out[key];
  for (const [key, value] of Object.entries(desired)) {
    out[key] = key in live ? threeWayMerge(lastObj[key], value, live[key]) : structuredClone(value);
  }
  return out;
}

/** The leaf paths a document sets: maps recurse, anything else (lists, scalars, {}) is a leaf. */
export function leafPaths(value: Json, base: string[] = []): string[][] {
  if (!isObject(value) || Object.keys(value).length === 0) return base.length === 0 ? [] : [base];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...base, k]));
}

export function valueAt(value: Json, path: readonly string[]): Json {
  let cur: Json = value;
  for (const k of path) {
    if (!isObject(cur) || !(k in cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** `.spec.host`, `.metadata.labels.rack` (dots in map keys kept as written, like kubectl's paths). */
export function formatPath(path: readonly string[]): string {
  return path.map((p) => `.${p}`).join('');
}

/**
 * The fields another manager applied that this manifest would change: leaf paths set both in the
 * other manager's last-applied configuration and in the manifest, whose stored value differs
 * from the manifest's. Server-side apply reports the same situation as a conflict.
 */
export function fieldConflicts(otherLastApplied: Json, desired: Json, live: Json): string[] {
  if (!isObject(otherLastApplied)) return [];
  const theirs = new Set(leafPaths(otherLastApplied).map((p) => JSON.stringify(p)));
  const conflicts: string[] = [];
  for (const path of leafPaths(desired)) {
    const isTheirs = path.some((_, i) => theirs.has(JSON.stringify(path.slice(0, i + 1))));
    if (isTheirs && !sameJson(valueAt(live, path), valueAt(desired, path))) conflicts.push(formatPath(path));
  }
  return conflicts;
}

/** The paths whose values differ between two documents (for history's change summary). */
export function changedPaths(before: Json, after: Json): string[] {
  const paths = new Map<string, string[]>();
  for (const p of [...leafPaths(before), ...leafPaths(after)]) paths.set(JSON.stringify(p), p);
  return [...paths.values()].filter((p) => !sameJson(valueAt(before, p), valueAt(after, p))).map(formatPath);
}
