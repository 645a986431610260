/**
 * The one place that decides the CLI's exit codes. Commands throw SwarmopError (or return one of
 * these codes); main() turns whatever happened into a number here and nowhere else.
 */
import type { ErrorCode } from '../../errors.js';
import { isSwarmopError } from '../../errors.js';

export const ExitCode = {
  Ok: 0,
  /** `diff` found a difference (nothing else exits 1, so scripts can trust it). */
  Failure: 1,
  /** Bad usage or invalid input (flags, manifests). */
  Usage: 2,
  NotFound: 3,
  Conflict: 4,
  /** Consul unreachable or the token was refused. */
  Unavailable: 5,
  Timeout: 6,
  /** A bug: an unexpected error (shown with its stack). Above 1, so `diff` errors never read as "different". */
  Internal: 7,
  /** `operator --leader-elect` lost its lock (the default is to exit; a supervisor restarts it as a standby). */
  LeadershipLost: 8,
  /** `adopt --dry-run`: at least one object is blocked (its controller would refuse or wait). */
  AdoptionBlocked: 9,
  /** `adopt --dry-run`: nothing blocked, but something was not seen (a host unreachable, no network helper yet, a kind not assessed). */
  AdoptionIncomplete: 10,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BY_ERROR_CODE: Record<ErrorCode, ExitCode> = {
  Invalid: ExitCode.Usage,
  NotFound: ExitCode.NotFound,
  AlreadyExists: ExitCode.Conflict,
  Conflict: ExitCode.Conflict,
  Unavailable: ExitCode.Unavailable,
  Forbidden: ExitCode.Unavailable,
  Timeout: ExitCode.Timeout,
  Internal: ExitCode.Internal,
  LeadershipLost: ExitCode.LeadershipLost,
};

export function exitCodeForError(err: unknown): ExitCode {
  return isSwarmopError(err) ? BY_ERROR_CODE[err.code] : ExitCode.Internal;
}

/** User errors are explained in one line; only bugs (Internal / unknown errors) show a stack. */
export function isUserError(err: unknown): boolean {
  return isSwarmopError(err) && err.code !== 'Internal';
}

/** Appended to `swarmop --help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success (diff: no difference)
  1  diff found a difference (and nothing else)
  2  invalid usage or invalid manifest
  3  not found
  4  conflict (someone else wrote first, or already exists)
  5  Consul unavailable or access forbidden
  6  timed out (wait, delete --wait)
  7  internal error (a bug; the message carries a stack)
  8  operator --leader-elect lost its leader lock (restart it: it comes back as a standby)
  9  adopt --dry-run: something is blocked (its controller would refuse it or wait)
  10 adopt --dry-run: nothing blocked, but not everything could be seen (unreachable, unobserved, not-reported)`;
