import type { Condition, Resource } from './meta.js';

/** The condition of the given type (e.g. 'Ready') in a resource's status, if any. */
export function conditionOf(resource: Pick<Resource, 'status'> | undefined, type: string): Condition | undefined {
  return resource?.status?.conditions?.find((c) => c.type === type);
}
