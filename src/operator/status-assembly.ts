/**
 * Status assembly, pure: conditions keep their lastTransitionTime while their status stays the same
 * (Kubernetes' meta.SetStatusCondition), so rebuilding status from observations on every reconcile
 * produces byte-identical documents when nothing changed and the status write can be skipped.
 */
import type { BaseStatus, Condition } from '../crds/index.js';
import type { ConditionInput } from '../controllers/kind-reconciler.js';
import { engineText } from '../docker/engine-message.js';

export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now.toISOString();
    const cond: Condition = { type: c.type, status: c.status, reason: c.reason, message: c.message, lastTransitionTime };
    if (generation !== undefined) cond.observedGeneration = generation;
    return cond;
  });
}

/** The full status document: observed facts, observedGeneration and merged conditions. */
export function buildStatus(
  previous: BaseStatus | undefined,
  observed: object,
  conditions: readonly ConditionInput[],
  generation: number | undefined,
  now: Date,
): BaseStatus & Record<string, unknown> {
  return {
    ...observed,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: mergeConditions(previous?.conditions, conditions, generation, now),
  };
}

/** Ready=False with reason InvalidSpec for a stored document that fails validation. */
export function invalidSpecConditions(errors: readonly string[]): ConditionInput[] {
  const shown = errors.slice(0, 5);
  const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
  return [{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: `${shown.join('; ')}${more}` }];
}

export const REPAIR_FAILING = 'RepairFailing';

/**
 * `conditions` with Degraded replaced by RepairFailing: the last error and how many consecutive
 * attempts failed, so a repair that keeps failing shows on the object and not only in the logs.
 */
export function withRepairFailing(conditions: readonly ConditionInput[], error: string, attempt: number): ConditionInput[] {
  const degraded: ConditionInput = {
    type: 'Degraded',
    status: 'True',
    reason: REPAIR_FAILING,
    message: `attempt ${attempt}: ${engineText(error, 1000)}`,
  };
  return [...conditions.filter((c) => c.type !== 'Degraded'), degraded];
}

/** The error a RepairFailing condition carries (without its attempt count), if it is one. */
export function repairFailingError(conditions: readonly Condition[] | undefined): string | undefined {
  const c = conditions?.find((x) => x.type === 'Degraded' && x.reason === REPAIR_FAILING && x.status === 'True');
  return c ? c.message.replace(/^attempt \d+: /, '') : undefined;
}
