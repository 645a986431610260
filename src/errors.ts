/**
 * The few typed errors swarmop raises. Every error a user can cause carries a `code`;
 * the CLI maps codes to exit codes in one place (src/cli/program/exit-codes.ts).
 */
export type ErrorCode =
  | 'Invalid' // input failed validation (manifest, flag, spec read from the store)
  | 'NotFound' // the named object does not exist
  | 'AlreadyExists' // create of an object that exists
  | 'Conflict' // compare-and-set lost: someone else wrote first
  | 'Unavailable' // Consul / a Docker host cannot be reached
  | 'Forbidden' // Consul ACL refused the token
  | 'Timeout' // a wait ran out of time
  | 'LeadershipLost' // this replica lost (or never held) the leader lock: it must not change anything
  | 'Internal'; // a bug: shown with its stack

export class SwarmopError extends Error {
  readonly code: ErrorCode;
  /** Extra lines shown under the message (e.g. one per validation error). */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options?: { details?: readonly string[]; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwarmopError';
    this.code = code;
    this.details = options?.details ?? [];
  }
}

export function isSwarmopError(err: unknown, code?: ErrorCode): err is SwarmopError {
  return err instanceof SwarmopError && (code === undefined || err.code === code);
}
