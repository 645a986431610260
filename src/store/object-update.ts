/**
 * Replacing what a user may change of one existing object (spec, labels, annotations and
 * finalizers, as kubectl edit/patch do), compare-and-set on the `metadata.resourceVersion` the
 * document carries. Removing the last finalizer of an object being deleted deletes it, which is
 * how a stuck finalizer is cleared when its controller is gone. Status is never written. A spec
 * change records a revision (revisions.ts) naming `author`.
 */
import type { ObjectMeta, Resource } from '../crds/meta.js';
import { SwarmopError } from '../errors.js';
import { validateForApply } from './apply-plan.js';
import { casObject, casObjectWith, removeObjectKeys } from './object-cas.js';
import { changeSummary, revisionWrite, type WriteAuthor } from './revisions.js';
import type { StoreContext } from './store-context.js';
import { objectKey, revisionsKey } from './store-keys.js';
import { parseStoredStrict, sameJson, serialize, userMeta } from './stored-document.js';

export type UpdateResult = 'configured' | 'unchanged' | 'deleted';

export async function updateObject(ctx: StoreContext, resource: Resource, author?: WriteAuthor): Promise<UpdateResult> {
  const expected = resource.metadata?.resourceVersion;
  const finalizers: unknown = resource.metadata?.finalizers;
  if (finalizers !== undefined && (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string' || f === ''))) {
    throw new SwarmopError(
      'Invalid',
      `${String(resource.kind)}/${String(resource.metadata?.name)}: metadata.finalizers must be a list of non-empty strings`,
    );
  }
  const [r] = validateForApply([resource]);
  const { kind } = r!;
  const { name } = r!.metadata;
  if (expected === undefined)
    throw new SwarmopError('Invalid', `${kind.toLowerCase()}/${name}: metadata.resourceVersion is required for an update`);
  const key = objectKey(ctx.prefix, kind, name);
  const cur = await ctx.kv.get(key);
  if (!cur) throw new SwarmopError('NotFound', `${kind.toLowerCase()}/${name} not found`);
  if (String(cur.modifyIndex) !== expected) {
    throw new SwarmopError(
      'Conflict',
      `${kind.toLowerCase()}/${name} has resourceVersion ${cur.modifyIndex}, the document was read at ${expected}`,
    );
  }
  const stored = parseStoredStrict(kind, name, cur);
  const old = stored.metadata;
  const wanted = [...new Set((finalizers as string[] | undefined) ?? [])];
  if (wanted.length === 0 && old.deletionTimestamp) {
    if (await removeObjectKeys(ctx, kind, name, cur.modifyIndex)) return 'deleted';
    throw new SwarmopError('Conflict', `${kind.toLowerCase()}/${name} was changed by someone else meanwhile`);
  }
  const specChanged = !sameJson(stored.spec, r!.spec);
  const metadata: ObjectMeta = {
    name,
    ...userMeta(r!.metadata),
    uid: old.uid ?? crypto.randomUUID(),
    generation: Math.max((typeof old.generation === 'number' ? old.generation : 0) + (specChanged ? 1 : 0), 1),
    creationTimestamp: old.creationTimestamp ?? ctx.now().toISOString(),
    ...(old.deletionTimestamp ? { deletionTimestamp: old.deletionTimestamp } : {}),
    ...(wanted.length > 0 ? { finalizers: wanted } : {}),
  };
  const next = { apiVersion: r!.apiVersion, kind, metadata, spec: r!.spec };
  if (sameJson(JSON.parse(serialize(next)), JSON.parse(serialize({ ...stored, metadata: { ...old } })))) return 'unchanged';
  if (specChanged) {
    // The spec's revision goes in the same transaction, compare-and-set on the revisions read here.
    const revPair = await ctx.kv.get(revisionsKey(ctx.prefix, kind, name));
    const entry = {
      revision: metadata.generation!,
      time: ctx.now().toISOString(),
      manager: author?.manager ?? 'unknown',
      change: author?.change ?? changeSummary(stored.spec, r!.spec),
      spec: r!.spec,
    };
    const rw = revisionWrite(ctx, kind, name, revPair, entry);
    if (await casObjectWith(ctx, key, serialize(next), cur.modifyIndex, [rw.op])) return 'configured';
  } else if (await casObject(ctx, key, serialize(next), cur.modifyIndex)) return 'configured';
  throw new SwarmopError('Conflict', `${kind.toLowerCase()}/${name} was changed by someone else meanwhile`);
}
