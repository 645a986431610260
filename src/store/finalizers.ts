/**
 * Deletion with finalizers (Kubernetes' semantics): `deleteObject` of an object with finalizers
 * only sets deletionTimestamp; the controller undoes its work on the hosts and removes its
 * finalizer; the removal of the last one deletes the objects and status keys (events are kept).
 * Each is a read-modify-CAS loop that re-reads after a lost race, up to `ctx.attempts` times.
 */
import { SwarmopError } from '../errors.js';
import { casObject, lostRace, removeObjectKeys } from './object-cas.js';
import type { StoreContext } from './store-context.js';
import { objectKey } from './store-keys.js';
import { parseStoredLoosely, parseStoredStrict, serialize } from './stored-document.js';

export type DeleteResult = 'deleted' | 'terminating' | 'notfound';

/** Deletes the object, or marks it terminating while finalizers remain. Events are kept. */
export async function deleteObject(ctx: StoreContext, kind: string, name: string): Promise<DeleteResult> {
  const key = objectKey(ctx.prefix, kind, name);
  for (let attempt = 0; attempt < ctx.attempts; attempt += 1) {
    const cur = await ctx.kv.get(key);
    if (!cur) return 'notfound';
    const doc = parseStoredLoosely(cur.value);
    if (doc && (doc.metadata.finalizers?.length ?? 0) > 0) {
      if (doc.metadata.deletionTimestamp) return 'terminating';
      doc.metadata.deletionTimestamp = ctx.now().toISOString();
      if (await casObject(ctx, key, serialize(doc), cur.modifyIndex)) return 'terminating';
      continue;
    }
    if (await removeObjectKeys(ctx, kind, name, cur.modifyIndex)) return 'deleted';
  }
  throw lostRace(kind, name, 'delete');
}

/** Adds a finalizer (idempotent: false when already there). Refused on an object being deleted. */
export async function addFinalizer(ctx: StoreContext, kind: string, name: string, finalizer: string): Promise<boolean> {
  const key = objectKey(ctx.prefix, kind, name);
  for (let attempt = 0; attempt < ctx.attempts; attempt += 1) {
    const cur = await ctx.kv.get(key);
    if (!cur) throw new SwarmopError('NotFound', `${kind.toLowerCase()}/${name} not found`);
    const doc = parseStoredStrict(kind, name, cur);
    const finalizers = doc.metadata.finalizers ?? [];
    if (finalizers.includes(finalizer)) return false;
    if (doc.metadata.deletionTimestamp) {
      throw new SwarmopError('Conflict', `${kind.toLowerCase()}/${name} is being deleted; no finalizer can be added`);
    }
    doc.metadata.finalizers = [...finalizers, finalizer];
    if (await casObject(ctx, key, serialize(doc), cur.modifyIndex)) return true;
  }
  throw lostRace(kind, name, 'add finalizer to');
}

/**
 * Removes a finalizer (false when absent or the object is gone). Removing the last one of an
 * object being deleted deletes its objects and status keys.
 */
export async function removeFinalizer(ctx: StoreContext, kind: string, name: string, finalizer: string): Promise<boolean> {
  const key = objectKey(ctx.prefix, kind, name);
  for (let attempt = 0; attempt < ctx.attempts; attempt += 1) {
    const cur = await ctx.kv.get(key);
    if (!cur) return false;
    const doc = parseStoredStrict(kind, name, cur);
    const finalizers = doc.metadata.finalizers ?? [];
    if (!finalizers.includes(finalizer)) return false;
    const rest = finalizers.filter((f) => f !== finalizer);
    if (rest.length === 0 && doc.metadata.deletionTimestamp) {
      if (await removeObjectKeys(ctx, kind, name, cur.modifyIndex)) return true;
      continue;
    }
    if (rest.length > 0) doc.metadata.finalizers = rest;
    else delete doc.metadata.finalizers;
    if (await casObject(ctx, key, serialize(doc), cur.modifyIndex)) return true;
  }
  throw lostRace(kind, name, 'remove finalizer from');
}
