/**
 * Splits writes into Consul transactions. Consul 1.8 limits a transaction twice: at most 64
 * operations, and a request body of at most 512 KiB (txn_max_req_len) in which every value is
 * base64-encoded. Counting operations alone sends a 413 as soon as a few documents are large.
 */
import { MAX_TXN_OPS } from './kv.js';

/** Consul 1.8's default txn_max_req_len. */
export const TXN_MAX_REQUEST_BYTES = 512 * 1024;
/** What we allow ourselves per request, leaving room for Consul's own accounting. */
export const TXN_BODY_BUDGET = TXN_MAX_REQUEST_BYTES - 16 * 1024;

/** Estimated bytes one KV operation adds to a /v1/txn request body. */
export function txnOpBytes(key: string, value: string | undefined): number {
  const valueBytes = value === undefined ? 0 : Buffer.byteLength(value, 'utf8');
  return 96 + Buffer.byteLength(key, 'utf8') + Math.ceil(valueBytes / 3) * 4;
}

/** Room a batch must leave for operations the caller adds to every transaction (e.g. the journal). */
export interface TxnReserve {
  ops: number;
  bytes: number;
}

export function txnBatches<T>(items: readonly T[], sizeOf: (item: T) => number, reserve: TxnReserve = { ops: 0, bytes: 0 }): T[][] {
  const maxOps = MAX_TXN_OPS - reserve.ops;
  const budget = TXN_BODY_BUDGET - reserve.bytes;
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxOps || bytes + size > budget)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
