/**
 * Consul blocking queries over one key prefix as an async iterator of snapshots, for the CLI's
 * watches (`get -w`, `events -w`, `wait`). Yields the first answer at once, then one snapshot per
 * index change; an index that goes backwards (Consul restored or restarted) restarts from 0.
 * Ends quietly when the signal aborts.
 */
import type { KvListResult, KvStore } from '../../store/kv.js';

export interface KvWatchOptions {
  signal: AbortSignal;
  /** Longest single blocking query (Consul duration); kept short so deadlines are honoured. */
  wait?: string;
}

export async function* watchPrefix(kv: KvStore, prefix: string, options: KvWatchOptions): AsyncGenerator<KvListResult> {
  let index = 0;
  while (!options.signal.aborted) {
    let result: KvListResult | undefined;
    try {
      const query = kv.list(prefix, { ...(index > 0 ? { index, wait: options.wait ?? '30s' } : {}), signal: options.signal });
      // Race the abort too, in case a KvStore implementation does not honour the signal.
      query.catch(() => {});
      result = await Promise.race([query, aborted(options.signal).then(() => undefined)]);
    } catch (err) {
      if (options.signal.aborted) return;
      throw err;
    }
    if (result === undefined || options.signal.aborted) return;
    if (result.index < index) {
      index = 0;
      continue;
    }
    if (index === 0 || result.index > index) {
      index = Math.max(result.index, 1);
      yield result;
    }
  }
}

/** Resolves when the signal aborts (for racing a blocking call against a deadline). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
