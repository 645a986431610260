/**
 * Where a repair's time goes, on the operator's clock: from the engine's container event (its own
 * timestamp and when the operator received it) through each phase of the reconcile that repaired it.
 * One `plan applied` line per repair carries the figures, so a benchmark (or a person reading the
 * log) can tell queueing from inspect, observe and apply time without a debugger.
 */

/** Wall-clock milliseconds with sub-millisecond precision (comparable with the engine's timeNano on the same machine). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface ContainerEventNote {
  action: string;
  /** The engine's own time of the event (timeNano), in ms; undefined when the event had none. */
  engineMs?: number;
  /** When the operator received it. */
  receivedMs: number;
}

/** What a prefetch gave: its value, or nothing usable (it failed). */
export type Prefetched<T> = { ok: true; value: T } | { ok: false };

interface Entry<T> {
  note: ContainerEventNote;
  prefetch?: Promise<Prefetched<T>>;
}

/**
 * The latest container event per host/container, bounded (oldest forgotten first), with an
 * optional prefetch started when the event arrived (a `start` event's inspect: the new PID is
 * known by the time a worker takes the key, instead of being asked for then).
 * A `restart` event that follows a `start` of the same container within `restartWithinMs` is the
 * same restart: the `start` note (the earlier clock) and its prefetch stay. Any other event
 * replaces the note and drops a prefetch that was not taken yet.
 */
export class RecentContainerEvents<T = unknown> {
  readonly #max: number;
  readonly #restartWithinMs: number;
  readonly #entries = new Map<string, Entry<T>>();

  constructor(options: { max?: number; restartWithinMs?: number } = {}) {
    this.#max = options.max ?? 10_000;
    this.#restartWithinMs = options.restartWithinMs ?? 2_000;
  }

  note(host: string, container: string, note: ContainerEventNote, prefetch?: () => Promise<T>): void {
    const key = `${host}/${container}`;
    const prev = this.#entries.get(key);
    if (note.action === 'restart' && prev?.note.action === 'start' && note.receivedMs - prev.note.receivedMs <= this.#restartWithinMs)
      return;
    this.#entries.delete(key);
    const entry: Entry<T> = { note };
    if (prefetch) {
      entry.prefetch = prefetch().then(
        (value): Prefetched<T> => ({ ok: true, value }),
        (): Prefetched<T> => ({ ok: false }),
      );
    }
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get(host: string, container: string): ContainerEventNote | undefined {
    return this.#entries.get(`${host}/${container}`)?.note;
  }

  /**
   * The prefetch of the latest event, once (a later reconcile asks the world again itself), and
   * only while the event is younger than `maxAgeMs`: a later change of the container would have
   * sent an event of its own, but a lost event must not leave an old answer in use.
   */
  takePrefetch(host: string, container: string, nowMs: number, maxAgeMs = 2_000): Promise<Prefetched<T>> | undefined {
    const e = this.#entries.get(`${host}/${container}`);
    const p = e?.prefetch;
    if (!e || !p) return undefined;
    delete e.prefetch;
    return nowMs - e.note.receivedMs <= maxAgeMs ? p : undefined;
  }

  forget(host: string, container: string): void {
    this.#entries.delete(`${host}/${container}`);
  }
}

/** Phase marks of one reconcile, relative to its start. */
export class PhaseClock {
  readonly startedMs: number;
  readonly #marks: [string, number][] = [];

  constructor(startedMs = epochMs()) {
    this.startedMs = startedMs;
  }

  mark(phase: string): void {
    this.#marks.push([phase, epochMs()]);
  }

  /**
   * Log fields, in the order things happened: when a container event came within `recentMs` of
   * this reconcile, how long after the event the operator received it and started (negative: the
   * run had begun before the event arrived, e.g. the one a `die` queued that found the container
   * running again); then each phase's duration (`<phase>Ms`, from the previous mark).
   */
  fields(event?: ContainerEventNote, recentMs = 60_000): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    if (event && event.receivedMs >= this.startedMs - recentMs) {
      out.event = event.action;
      if (event.engineMs !== undefined) {
        out.eventEngineMs = round(event.engineMs);
        out.engineToReceivedMs = round(event.receivedMs - event.engineMs);
      }
      out.eventToStartMs = round(this.startedMs - event.receivedMs);
    }
    let prev = this.startedMs;
    for (const [phase, at] of this.#marks) {
      out[`${phase}Ms`] = round(at - prev);
      prev = at;
    }
    return out;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
