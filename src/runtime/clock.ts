/**
 * Clock: time behind an interface so workqueue/watcher/election tests run on a fake clock
 * (fake-clock.ts) instead of real sleeps.
 */
export type ClockTimer = { readonly id: unknown };

export interface Clock {
  /** Milliseconds, monotonic enough for delays and durations. */
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => {
    const id = setTimeout(fn, Math.max(0, ms));
    // Timers must not keep the process alive after the manager stopped everything.
    id.unref?.();
    return { id };
  },
  clearTimeout: (timer) => clearTimeout(timer.id as NodeJS.Timeout),
};

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
