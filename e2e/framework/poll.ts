/**
 * Polling with a deadline, never fixed sleeps: e2e specs wait for a state, not for a time.
 * On timeout the error says what was awaited and the last thing seen.
 */
export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  options: PollOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false && v !== null) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Measures how long `probe` takes to become truthy (ms), polling fast. */
export async function timeUntil(what: string, probe: () => Promise<boolean> | boolean, options: PollOptions = {}): Promise<number> {
  const began = Date.now();
  await eventually(what, async () => ((await probe()) ? true : undefined), { intervalMs: 50, ...options });
  return Date.now() - began;
}
