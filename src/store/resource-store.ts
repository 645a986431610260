/**
 * ResourceStore: swarmop's objects on top of a KvStore, in the layout of store-keys.ts. A thin
 * facade; each concern lives in its own module:
 * - stored-document.ts: the objects key's JSON, decoding listings into validated objects;
 * - apply-plan.ts + apply-transactions.ts: `apply` validates and checks everything first, then
 *   writes /v1/txn batches of at most 64 operations, rolling earlier batches back with
 *   compensating CAS writes if a later one fails, so Consul never keeps half of an apply;
 * - object-update.ts: `update`, a compare-and-set on the document's resourceVersion;
 * - finalizers.ts: `delete` of an object with finalizers only sets deletionTimestamp; the object
 *   goes when its last finalizer is removed;
 * - status-writes.ts: status lives under its own key, so `apply` never writes it and a status
 *   write never touches the spec (`generation` moves only when the spec changes);
 * - event-log.ts: a bounded JSON array of events per object, repeats merged into a count;
 * - revisions.ts: the last specs of each object, written with every spec change.
 * `metadata.resourceVersion` is the ModifyIndex of the objects key and every write is a
 * compare-and-set on the index just read (create = index 0): a lost race is a Conflict error.
 * Every write of an objects key appends, in the same transaction, an entry to the objects journal
 * (object-journal.ts), so the operator's watcher fetches only what changed.
 */
import type { BaseStatus, Resource } from '../crds/meta.js';
import { SwarmopError } from '../errors.js';
import { planApply, type ApplyResult } from './apply-plan.js';
import type { PruneSelection } from './apply-prune.js';
import { writeAllOrNothing } from './apply-transactions.js';
import { listEvents, pruneEvents, recordEvent } from './event-log.js';
import { addFinalizer, deleteObject, removeFinalizer, type DeleteResult } from './finalizers.js';
import type { KvPair, KvStore } from './kv.js';
import type { EventInput, ObjectEvent, ObjectRef } from './object-events.js';
import { ObjectJournal } from './object-journal.js';
import { updateObject, type UpdateResult } from './object-update.js';
import { DEFAULT_REVISION_LIMIT, readRevisions, type Revision, type WriteAuthor } from './revisions.js';
import { readStatus, writeStatusWith, type StatusRead, type StatusWrite } from './status-writes.js';
import type { StoreContext } from './store-context.js';
import { eventsKey, normalizePrefix, objectKey, sectionPrefix, statusKey } from './store-keys.js';
import { decodeListing, decodeObject, parseJson, type DecodedObject } from './stored-document.js';

export interface ResourceStoreOptions {
  kv: KvStore;
  /** Key prefix; normalized to end with "/" (default "swarmop/"). */
  prefix?: string;
  now?: () => Date;
  /** Most events kept per object (default 50). */
  eventLimit?: number;
  /** Events older than this are dropped (default 1 hour, like Kubernetes). */
  eventMaxAgeMs?: number;
  /** Attempts of the read-modify-CAS loops (finalizers, delete, events) before a Conflict error. */
  casAttempts?: number;
  /** Ring size of the objects journal (default 128); readers further behind re-list. */
  journalSlots?: number;
  /** Revisions kept per object (default 10). */
  revisionLimit?: number;
}

export interface ApplyPreview {
  kind: string;
  name: string;
  /** The stored document (undefined: apply creates it). */
  before?: Resource;
  /** The document apply would store (undefined: a prune deletes it). */
  after?: Resource;
}

export interface ApplyOptions {
  /** Server-side dry run: every read and check, no write. */
  dryRun?: boolean;
  /** Apply as this field manager: three-way merge with its last-applied configuration (apply-merge.ts). */
  fieldManager?: string;
  /** With fieldManager: take over fields another manager applied instead of a Conflict. */
  forceConflicts?: boolean;
  /** Delete, in the same all-or-nothing write, the set's objects the documents do not declare. */
  prune?: PruneSelection;
}

export type { ApplyAction, ApplyResult } from './apply-plan.js';
export type { DeleteResult } from './finalizers.js';
export type { Revision, WriteAuthor } from './revisions.js';
export type { PruneSelection } from './apply-prune.js';
export type { DecodedObject } from './stored-document.js';
export type { StatusRead } from './status-writes.js';
export type { ObjectEvent, ObjectRef, EventInput } from './object-events.js';

