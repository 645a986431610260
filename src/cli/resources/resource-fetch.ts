/**
 * Reads the objects named by ResourceArgs. Missing named objects are reported, not thrown, so a
 * command prints what it found and fails at the end, as kubectl does.
 */
import type { Resource } from '../../crds/meta.js';
import type { StoreHandle } from '../program/cli-context.js';
import { notFound } from './kind-lookup.js';
import { matchesSelector, type SelectorTerm } from './label-selector.js';
import type { ResourceArgs } from './resource-args.js';
import { getOrUndefined, listKind } from './store-reads.js';

export interface Fetched {
  resources: Resource[];
  /** One `kind "name" not found` message per missing named object. */
  missing: string[];
}

export async function fetchResources(handle: StoreHandle, args: ResourceArgs, selector: readonly SelectorTerm[]): Promise<Fetched> {
  const resources: Resource[] = [];
  const missing: string[] = [];
  if (args.type === 'kinds') {
    for (const k of args.kinds) resources.push(...(await listKind(handle, k, selector)));
    return { resources, missing };
  }
  for (const ref of args.refs) {
    const r = await getOrUndefined(handle, ref.kind, ref.name);
    if (!r) missing.push(notFound(ref.kind, ref.name).message);
    else if (matchesSelector(r.metadata.labels, selector)) resources.push(r);
  }
  return { resources, missing };
}
