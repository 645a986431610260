/**
 * The one polling helper of the tests, e2e specs and benchmarks: wait for a state, never for a
 * fixed time. A probe that throws counts as "not yet" (a host that is restarting refuses
 * connections for a while); on timeout the error says what was awaited and the last thing seen.
 */
import { SwarmopError } from '../../src/errors.js';

export interface WaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Pause between probes (default 250 ms). */
  intervalMs?: number;
  /** Checked before each probe: a reason means waiting longer is pointless (e.g. the process died). */
  stopIf?: () => string | undefined;
  /** Extra text for the timeout error (e.g. a process's last log lines). */
  context?: () => string;
}

type Pending = undefined | false | null;

/** Polls `probe` until it returns something other than undefined/false/null, and returns that. */
export async function eventually<T>(what: string, probe: () => Promise<T | Pending> | T | Pending, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const stop = options.stopIf?.();
    if (stop !== undefined) throw new SwarmopError('Unavailable', `${stop} while waiting for ${what}`);
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? `error: ${err.message}` : err;
    }
    if (Date.now() >= deadline) {
      const context = options.context ? `\n${options.context()}` : '';
      throw new SwarmopError(
        'Timeout',
        `timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}${context}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls the yes/no `probe` every `intervalMs` until it says yes (the unit tests' short form). */
export async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  await eventually(what, probe, { timeoutMs, intervalMs });
}

/** How long (ms) `probe` takes to say yes, polled every 50 ms unless told otherwise. */
export async function timeUntil(what: string, probe: () => Promise<boolean> | boolean, options: WaitOptions = {}): Promise<number> {
  const began = Date.now();
  await eventually(what, probe, { intervalMs: 50, ...options });
  return Date.now() - began;
}