export class ResourceStore {
  readonly prefix: string;
  readonly #ctx: StoreContext;

  constructor(options: ResourceStoreOptions) {
    this.prefix = normalizePrefix(options.prefix);
    this.#ctx = {
      kv: options.kv,
      prefix: this.prefix,
      now: options.now ?? (() => new Date()),
      attempts: options.casAttempts ?? 8,
      journal: new ObjectJournal({ kv: options.kv, prefix: this.prefix, slots: options.journalSlots }),
      eventBounds: { limit: options.eventLimit ?? 50, maxAgeMs: options.eventMaxAgeMs ?? 3_600_000 },
      revisionLimit: options.revisionLimit ?? DEFAULT_REVISION_LIMIT,
    };
  }

  objectKey(kind: string, name: string): string {
    return objectKey(this.prefix, kind, name);
  }

  statusKey(kind: string, name: string): string {
    return statusKey(this.prefix, kind, name);
  }

  eventsKey(kind: string, name: string): string {
    return eventsKey(this.prefix, kind, name);
  }

  /** The object with its status; undefined when it does not exist; 'Invalid' when its stored document is. */
  async get(kind: string, name: string): Promise<Resource | undefined> {
    const { kv } = this.#ctx;
    const [obj, st] = await Promise.all([kv.get(this.objectKey(kind, name)), kv.get(this.statusKey(kind, name))]);
    if (!obj) return undefined;
    const decoded = decodeObject(kind, name, obj, st);
    if (!decoded.resource) {
      throw new SwarmopError('Invalid', `${kind}/${name} is stored with an invalid document at ${decoded.key}`, {
        details: decoded.errors,
      });
    }
    return decoded.resource;
  }

  /**
   * The stored status alone (one read of the status key; the objects key is neither read nor
   * validated again), with the index a later `updateStatusWith(..., read)` is conditional on.
   */
  async readStatus(kind: string, name: string): Promise<StatusRead> {
    return readStatus(this.#ctx, kind, name);
  }

  /** Valid objects of one kind, sorted by name (invalid ones are visible through decode). */
  async list(kind: string, options: { labelSelector?: Record<string, string> } = {}): Promise<Resource[]> {
    const selector = options.labelSelector ?? {};
    return (await this.#listValid(kind)).filter((r) => Object.entries(selector).every(([k, v]) => r.metadata.labels?.[k] === v));
  }

  /** Every valid object of every kind, in kind order then by name. */
  async listAll(): Promise<Resource[]> {
    return this.#listValid(undefined);
  }

  /**
   * Turns a raw recursive listing of the prefix (e.g. a watcher's snapshot) into objects, in kind
   * order then by name. Status and event keys without an objects key are skipped.
   */
  decode(pairs: readonly KvPair[]): DecodedObject[] {
    return decodeListing(this.prefix, pairs);
  }

  /**
   * Creates or updates the objects (spec, labels, annotations); never writes status. All documents
   * are validated and checked before the first write; see the module comment for atomicity.
   */
  async apply(resources: readonly Resource[], options: ApplyOptions = {}): Promise<ApplyResult[]> {
    const managed =
      options.fieldManager !== undefined ? { manager: options.fieldManager, forceConflicts: options.forceConflicts ?? false } : undefined;
    const { results, writes } = await planApply(this.#ctx, resources, {
      ...(managed ? { managed } : {}),
      ...(options.prune ? { prune: options.prune } : {}),
    });
    if (options.dryRun || writes.length === 0) return results;
    await writeAllOrNothing(this.#ctx, writes);
    return results;
  }

  /**
   * What apply would write, without writing: per object written (created, configured, pruned)
   * its stored document before and after, as parsed JSON (after undefined = deleted). `diff`
   * shows these, so it shows exactly what apply would do.
   */
  async previewApply(resources: readonly Resource[], options: Omit<ApplyOptions, 'dryRun'> = {}): Promise<ApplyPreview[]> {
    const managed =
      options.fieldManager !== undefined ? { manager: options.fieldManager, forceConflicts: options.forceConflicts ?? false } : undefined;
    const { writes } = await planApply(this.#ctx, resources, {
      ...(managed ? { managed } : {}),
      ...(options.prune ? { prune: options.prune } : {}),
    });
    return writes
      .filter((w) => !w.unjournaled)
      .map((w) => ({
        kind: w.kind,
        name: w.name,
        ...(w.previous !== undefined ? { before: parseJson(w.previous) as Resource } : {}),
        ...(w.verb === undefined ? { after: parseJson(w.value) as Resource } : {}),
      }));
  }

  /**
   * Replaces what a user may change of one existing object (spec, labels, annotations and
   * finalizers), compare-and-set on `metadata.resourceVersion` (which the document must carry).
   * Removing the last finalizer of an object being deleted deletes it. Status is never written.
   */
  async update(resource: Resource, author?: WriteAuthor): Promise<UpdateResult> {
    return updateObject(this.#ctx, resource, author);
  }

  /** The object's recorded specs, oldest first (revisions.ts); [] when none. */
  async revisions(kind: string, name: string): Promise<Revision[]> {
    return readRevisions(this.#ctx, kind, name);
  }

  /** Deletes the object, or marks it terminating while finalizers remain. Events are kept. */
  async delete(kind: string, name: string): Promise<DeleteResult> {
    return deleteObject(this.#ctx, kind, name);
  }

  /**
   * Writes status when it differs from the stored one (deep equality); false when nothing was
   * written. Conflict when someone else wrote the status since it was read here; NotFound when
   * the object is gone (so no orphan status is left behind).
   */
  async updateStatus(resource: Pick<Resource, 'kind' | 'metadata'>, status: object): Promise<boolean> {
    return (await writeStatusWith(this.#ctx, resource, () => status)).written;
  }

  /**
   * Like updateStatus, but the new status is built from the stored one read in the same call
   * (so condition transition times are kept against what is really stored, not a cached copy).
   * A stored status that is not a JSON object counts as none. Returns what was built and whether
   * it was written.
   */
  async updateStatusWith<S extends object>(
    resource: Pick<Resource, 'kind' | 'metadata'>,
    build: (previous: BaseStatus | undefined) => S,
    /** The status as the caller read it (readStatus): the write is then conditional on that read. */
    read?: StatusRead,
  ): Promise<StatusWrite<S>> {
    return writeStatusWith(this.#ctx, resource, build, read);
  }

  /** Adds a finalizer (idempotent: false when already there). Refused on an object being deleted. */
  async addFinalizer(kind: string, name: string, finalizer: string): Promise<boolean> {
    return addFinalizer(this.#ctx, kind, name, finalizer);
  }

  /**
   * Removes a finalizer (false when absent or the object is gone). Removing the last one of an
   * object being deleted deletes its objects and status keys.
   */
  async removeFinalizer(kind: string, name: string, finalizer: string): Promise<boolean> {
    return removeFinalizer(this.#ctx, kind, name, finalizer);
  }

  /** Appends an event (or counts a repeat) to the object's bounded list, retrying lost CAS races. */
  async recordEvent(ref: ObjectRef, input: EventInput): Promise<ObjectEvent> {
    return recordEvent(this.#ctx, ref, input);
  }

  /** Events, oldest first; of one object, one kind, or all. Expired records are not shown. */
  async listEvents(query: { kind?: string; name?: string } = {}): Promise<ObjectEvent[]> {
    return listEvents(this.#ctx, query);
  }

  /**
   * Drops expired event records and the event keys of objects that are gone once they hold no
   * fresh record. Returns the number of keys rewritten or deleted. Meant for a periodic sweep.
   */
  async pruneEvents(): Promise<number> {
    return pruneEvents(this.#ctx);
  }

  async #listValid(kind: string | undefined): Promise<Resource[]> {
    const { kv } = this.#ctx;
    const [objs, sts] = await Promise.all([
      kv.list(sectionPrefix(this.prefix, 'objects', kind)),
      kv.list(sectionPrefix(this.prefix, 'status', kind)),
    ]);
    return this.decode([...objs.pairs, ...sts.pairs]).flatMap((d) => (d.resource ? [d.resource] : []));
  }
}
