/**
 * What `swarmop wait --for=...` waits for, and the pure check of one observed object against it.
 * A condition only counts when it describes the current spec: its observedGeneration (or the
 * status's, when the condition has none) must not be older than metadata.generation.
 */
import type { Resource } from '../../crds/meta.js';
import { SwarmopError } from '../../errors.js';

export type WaitFor = { type: 'condition'; condition: string; status: string } | { type: 'delete' };

export function parseWaitFor(text: string): WaitFor {
  if (text === 'delete') return { type: 'delete' };
  const m = /^condition=([A-Za-z][A-Za-z0-9_.-]*)(?:=(.+))?$/.exec(text);
  if (!m) {
    throw new SwarmopError('Invalid', `invalid --for "${text}": use --for=condition=NAME[=VALUE] or --for=delete`);
  }
  const raw = m[2] ?? 'True';
  // Kubernetes condition statuses are capitalised; accept `true`/`false` from users as kubectl does.
  const status = /^(true|false|unknown)$/i.test(raw) ? raw[0]!.toUpperCase() + raw.slice(1).toLowerCase() : raw;
  return { type: 'condition', condition: m[1] ?? '', status };
}

export function describeWaitFor(f: WaitFor): string {
  return f.type === 'delete' ? 'deletion' : `condition ${f.condition}=${f.status}`;
}

/** True when `obj` (undefined = does not exist) satisfies the wait. */
export function waitSatisfied(f: WaitFor, obj: Resource | undefined): boolean {
  if (f.type === 'delete') return obj === undefined;
  if (obj === undefined) return false;
  const cond = obj.status?.conditions?.find((c) => c.type === f.condition);
  if (!cond || cond.status !== f.status) return false;
  const generation = obj.metadata.generation;
  const observed = cond.observedGeneration ?? obj.status?.observedGeneration;
  if (generation !== undefined && (observed === undefined || observed < generation)) return false;
  return true;
}
