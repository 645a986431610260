/**
 * ConcurrencyLimit: at most `max` holders at once, the others wait in arrival order. Shared by many
 * retry loops (e.g. every host's event stream) so that thousands of hosts that do not answer cost
 * `max` connection attempts in flight, not thousands.
 */
export class ConcurrencyLimit {
  readonly max: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`concurrency limit: max must be an integer >= 1, got ${max}`);
    this.max = max;
  }

  get active(): number {
    return this.#active;
  }

  /**
   * Resolves with a release function once a slot is free; with undefined (holding nothing) when
   * `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.#active < this.max) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.#active++;
        resolve(this.#releaser());
      };
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(grant);
        if (i >= 0) this.#waiting.splice(i, 1);
        resolve(undefined);
      };
      this.#waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#waiting.shift()?.();
    };
  }
}
