/**
 * Caps on what swarmop holds of an answer it did not choose the size of: event streams, exec and
 * helper output, netlink monitor lines, Consul agent answers. The far end is named by a document
 * (or is a process on a host), so without a cap one endless line or body grows the operator's heap
 * until it dies. Past its cap a reader stops reading and fails with OutputLimitError, which ends
 * that stream or call (the caller logs it and, for streams, dials again); nothing grows further.
 */
import { SwarmopError } from '../errors.js';

export class OutputLimitError extends SwarmopError {
  readonly limit: number;

  constructor(what: string, limit: number, unit = 'bytes') {
    super('Unavailable', `${what} over ${limit} ${unit}`);
    this.name = 'OutputLimitError';
    this.limit = limit;
  }
}

/** Collects chunks up to `maxBytes` in all; the chunk that would pass it throws instead. */
export class BoundedChunks {
  readonly #chunks: Buffer[] = [];
  readonly #maxBytes: number;
  readonly #what: string;
  #bytes = 0;

  constructor(options: { maxBytes: number; what: string }) {
    this.#maxBytes = options.maxBytes;
    this.#what = options.what;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(chunk: Buffer): void {
    if (this.#bytes + chunk.length > this.#maxBytes) throw new OutputLimitError(this.#what, this.#maxBytes);
    this.#bytes += chunk.length;
    this.#chunks.push(chunk);
  }

  buffer(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  text(): string {
    return this.buffer().toString('utf8');
  }
}

/**
 * A fetch Response's body as text, reading at most `maxBytes`: past that the body is cancelled
 * (the connection is dropped) and OutputLimitError thrown. Replaces `res.text()` for answers from
 * addresses a document names.
 */
export async function readBoundedText(res: Response, maxBytes: number, what: string): Promise<string> {
  if (!res.body) return '';
  const chunks = new BoundedChunks({ maxBytes, what });
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  }
  return chunks.text();
}
