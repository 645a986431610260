/**
 * Everything around one reconciler run that is the same for every kind (controller-runtime's
 * reconcileHandler plus the finalizer helper of kube-rs): InvalidSpec for documents that fail
 * validation, finalizer add/remove, deletion, status rebuilt from the outcome and written
 * compare-and-set only when it changed, repairs turned into a log line + metric + event.
 */
import type { BaseStatus, KindName, Resource } from '../crds/index.js';
import type { KindReconciler, ObjectCache, KindReconcileContext, ReconcileOutcome, Repair, Hosts } from '../controllers/kind-reconciler.js';
import type { DecodedObject, ResourceStore, StatusRead } from '../store/resource-store.js';
import type { RuntimeMetrics } from '../runtime/metrics.js';
import { logDriftRepaired } from '../runtime/logger.js';
import type { ReconcileContext, ReconcileResult } from '../runtime/controller.js';
import { isSwarmopError, SwarmopError } from '../errors.js';
import { buildStatus, invalidSpecConditions, repairFailingError, withRepairFailing } from './status-assembly.js';
import { engineText } from '../docker/engine-message.js';

/** What the operator caches per object: a decoded objects key plus its status key. */
export type CachedObject = DecodedObject;

export interface DriverOptions {
  kind: KindName;
  reconciler: KindReconciler;
  store: ResourceStore;
  hosts: Hosts;
  cache: ObjectCache;
  metrics?: RuntimeMetrics;
  now?: () => Date;
  /** Recheck interval while a finalizer is not done yet (ms). */
  finalizeRetryMs?: number;
}

