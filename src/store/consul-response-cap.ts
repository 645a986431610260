/**
 * Caps on what the store's Consul may answer. A Consul (or whatever answers on its address) can
 * send any number of bytes, and the client would hold them all in memory before decoding: every
 * answer is cut off at `maxAnswerBytes` (16 MiB by default: a list of the whole prefix), and
 * every value read at `maxValueBytes` (512 KiB, Consul's own default kv_max_value_size). The
 * errors name the key or prefix; never the token.
 */
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { SwarmopError } from '../errors.js';

export const DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_VALUE_BYTES = 512 * 1024;

/** Raised on the request when its answer passed the cap; consul-kv.ts names the key. */
export class AnswerTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`answer over ${limit} bytes`);
    this.name = 'AnswerTooLargeError';
    this.limit = limit;
  }
}

/** "16 MiB", "512 KiB", "100 bytes". */
export function byteSize(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * Makes every request through `agent` fail with AnswerTooLargeError once its answer's body passes
 * `maxBytes` (by Content-Length up front, or while it streams). The client (papi) learns of it as
 * a request error, so its promise rejects at once instead of waiting for the end of the body.
 */
export function capAnswers<A extends Agent>(agent: A, maxBytes: number): A {
  const a = agent as unknown as { addRequest(req: ClientRequest, options: unknown): void };
  const addRequest = a.addRequest.bind(agent);
  a.addRequest = (req: ClientRequest, options: unknown): void => {
    req.prependListener('response', (res: IncomingMessage) => {
      let seen = 0;
      let failed = false;
      const fail = (): void => {
        if (failed) return;
        failed = true;
        res.on('error', () => undefined);
        req.emit('error', new AnswerTooLargeError(maxBytes));
        req.destroy();
      };
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) return fail();
      res.prependListener('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > maxBytes) fail();
      });
    });
    addRequest(req, options);
  };
  return agent;
}

/** The error for an answer over the cap: which read, which key. */
export function answerTooLarge(address: string, what: string, subject: string, limit: number): SwarmopError {
  return new SwarmopError(
    'Unavailable',
    `Consul at ${address} answered the ${what} of ${subject} with more than ${byteSize(limit)}: refused (the store's answers are capped; is this the store's Consul?)`,
  );
}

/** Throws when a value read from the store is larger than `maxValueBytes`. */
export function checkValueSize(address: string, key: string, value: string, maxValueBytes: number): void {
  const size = Buffer.byteLength(value, 'utf8');
  if (size > maxValueBytes) {
    throw new SwarmopError(
      'Unavailable',
      `Consul at ${address}: the value of ${key} is ${size} bytes, over the cap of ${byteSize(maxValueBytes)} per value: refused`,
    );
  }
}
