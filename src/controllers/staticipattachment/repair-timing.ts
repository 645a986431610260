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

/** The latest container event per host/container, bounded (oldest forgotten first). */
export class RecentContainerEvents {
  readonly #max: number;
  readonly #notes = new Map<string, ContainerEventNote>();

  constructor(options: { max?: number } = {}) {
    this.#max = options.max ?? 10_000;
  }

  note(host: string, container: string, note: ContainerEventNote): void {
    const key = `${host}/${container}`;
    this.#notes.delete(key);
    this.#notes.set(key, note);
    if (this.#notes.size > this.#max) this.#notes.delete(this.#notes.keys().next().value!);
  }

  get(host: string, container: string): ContainerEventNote | undefined {
    return this.#notes.get(`${host}/${container}`);
  }

  forget(host: string, container: string): void {
    this.#notes.delete(`${host}/${container}`);
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
   * Log fields: each phase's duration (`<phase>Ms`, from the previous mark), and, when a container
   * event preceded this reconcile, how long after the event the operator received it and started.
   */
  fields(event?: ContainerEventNote): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    let prev = this.startedMs;
    for (const [phase, at] of this.#marks) {
      out[`${phase}Ms`] = round(at - prev);
      prev = at;
    }
    if (event && event.receivedMs <= this.startedMs) {
      out.event = event.action;
      out.eventToStartMs = round(this.startedMs - event.receivedMs);
      if (event.engineMs !== undefined) {
        out.eventEngineMs = round(event.engineMs);
        out.engineToReceivedMs = round(event.receivedMs - event.engineMs);
      }
    }
    return out;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
