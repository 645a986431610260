/**
 * One object's line in the adoption report (`swarmop adopt --dry-run`): what its controller finds
 * on the hosts now and what it would do there, computed by the controller's own desired/observe/plan
 * code through read-only clients. Shared by the kinds' adoption modules and the CLI.
 */
import type { KindName } from '../crds/index.js';

/**
 * - adopt-as-is: the controller would take it over without changing what it carries (for an
 *   attachment: no restart, no address change; a take-over step such as renaming the host end of a
 *   pipework veth is listed);
 * - would-change: the controller would run the listed steps;
 * - blocked: the controller would refuse or wait, with the condition reason it would set;
 * - unreachable: the host's engine does not answer (or has no usable client);
 * - unobserved: something the controller looks at could not be seen without writing (e.g. no
 *   network helper on the host yet); the steps say what apply would install first;
 * - not-reported: the dry run does not assess this kind yet.
 */
export type AdoptionVerdict = 'adopt-as-is' | 'would-change' | 'blocked' | 'unreachable' | 'unobserved' | 'not-reported';

export const ADOPTION_VERDICTS: readonly AdoptionVerdict[] = [
  'adopt-as-is',
  'would-change',
  'blocked',
  'unreachable',
  'unobserved',
  'not-reported',
];

export interface AdoptionFinding {
  kind: KindName;
  name: string;
  /** The host the finding is about (absent for kinds that span hosts). */
  host?: string;
  verdict: AdoptionVerdict;
  /** The condition reason the controller would set (blocked, unreachable). */
  reason?: string;
  /** Why, in a sentence (blocked, unreachable, unobserved, not-reported). */
  message?: string;
  /** What is on the host now, one fact per entry. */
  found: string[];
  /** What the controller would do, in order. */
  steps: string[];
}
