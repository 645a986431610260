/**
 * The stored side of events: one bounded JSON array per object under `<prefix>events/`, written
 * with read-modify-CAS loops (the pure merging and bounding is object-events.ts), read per
 * object, per kind or all, and swept of expired records and of keys whose object is gone.
 */
import type { StoreContext } from './store-context.js';
import { lostRace } from './object-cas.js';
import { addEvent, boundEvents, compareEvents, parseEvents, type EventInput, type ObjectEvent, type ObjectRef } from './object-events.js';
import { eventsKey, objectKey, parseKey, sectionPrefix } from './store-keys.js';

/** Appends an event (or counts a repeat) to the object's bounded list, retrying lost CAS races. */
export async function recordEvent(ctx: StoreContext, ref: ObjectRef, input: EventInput): Promise<ObjectEvent> {
  const key = eventsKey(ctx.prefix, ref.kind, ref.name);
  for (let attempt = 0; attempt < ctx.attempts * 2; attempt += 1) {
    const cur = await ctx.kv.get(key);
    const next = addEvent(parseEvents(cur?.value), ref, input, ctx.now(), ctx.eventBounds);
    if (await ctx.kv.cas(key, JSON.stringify(next), cur?.modifyIndex ?? 0)) return next[next.length - 1]!;
  }
  throw lostRace(ref.kind, ref.name, 'record an event for');
}

/** Events, oldest first; of one object, one kind, or all. Expired records are not shown. */
export async function listEvents(ctx: StoreContext, query: { kind?: string; name?: string } = {}): Promise<ObjectEvent[]> {
  let values: string[];
  if (query.kind !== undefined && query.name !== undefined) {
    const pair = await ctx.kv.get(eventsKey(ctx.prefix, query.kind, query.name));
    values = pair ? [pair.value] : [];
  } else {
    const listed = await ctx.kv.list(sectionPrefix(ctx.prefix, 'events', query.kind));
    values = listed.pairs
      .filter((p) => {
        const parsed = parseKey(ctx.prefix, p.key);
        return parsed !== undefined && (query.name === undefined || parsed.name === query.name);
      })
      .map((p) => p.value);
  }
  const now = ctx.now();
  return values.flatMap((v) => boundEvents(parseEvents(v), now, ctx.eventBounds)).sort(compareEvents);
}

/**
 * Drops expired event records and the event keys of objects that are gone once they hold no
 * fresh record. Returns the number of keys rewritten or deleted.
 */
export async function pruneEvents(ctx: StoreContext): Promise<number> {
  const [events, objects] = await Promise.all([
    ctx.kv.list(sectionPrefix(ctx.prefix, 'events')),
    ctx.kv.list(sectionPrefix(ctx.prefix, 'objects')),
  ]);
  const live = new Set(objects.pairs.map((p) => p.key));
  const now = ctx.now();
  let touched = 0;
  for (const pair of events.pairs) {
    const parsed = parseKey(ctx.prefix, pair.key);
    if (!parsed) continue;
    const all = parseEvents(pair.value);
    const kept = boundEvents(all, now, ctx.eventBounds);
    const gone = !live.has(objectKey(ctx.prefix, parsed.kind, parsed.name));
    if (kept.length === 0 && (gone || all.length > 0)) {
      if (await ctx.kv.delete(pair.key, { cas: pair.modifyIndex })) touched += 1;
    } else if (kept.length !== all.length) {
      if (await ctx.kv.cas(pair.key, JSON.stringify(kept), pair.modifyIndex)) touched += 1;
    }
  }
  return touched;
}
