/**
 * Writes straight into a real Consul's KV over its HTTP API, past the CLI and the store (as a person
 * with curl and a token for the prefix would): the hostile-documents suites' only way in.
 */
import assert from 'node:assert/strict';

export interface RawKv {
  /** One key; a string is written as it is, anything else as JSON. */
  put(key: string, value: unknown): Promise<void>;
  /** Several keys in one transaction (one watch wake, like the operator's own journaled writes). */
  putTxn(values: Record<string, unknown>): Promise<void>;
}

export function rawKv(httpAddr: string): RawKv {
  return {
    async put(key, value) {
      const res = await fetch(`${httpAddr}/v1/kv/${key}`, {
        method: 'PUT',
        body: typeof value === 'string' ? value : JSON.stringify(value),
      });
      assert.equal(res.status, 200, `PUT ${key}: ${await res.text()}`);
    },
    async putTxn(values) {
      const ops = Object.entries(values).map(([Key, v]) => ({
        KV: { Verb: 'set', Key, Value: Buffer.from(JSON.stringify(v)).toString('base64') },
      }));
      const res = await fetch(`${httpAddr}/v1/txn`, { method: 'PUT', body: JSON.stringify(ops) });
      assert.equal(res.status, 200, `txn: ${await res.text()}`);
    },
  };
}

/** Metadata a hand-written document carries: a fixed uid (the store would set one) and generation 1. */
export const handWrittenMeta = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  uid: `uid-${name}`,
  generation: 1,
  creationTimestamp: '2026-01-01T00:00:00Z',
  ...extra,
});

export interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}
