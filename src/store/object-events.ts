/**
 * Events kept per object, shaped like Kubernetes events: a repeat of the same type, reason,
 * message and source raises `count` and `lastTimestamp` instead of adding a record, and the
 * list is bounded by count and age. Pure functions; ResourceStore does the CAS writes.
 */
export type EventType = 'Normal' | 'Warning';

export interface ObjectRef {
  kind: string;
  name: string;
  uid?: string;
}

export interface EventInput {
  type: EventType;
  /** One-word CamelCase reason, e.g. DriftRepaired. */
  reason: string;
  message: string;
  /** Who reported it, e.g. "staticipattachment-controller". */
  source: string;
}

export interface ObjectEvent extends EventInput {
  involvedObject: ObjectRef;
  count: number;
  /** RFC 3339. */
  firstTimestamp: string;
  lastTimestamp: string;
}

export interface EventBounds {
  /** Most records kept per object (oldest dropped first). */
  limit: number;
  /** Records whose lastTimestamp is older than this are dropped. */
  maxAgeMs: number;
}

/** Reads a stored events value; anything unreadable counts as no events (they are advisory). */
export function parseEvents(value: string | undefined): ObjectEvent[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter(isEvent) : [];
  } catch {
    return [];
  }
}

function isEvent(v: unknown): v is ObjectEvent {
  const e = v as Partial<ObjectEvent> | null;
  return !!e && typeof e === 'object' && typeof e.reason === 'string' && typeof e.lastTimestamp === 'string';
}

function sameEvent(a: EventInput, b: EventInput): boolean {
  return a.type === b.type && a.reason === b.reason && a.message === b.message && a.source === b.source;
}

/** Returns the new list, oldest first: the event merged into a repeat or appended, then bounded. */
export function addEvent(
  existing: readonly ObjectEvent[],
  ref: ObjectRef,
  input: EventInput,
  now: Date,
  bounds: EventBounds,
): ObjectEvent[] {
  const ts = now.toISOString();
  const involvedObject: ObjectRef = ref.uid === undefined ? { kind: ref.kind, name: ref.name } : { ...ref };
  const repeat = existing.find((e) => sameEvent(e, input) && e.involvedObject?.uid === involvedObject.uid);
  const rest = existing.filter((e) => e !== repeat);
  const merged: ObjectEvent = repeat
    ? { ...repeat, count: (repeat.count ?? 1) + 1, lastTimestamp: ts }
    : {
        involvedObject,
        type: input.type,
        reason: input.reason,
        message: input.message,
        source: input.source,
        count: 1,
        firstTimestamp: ts,
        lastTimestamp: ts,
      };
  return boundEvents([...rest, merged], now, bounds);
}

export function boundEvents(events: readonly ObjectEvent[], now: Date, bounds: EventBounds): ObjectEvent[] {
  const oldest = now.getTime() - bounds.maxAgeMs;
  const fresh = events.filter((e) => Date.parse(e.lastTimestamp) >= oldest);
  return fresh.slice(Math.max(0, fresh.length - bounds.limit));
}

export function compareEvents(a: ObjectEvent, b: ObjectEvent): number {
  return a.lastTimestamp.localeCompare(b.lastTimestamp) || a.firstTimestamp.localeCompare(b.firstTimestamp);
}