export function createReconcileDriver(options: DriverOptions) {
  const { kind, reconciler, store } = options;
  const now = options.now ?? (() => new Date());

  return async function reconcileObject(name: string, rctx: ReconcileContext<CachedObject>): Promise<ReconcileResult> {
    const cached = rctx.object;
    if (!cached) {
      options.metrics?.forgetObject(kind, name);
      return; // deleted; nothing left to do
    }
    const ref = { kind, name, uid: cached.resource?.metadata.uid };

    const ctx: KindReconcileContext = {
      log: rctx.log,
      signal: rctx.signal,
      reconcileId: rctx.reconcileId,
      hosts: options.hosts,
      cache: options.cache,
      now,
      event: async (type, reason, message) => {
        await store.recordEvent(ref, { type, reason, message, source: `${kind.toLowerCase()}-controller` });
      },
      repaired: async (r: Repair) => {
        logDriftRepaired(rctx.log, { kind, name, ...(r.host ? { host: r.host } : {}), what: r.found, why: r.reason, action: r.action });
        options.metrics?.recordDriftRepair(kind, r.reason);
        await store.recordEvent(ref, {
          type: 'Normal',
          reason: r.reason,
          message: `${r.found}; ${r.action}${r.host ? ` (host ${r.host})` : ''}`,
          source: `${kind.toLowerCase()}-controller`,
        });
      },
    };

    // Status is rebuilt against the stored one: the one read before the reconciler ran (the
    // write is compare-and-set on that read, so nothing written meanwhile is lost), else read
    // in the same call as the write.
    let read: StatusRead | undefined;
    const writeStatus = async (target: Pick<Resource, 'kind' | 'metadata'>, build: (previous: BaseStatus | undefined) => BaseStatus) => {
      const w = await store.updateStatusWith(target, build, read);
      options.metrics?.setObjectReady(kind, name, w.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
      if (w.written) {
        await readyEvent(w.previous, w.status, ctx);
        await repairFailingEvent(w.previous, w.status, ctx);
      }
    };
    const attempt = rctx.failures + 1;

    if (!cached.resource) {
      await writeStatus({ kind, metadata: { name } }, (previous) =>
        buildStatus(previous, {}, invalidSpecConditions(cached.errors), undefined, now()),
      );
      rctx.log.warn('stored document is invalid', { errors: cached.errors });
      return; // nothing to do until the document changes
    }

    let resource = cached.resource;
    const finalizer = reconciler.finalizer;
    if (resource.metadata.deletionTimestamp) {
      if (finalizer && resource.metadata.finalizers?.includes(finalizer) && reconciler.finalize) {
        const out = await reconciler.finalize(resource, ctx);
        if (!out.done) return { requeueAfter: out.requeueAfter ?? options.finalizeRetryMs ?? 2_000 };
        await store.removeFinalizer(kind, name, finalizer);
        rctx.log.info('finalized', { finalizer });
      }
      return;
    }
    // The cache follows the objects keys only; a reconciler that compares with what it did last
    // time (e.g. StaticIPAttachment telling a first attach from a repair) needs the stored status.
    // Only the status key is read, once: the cached object is already decoded and validated. It is
    // read while a first run adds the finalizer (two independent keys: one round trip less).
    const statusRead = resource.status === undefined ? store.readStatus(kind, name).catch(() => undefined) : undefined;
    if (finalizer && !resource.metadata.finalizers?.includes(finalizer)) {
      await store.addFinalizer(kind, name, finalizer);
      resource = { ...resource, metadata: { ...resource.metadata, finalizers: [...(resource.metadata.finalizers ?? []), finalizer] } };
    }
    if (statusRead) {
      read = await statusRead;
      if (read?.status) resource = { ...resource, status: read.status };
    }

    let out: ReconcileOutcome;
    try {
      out = await reconciler.reconcile(resource, ctx);
    } catch (err) {
      // The object shows the failure (level-triggered users read status, not logs); the error
      // policy decides the retry.
      if (!isSwarmopError(err, 'Conflict')) {
        // Any error may carry an engine's or agent's answer: cut and cleaned before it is status.
        const message = engineText(err instanceof Error ? err.message : String(err), 1000);
        const failed = withRepairFailing([{ type: 'Ready', status: 'False', reason: 'ReconcileError', message }], message, attempt);
        await writeStatus(resource, (previous) => buildStatus(previous, {}, failed, resource.metadata.generation, now())).catch(
          () => undefined,
        );
      }
      throw err;
    }
    const conditions = out.repairFailed === undefined ? out.conditions : withRepairFailing(out.conditions, out.repairFailed, attempt);
    await writeStatus(resource, (previous) => buildStatus(previous, out.observed, conditions, resource.metadata.generation, now()));
    // A failed repair is a failed run: the queue backs off instead of re-checking on schedule.
    if (out.repairFailed !== undefined) throw new SwarmopError('Unavailable', out.repairFailed);
    return out.requeueAfter === undefined ? undefined : { requeueAfter: out.requeueAfter };
  };
}

/**
 * Records the Ready condition's transitions (and its first value) as an event on the object, so
 * `describe`/`events` show when and why an object became (un)ready. Only called after a status
 * write, so an unchanged status never adds events; a failed event write is logged, not fatal
 * (events are advisory).
 */
async function readyEvent(previous: BaseStatus | undefined, next: BaseStatus, ctx: KindReconcileContext): Promise<void> {
  const before = previous?.conditions?.find((c) => c.type === 'Ready');
  const after = next.conditions?.find((c) => c.type === 'Ready');
  if (!after || before?.status === after.status) return;
  try {
    await ctx.event(after.status === 'True' ? 'Normal' : 'Warning', after.reason, after.message);
  } catch (err) {
    ctx.log.warn('could not record an event', { reason: after.reason, error: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * A Warning event each time a failing repair's error changes (not at every attempt: the condition
 * carries the count), so `events` shows what went wrong and when it started going wrong another way.
 */
async function repairFailingEvent(previous: BaseStatus | undefined, next: BaseStatus, ctx: KindReconcileContext): Promise<void> {
  const error = repairFailingError(next.conditions);
  if (error === undefined || error === repairFailingError(previous?.conditions)) return;
  const message = next.conditions!.find((c) => c.type === 'Degraded')!.message;
  try {
    await ctx.event('Warning', 'RepairFailing', message);
  } catch (err) {
    ctx.log.warn('could not record an event', { reason: 'RepairFailing', error: err instanceof Error ? err.message : String(err) });
  }
}
