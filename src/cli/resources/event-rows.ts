/**
 * Events as the CLI shows them. The store keeps a bounded JSON array of events per object under
 * `<prefix>events/<plural>/<name>`; this turns the store's records into table rows.
 */
import type { StoreHandle } from '../program/cli-context.js';
import type { EventRow } from '../output/describe-printer.js';
import type { ObjectEvent } from '../../store/resource-store.js';

export function toEventRow(e: ObjectEvent): EventRow {
  return {
    type: e.type,
    reason: e.reason,
    message: e.message,
    lastTimestamp: e.lastTimestamp,
    count: e.count,
    object: `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`,
    ...(e.source ? { source: e.source } : {}),
  };
}

/** Oldest first, as kubectl lists them. */
export function sortEvents(rows: EventRow[]): EventRow[] {
  return rows.sort((a, b) => (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? ''));
}

export async function eventRowsFor(handle: StoreHandle, q: { kind?: string; name?: string }): Promise<EventRow[]> {
  const events = await handle.store.listEvents(q);
  return sortEvents(events.map(toEventRow));
}
