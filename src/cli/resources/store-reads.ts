/** Small read helpers over ResourceStore shared by several commands. */
import type { KindInfo } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { isSwarmopError } from '../../errors.js';
import type { StoreHandle } from '../program/cli-context.js';
import { matchesSelector, type SelectorTerm } from './label-selector.js';

/** The object, or undefined when it does not exist (whether the store returns or throws NotFound). */
export async function getOrUndefined(handle: StoreHandle, kind: KindInfo, name: string): Promise<Resource | undefined> {
  try {
    return (await handle.store.get(kind.kind, name)) ?? undefined;
  } catch (err) {
    if (isSwarmopError(err, 'NotFound')) return undefined;
    throw err;
  }
}

export async function listKind(handle: StoreHandle, kind: KindInfo, selector: readonly SelectorTerm[]): Promise<Resource[]> {
  const all = await handle.store.list(kind.kind);
  // Selection happens here (not in store.list) because -l also accepts != and existence terms.
  return sortByName(all.filter((r) => matchesSelector(r.metadata.labels, selector)));
}

export function sortByName(resources: Resource[]): Resource[] {
  return resources.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Decodes a raw snapshot of the prefix and keeps one kind (and optionally one name). */
export function pick(handle: StoreHandle, pairs: Parameters<StoreHandle['store']['decode']>[0], kind: KindInfo, name?: string): Resource[] {
  // Documents stored invalid are skipped here; `get NAME` reports them through store.get().
  return sortByName(
    handle.store
      .decode(pairs)
      .flatMap((d) => (d.resource && d.kind === kind.kind && (name === undefined || d.name === name) ? [d.resource] : [])),
  );
}
