/**
 * Attaching and releasing one slot's address with the StaticIPAttachment controller's own
 * reconcile and finalize (same planning, helper programs and repair of drift), run on an in-memory
 * attachment per task (desired.ts). What that controller would record (an `Attached` event, a
 * drift repaired) is captured, so the caller records it once, in the slot's words: a task that
 * replaced another in its slot is one `TaskMoved` repair, not a first attach.
 */
import type { ServiceAddresses, StaticIPAttachment } from '../../crds/index.js';
import type { FinalizeOutcome, KindName, KindReconcileContext, KindTypes, ObjectCache, ReconcileOutcome, Repair } from './kind-types.js';
import { HOST_INDEX } from '../kind-indexes.js';
import type { AttachmentObserved } from '../staticipattachment/index.js';
import { type PreviousHolder, slotAttachment, type SlotTarget } from './desired.js';

/** The StaticIPAttachment controller's reconcile/finalize, as this controller uses them. */
export interface SlotAttacher {
  reconcile(a: StaticIPAttachment, ctx: KindReconcileContext): Promise<ReconcileOutcome<AttachmentObserved>>;
  finalize(a: StaticIPAttachment, ctx: KindReconcileContext): Promise<FinalizeOutcome>;
}

export interface Recorded {
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  repairs: Repair[];
}

/**
 * The cache the attachment controller sees for an in-memory attachment: no claims (conflicts were
 * checked for the whole ServiceAddresses before), no attachment sharing its uid, and, for a bridge's
 * release on delete, the real attachments on the host plus this object's other in-memory ones.
 */
function innerCache(real: ObjectCache, siblings: readonly StaticIPAttachment[]): ObjectCache {
  return {
    get: <K extends KindName>(k: K, n: string) => real.get(k, n),
    list: <K extends KindName>(k: K): KindTypes[K][] => (k === 'StaticIPAttachment' ? [] : real.list(k)),
    byIndex: <K extends KindName>(k: K, index: string, value: string): KindTypes[K][] => {
      if (k !== 'StaticIPAttachment' || index !== HOST_INDEX) return [];
      return [...real.byIndex(k, index, value), ...(siblings.filter((s) => s.spec.host === value) as KindTypes[K][])];
    },
  };
}

function capturing(ctx: KindReconcileContext, cache: ObjectCache): { ctx: KindReconcileContext; recorded: Recorded } {
  const recorded: Recorded = { events: [], repairs: [] };
  return {
    recorded,
    ctx: {
      ...ctx,
      cache,
      repaired: async (r) => void recorded.repairs.push(r),
      event: async (type, reason, message) => void recorded.events.push({ type, reason, message }),
    },
  };
}

export interface AttachResult {
  outcome: ReconcileOutcome<AttachmentObserved>;
  recorded: Recorded;
}

export async function attachSlot(
  attacher: SlotAttacher,
  res: ServiceAddresses,
  target: SlotTarget,
  previous: PreviousHolder | undefined,
  ctx: KindReconcileContext,
): Promise<AttachResult> {
  const c = capturing(ctx, innerCache(ctx.cache, []));
  const outcome = await attacher.reconcile(slotAttachment(res, target, previous), c.ctx);
  return { outcome, recorded: c.recorded };
}

/** Removes what `target` held. `deleting`: every slot of the object goes (its own bridge may go too). */
export async function releaseSlot(
  attacher: SlotAttacher,
  res: ServiceAddresses,
  target: SlotTarget,
  ctx: KindReconcileContext,
  deleting: readonly SlotTarget[] = [],
): Promise<{ done: boolean; recorded: Recorded }> {
  const siblings = deleting
    .filter((t) => t.taskID !== target.taskID)
    .map((t) => ({
      ...slotAttachment(res, t),
      metadata: { ...slotAttachment(res, t).metadata, deletionTimestamp: ctx.now().toISOString() },
    }));
  const c = capturing(ctx, innerCache(ctx.cache, siblings));
  const out = await attacher.finalize(slotAttachment(res, target), c.ctx);
  return { done: out.done, recorded: c.recorded };
}
