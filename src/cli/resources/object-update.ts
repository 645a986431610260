/**
 * Read-modify-write of stored objects for label, annotate, patch: the change is computed from the
 * latest stored document and written compare-and-set on its resourceVersion; a lost race re-reads
 * and recomputes (a few times), so two writers never lose each other's change.
 */
import { isDeepStrictEqual } from 'node:util';
import { hostname, userInfo } from 'node:os';
import type { Resource } from '../../crds/meta.js';
import { isSwarmopError, SwarmopError } from '../../errors.js';
import type { WriteAuthor } from '../../store/resource-store.js';
import type { StoreHandle } from '../program/cli-context.js';
import type { ResourceRef } from './resource-args.js';
import { notFound } from './kind-lookup.js';
import { getOrUndefined } from './store-reads.js';

/** The document a user may edit: everything but status, with resourceVersion for the CAS. */
export function editableDocument(r: Resource): Record<string, unknown> {
  const { status: _status, ...rest } = JSON.parse(JSON.stringify(r)) as Resource;
  return { apiVersion: rest.apiVersion, kind: rest.kind, metadata: rest.metadata, spec: rest.spec };
}

export type UpdateOutcome = 'configured' | 'unchanged' | 'deleted';

const ATTEMPTS = 5;

/** Who a revision names for a change made by hand through the CLI: user@host. */
export function cliAuthor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return `${user}@${hostname()}`;
}

/**
 * Applies `change` to the latest document of `ref` and writes it. `change` returns the new
 * document (it may throw a SwarmopError('Invalid') to refuse). A change that sets another
 * resourceVersion itself is a precondition: it is written once, never retried.
 */
export async function updateObject(
  handle: StoreHandle,
  ref: ResourceRef,
  change: (doc: Record<string, unknown>) => Record<string, unknown>,
  author: WriteAuthor = { manager: cliAuthor() },
): Promise<UpdateOutcome> {
  for (let attempt = 1; ; attempt += 1) {
    const live = await getOrUndefined(handle, ref.kind, ref.name);
    if (!live) throw notFound(ref.kind, ref.name);
    const before = editableDocument(live);
    const after = change(structuredClone(before));
    if (Object.hasOwn(after, 'status'))
      throw new SwarmopError('Invalid', 'status is written only by controllers; it cannot be changed here');
    if (isDeepStrictEqual(after, before)) return 'unchanged';
    const afterName = (after.metadata as { name?: unknown } | undefined)?.name;
    if (after.kind !== before.kind || afterName !== ref.name) {
      throw new SwarmopError('Invalid', `kind and metadata.name cannot be changed (${ref.kind.singular}/${ref.name})`);
    }
    const meta = (after.metadata ?? {}) as Record<string, unknown>;
    const pinned = meta.resourceVersion !== undefined && meta.resourceVersion !== live.metadata.resourceVersion;
    if (meta.resourceVersion === undefined) meta.resourceVersion = live.metadata.resourceVersion;
    after.metadata = meta;
    try {
      return await handle.store.update(after as unknown as Resource, author);
    } catch (err) {
      if (!isSwarmopError(err, 'Conflict') || pinned || attempt >= ATTEMPTS) throw err;
    }
  }
}
