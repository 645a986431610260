/**
 * What every part of the ResourceStore works with: the KV, the normalized prefix, the clock, the
 * objects journal every objects-key write goes through, and the retry/event/revision bounds. Built once
 * by ResourceStore; the modules next to this one take it as their first argument.
 */
import type { KvStore } from './kv.js';
import type { EventBounds } from './object-events.js';
import type { ObjectJournal } from './object-journal.js';

export interface StoreContext {
  readonly kv: KvStore;
  /** Normalized: ends with "/" or is ''. */
  readonly prefix: string;
  readonly now: () => Date;
  /** Attempts of the read-modify-CAS loops (finalizers, delete, events) before a Conflict error. */
  readonly attempts: number;
  readonly journal: ObjectJournal;
  readonly eventBounds: EventBounds;
  /** Most revisions kept per object (revisions.ts). */
  readonly revisionLimit: number;
}
