/**
 * Events as the CLI shows them. The store keeps a bounded JSON array of events per object under
 * `<prefix>events/<plural>/<name>`; this turns the store's records into table rows.
 */
import type { StoreHandle } from './cli-context.js';
import type { EventRow } from './describe-printer.js';

type StoredEvent = Awaited<ReturnType<StoreHandle['store']['listEvents']>>[number];

export function toEventRow(e: StoredEvent): EventRow {
  const rec = e as unknown as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const involved = (rec.involvedObject ?? rec.object ?? {}) as Record<string, unknown>;
  const kind = str(involved.kind) ?? str(rec.kind) ?? '';
  const name = str(involved.name) ?? str(rec.name) ?? '';
  const last = str(rec.lastTimestamp) ?? str(rec.timestamp) ?? str(rec.time) ?? str(rec.firstTimestamp);
  const row: EventRow = {
    type: str(rec.type) ?? 'Normal',
    reason: str(rec.reason) ?? '',
    message: str(rec.message) ?? '',
    object: `${kind.toLowerCase()}/${name}`,
  };
  if (last !== undefined) row.lastTimestamp = last;
  if (typeof rec.count === 'number') row.count = rec.count;
  return row;
}

/** Oldest first, as kubectl lists them. */
export function sortEvents(rows: EventRow[]): EventRow[] {
  return rows.sort((a, b) => (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? ''));
}

export async function eventRowsFor(handle: StoreHandle, q: { kind?: string; name?: string }): Promise<EventRow[]> {
  const events = await handle.store.listEvents(q);
  return sortEvents(events.map(toEventRow));
}
