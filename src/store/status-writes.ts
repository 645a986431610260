/**
 * Status writes: compare-and-set on the status key's own index, in one transaction with a read
 * of the objects key, so a status is never written for an object that is gone (NotFound) and a
 * status someone else wrote since it was read is never overwritten (Conflict). Status is separate
 * from the spec, so a status write never moves `generation` and never wakes the objects watch.
 */
import type { BaseStatus, Resource } from '../crds/meta.js';
import { SwarmopError } from '../errors.js';
import { isTxnConflict } from './kv-errors.js';
import type { StoreContext } from './store-context.js';
import { objectKey, statusKey } from './store-keys.js';
import { parseJson, sameJson } from './stored-document.js';

export interface StatusWrite<S> {
  written: boolean;
  previous: BaseStatus | undefined;
  status: S;
}

/**
 * Builds the new status from the stored one read in the same call and writes it when it differs
 * (deep equality). A stored status that is not a JSON object counts as none.
 */
export async function writeStatusWith<S extends object>(
  ctx: StoreContext,
  resource: Pick<Resource, 'kind' | 'metadata'>,
  build: (previous: BaseStatus | undefined) => S,
): Promise<StatusWrite<S>> {
  const { kind } = resource;
  const { name } = resource.metadata;
  const sKey = statusKey(ctx.prefix, kind, name);
  const oKey = objectKey(ctx.prefix, kind, name);
  const cur = await ctx.kv.get(sKey);
  const stored = cur ? parseJson(cur.value) : undefined;
  const previous = stored !== null && typeof stored === 'object' && !Array.isArray(stored) ? (stored as BaseStatus) : undefined;
  const status = build(previous);
  if (cur && sameJson(stored, status)) return { written: false, previous, status };
  try {
    await ctx.kv.txn([
      { verb: 'get', key: oKey },
      { verb: 'cas', key: sKey, value: JSON.stringify(status), index: cur?.modifyIndex ?? 0 },
    ]);
  } catch (err) {
    if (!isTxnConflict(err)) throw err;
    if (err.keys.includes(oKey)) throw new SwarmopError('NotFound', `${kind.toLowerCase()}/${name} no longer exists; status not written`);
    throw new SwarmopError('Conflict', `status of ${kind.toLowerCase()}/${name} was written by someone else since it was read`);
  }
  return { written: true, previous, status };
}
