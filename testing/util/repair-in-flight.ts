/**
 * Reads an operator's JSON log (OperatorProcess.lines of one run that ended in a kill) for repairs
 * the kill cut short: a reconcile that logged `applying plan` and then nothing that ends it. The
 * log order is the proof; a failed `docker exec` or a reconcile that failed on its own is not one.
 */
import type { LogLine } from '../harness/operator-process.js';

/** Lines that end a reconcile after its plan was applied (`reconcile done` is logged at debug). */
const ENDS = [
  'drift repaired',
  'reconcile done',
  'reconcile failed, will retry',
  'reconcile failed, not retrying until the object changes',
];

/** The reconcile ids whose `applying plan` (for `host`) has no ending line after it in `lines`. */
export function repairsInFlight(lines: readonly LogLine[], host: string): string[] {
  const open = new Map<string, number>();
  lines.forEach((l, i) => {
    const id = l['reconcileId'];
    if (typeof id !== 'string') return;
    if (l.message === 'applying plan' && l['host'] === host) open.set(id, i);
    else if (ENDS.includes(String(l.message))) open.delete(id);
  });
  return [...open.keys()];
}
