/**
 * Status writes: compare-and-set on the status key's own index, in one transaction with a read
 * of the objects key, so a status is never written for an object that is gone (NotFound) and a
 * status someone else wrote since it was read is never overwritten (Conflict). Status is separate
 * from the spec, so a status write never moves `generation` and never wakes the objects watch.
 */
import type { BaseStatus, Resource } from '../crds/meta.js';
import { validateStatus } from '../crds/validate.js';
import { SwarmopError } from '../errors.js';
import { isTxnConflict } from './kv-errors.js';
import type { StoreContext } from './store-context.js';
import { objectKey, statusKey } from './store-keys.js';
import { parseJson, sameJson } from './stored-document.js';

/** A stored status as read, with the ModifyIndex of its key (0 when there is none). */
export interface StatusRead {
  status: BaseStatus | undefined;
  index: number;
}

/**
 * The stored status alone (one read of the status key; the objects key is neither read nor
 * validated again), with the index a later `writeStatusWith(..., read)` is conditional on.
 * The status is validated against its kind's status schema like spec: a status that is not a JSON
 * object counts as none, and fields that do not validate are dropped.
 */
export async function readStatus(ctx: StoreContext, kind: string, name: string): Promise<StatusRead> {
  const pair = await ctx.kv.get(statusKey(ctx.prefix, kind, name));
  const status = pair ? validateStatus(kind, parseJson(pair.value)).status : undefined;
  return { status, index: pair?.modifyIndex ?? 0 };
}

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
  /**
   * The status as the caller read it (readStatus) instead of a read here: the write is then
   * conditional on that read, so a status written since fails with Conflict, never lost.
   */
  read?: StatusRead,
): Promise<StatusWrite<S>> {
  const { kind } = resource;
  const { name } = resource.metadata;
  const sKey = statusKey(ctx.prefix, kind, name);
  const oKey = objectKey(ctx.prefix, kind, name);
  const { status: previous, index } = read ?? (await readStatus(ctx, kind, name));
  const status = build(previous);
  if (index > 0 && sameJson(previous, status)) return { written: false, previous, status };
  try {
    await ctx.kv.txn([
      { verb: 'get', key: oKey },
      { verb: 'cas', key: sKey, value: JSON.stringify(status), index },
    ]);
  } catch (err) {
    if (!isTxnConflict(err)) throw err;
    if (err.keys.includes(oKey)) throw new SwarmopError('NotFound', `${kind.toLowerCase()}/${name} no longer exists; status not written`);
    throw new SwarmopError('Conflict', `status of ${kind.toLowerCase()}/${name} was written by someone else since it was read`);
  }
  return { written: true, previous, status };
}
