/**
 * Errors a KvStore raises beyond plain SwarmopError: a transaction that was rolled back says
 * which keys failed, so callers (ResourceStore) can name the conflicting object.
 */
import { SwarmopError } from '../errors.js';

export interface TxnFailure {
  /** Position of the failing operation in the transaction. */
  opIndex: number;
  key: string;
  /** Consul's reason, e.g. `failed to set key "x", index is stale`. */
  what: string;
}

export class KvTxnConflictError extends SwarmopError {
  readonly failures: readonly TxnFailure[];

  constructor(failures: readonly TxnFailure[]) {
    const keys = [...new Set(failures.map((f) => f.key))];
    super('Conflict', `transaction rolled back: conflict on ${keys.join(', ')}`, {
      details: failures.map((f) => `${f.key}: ${f.what}`),
    });
    this.failures = failures;
  }

  get keys(): string[] {
    return [...new Set(this.failures.map((f) => f.key))];
  }
}

export function isTxnConflict(err: unknown): err is KvTxnConflictError {
  return err instanceof KvTxnConflictError;
}
