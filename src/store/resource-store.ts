/**
 * ResourceStore: swarmop's objects on top of a KvStore, in the layout of store-keys.ts.
 *
 * Semantics (Kubernetes' API server, trimmed):
 * - spec and status live under separate keys; `apply` never writes status and `updateStatus`
 *   never touches the spec, so `generation` moves only when the spec changes;
 * - `metadata.resourceVersion` is the ModifyIndex of the objects key, and every write is a
 *   compare-and-set on the index just read (create = index 0): a lost race is a Conflict error;
 * - `apply` validates everything first, writes in /v1/txn batches of at most 64 operations, and
 *   if a later batch fails it rolls the earlier ones back with compensating CAS writes, so Consul
 *   never keeps half of an apply;
 * - `delete` of an object with finalizers only sets deletionTimestamp; the object goes when its
 *   last finalizer is removed;
 * - events are a bounded JSON array per object, repeats merged into a count;
 * - every write of an objects key appends, in the same transaction, an entry to the objects
 *   journal (object-journal.ts), so the operator's watcher fetches only what changed.
 */
import { isDeepStrictEqual } from 'node:util';
import { KINDS, MAX_STORED_DOCUMENT_BYTES, storedSize, validateResource } from '../crds/index.js';
import type { BaseStatus, ObjectMeta, Resource } from '../crds/meta.js';
import { SwarmopError } from '../errors.js';
import { isTxnConflict } from './kv-errors.js';
import type { KvPair, KvStore, KvTxnOp } from './kv.js';
import { addEvent, boundEvents, compareEvents, parseEvents, type EventBounds, type EventInput, type ObjectEvent, type ObjectRef } from './object-events.js';
import { JOURNAL_FIXED_BYTES, JOURNAL_TXN_OPS, ObjectJournal, journalKeyBytes } from './object-journal.js';
import { txnBatches, txnOpBytes, type TxnReserve } from './txn-batches.js';
import { eventsKey, normalizePrefix, objectKey, parseKey, pluralOf, sectionPrefix, statusKey } from './store-keys.js';

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
}

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyResult {
  kind: string;
  name: string;
  action: ApplyAction;
}

export interface ApplyOptions {
  /** Server-side dry run: every read and check, no write. */
  dryRun?: boolean;
}

export type DeleteResult = 'deleted' | 'terminating' | 'notfound';

/** One object of a raw listing, valid or not (the operator marks invalid ones InvalidSpec). */
export interface DecodedObject {
  kind: string;
  name: string;
  /** The objects key. */
  key: string;
  /** The validated, defaulted object with status and resourceVersion; absent when errors is not empty. */
  resource?: Resource;
  /** Why the stored document is unusable, one line each ("spec.address: ..."). */
  errors: string[];
  /** ModifyIndex of the objects key (= resourceVersion). */
  specIndex: number;
  /** ModifyIndex of the status key, 0 when there is no status. */
  statusIndex: number;
}

/** A stored status as read, with the ModifyIndex of its key (0 when there is none). */
export interface StatusRead {
  status: BaseStatus | undefined;
  index: number;
}

export { type ObjectEvent, type ObjectRef, type EventInput } from './object-events.js';

/** What the objects key holds. */
interface StoredDoc {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
}

interface PlannedWrite {
  kind: string;
  name: string;
  key: string;
  value: string;
  /** Index the write is conditional on (0 = create). */
  index: number;
  /** Value before the write, for rollback; undefined for a create. */
  previous?: string;
}

interface DoneWrite extends PlannedWrite {
  newIndex: number;
}

/** Above this many documents, apply reads each kind with one list instead of one GET per object. */
const LIST_READ_THRESHOLD = 8;

/** Every objects-key transaction carries the journal's operations and its entry's fixed part. */
const JOURNAL_RESERVE: TxnReserve = { ops: JOURNAL_TXN_OPS, bytes: JOURNAL_FIXED_BYTES };

export class ResourceStore {
  readonly prefix: string;
  private readonly kv: KvStore;
  private readonly now: () => Date;
  private readonly bounds: EventBounds;
  private readonly attempts: number;
  private readonly journal: ObjectJournal;

  constructor(options: ResourceStoreOptions) {
    this.kv = options.kv;
    this.prefix = normalizePrefix(options.prefix);
    this.now = options.now ?? (() => new Date());
    this.bounds = { limit: options.eventLimit ?? 50, maxAgeMs: options.eventMaxAgeMs ?? 3_600_000 };
    this.attempts = options.casAttempts ?? 8;
    this.journal = new ObjectJournal({ kv: this.kv, prefix: this.prefix, slots: options.journalSlots });
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
    const [obj, st] = await Promise.all([this.kv.get(this.objectKey(kind, name)), this.kv.get(this.statusKey(kind, name))]);
    if (!obj) return undefined;
    const decoded = this.decodeOne(kind, name, obj, st);
    if (!decoded.resource) {
      throw new SwarmopError('Invalid', `${kind}/${name} is stored with an invalid document at ${decoded.key}`, { details: decoded.errors });
    }
    return decoded.resource;
  }

  /**
   * The stored status alone (one read of the status key; the objects key is neither read nor
   * validated again), with the index a later `updateStatusWith(..., read)` is conditional on.
   * A status that is not a JSON object counts as none.
   */
  async readStatus(kind: string, name: string): Promise<StatusRead> {
    const pair = await this.kv.get(this.statusKey(kind, name));
    const stored = pair ? parseJson(pair.value) : undefined;
    const status = stored !== null && typeof stored === 'object' && !Array.isArray(stored) ? (stored as BaseStatus) : undefined;
    return { status, index: pair?.modifyIndex ?? 0 };
  }

  /** Valid objects of one kind, sorted by name (invalid ones are visible through decode). */
  async list(kind: string, options: { labelSelector?: Record<string, string> } = {}): Promise<Resource[]> {
    const [objs, sts] = await Promise.all([
      this.kv.list(sectionPrefix(this.prefix, 'objects', kind)),
      this.kv.list(sectionPrefix(this.prefix, 'status', kind)),
    ]);
    const selector = options.labelSelector ?? {};
    return this.decode([...objs.pairs, ...sts.pairs])
      .flatMap((d) => (d.resource ? [d.resource] : []))
      .filter((r) => Object.entries(selector).every(([k, v]) => r.metadata.labels?.[k] === v));
  }

  /** Every valid object of every kind, in kind order then by name. */
  async listAll(): Promise<Resource[]> {
    const [objs, sts] = await Promise.all([
      this.kv.list(sectionPrefix(this.prefix, 'objects')),
      this.kv.list(sectionPrefix(this.prefix, 'status')),
    ]);
    return this.decode([...objs.pairs, ...sts.pairs]).flatMap((d) => (d.resource ? [d.resource] : []));
  }

  /**
   * Turns a raw recursive listing of the prefix (e.g. a watcher's snapshot) into objects, in kind
   * order then by name. Status and event keys without an objects key are skipped.
   */
  decode(pairs: readonly KvPair[]): DecodedObject[] {
    const groups = new Map<string, { kind: string; name: string; obj?: KvPair; st?: KvPair }>();
    for (const pair of pairs) {
      const parsed = parseKey(this.prefix, pair.key);
      if (!parsed || parsed.section === 'events') continue;
      const id = `${parsed.kind}/${parsed.name}`;
      const g = groups.get(id) ?? { kind: parsed.kind, name: parsed.name };
      if (parsed.section === 'objects') g.obj = pair;
      else g.st = pair;
      groups.set(id, g);
    }
    const order = (kind: string): number => KINDS.findIndex((k) => k.kind === kind);
    return [...groups.values()]
      .filter((g): g is typeof g & { obj: KvPair } => g.obj !== undefined)
      .sort((a, b) => order(a.kind) - order(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((g) => this.decodeOne(g.kind, g.name, g.obj, g.st));
  }

  /**
   * Creates or updates the objects (spec, labels, annotations); never writes status. All documents
   * are validated and checked before the first write; see the module comment for atomicity.
   */
  async apply(resources: readonly Resource[], options: ApplyOptions = {}): Promise<ApplyResult[]> {
    const incoming = this.validateForApply(resources);
    const current = await this.readCurrent(incoming);
    const now = this.now().toISOString();
    const results: ApplyResult[] = [];
    const writes: PlannedWrite[] = [];
    const conflicts: string[] = [];

    for (const r of incoming) {
      const { kind } = r;
      const { name } = r.metadata;
      const key = this.objectKey(kind, name);
      const cur = current.get(key);
      if (!cur) {
        const metadata: ObjectMeta = { name, ...userMeta(r.metadata), uid: crypto.randomUUID(), generation: 1, creationTimestamp: now };
        writes.push({ kind, name, key, value: serialize({ apiVersion: r.apiVersion, kind, metadata, spec: r.spec }), index: 0 });
        results.push({ kind, name, action: 'created' });
        continue;
      }
      const stored = parseStoredLoosely(cur.value);
      if (stored?.metadata?.deletionTimestamp) {
        conflicts.push(`${kind.toLowerCase()}/${name} is being deleted (since ${stored.metadata.deletionTimestamp}); apply it again once it is gone`);
        continue;
      }
      const expected = r.metadata.resourceVersion;
      if (expected !== undefined && expected !== String(cur.modifyIndex)) {
        conflicts.push(`${kind.toLowerCase()}/${name} has resourceVersion ${cur.modifyIndex}, the document was read at ${expected}`);
        continue;
      }
      const specChanged = !sameJson(stored?.spec, r.spec);
      const metaChanged = !sameJson(userMeta(stored?.metadata ?? { name }), userMeta(r.metadata));
      if (!specChanged && !metaChanged && stored?.apiVersion === r.apiVersion) {
        results.push({ kind, name, action: 'unchanged' });
        continue;
      }
      const old = stored?.metadata ?? { name };
      const generation = (typeof old.generation === 'number' ? old.generation : 0) + (specChanged ? 1 : 0);
      const metadata: ObjectMeta = {
        name,
        ...userMeta(r.metadata),
        uid: old.uid ?? crypto.randomUUID(),
        generation: Math.max(generation, 1),
        creationTimestamp: old.creationTimestamp ?? now,
        ...(old.finalizers && old.finalizers.length > 0 ? { finalizers: old.finalizers } : {}),
      };
      writes.push({
        kind,
        name,
        key,
        value: serialize({ apiVersion: r.apiVersion, kind, metadata, spec: r.spec }),
        index: cur.modifyIndex,
        previous: cur.value,
      });
      results.push({ kind, name, action: 'configured' });
    }

    if (conflicts.length > 0) {
      throw new SwarmopError('Conflict', conflicts.length === 1 ? conflicts[0]! : `${conflicts.length} objects cannot be applied`, {
        details: conflicts.length === 1 ? [] : conflicts,
      });
    }
    if (options.dryRun || writes.length === 0) return results;
    await this.writeAllOrNothing(writes);
    return results;
  }

  /**
   * Replaces what a user may change of one existing object (spec, labels, annotations and
   * finalizers, as kubectl edit/patch do), compare-and-set on `metadata.resourceVersion` (which
   * the document must carry). Removing the last finalizer of an object being deleted deletes it,
   * which is how a stuck finalizer is cleared when its controller is gone. Status is never written.
   */
  async update(resource: Resource): Promise<'configured' | 'unchanged' | 'deleted'> {
    const expected = resource.metadata?.resourceVersion;
    const finalizers: unknown = resource.metadata?.finalizers;
    if (finalizers !== undefined && (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string' || f === ''))) {
      throw new SwarmopError('Invalid', `${String(resource.kind)}/${String(resource.metadata?.name)}: metadata.finalizers must be a list of non-empty strings`);
    }
    const [r] = this.validateForApply([resource]);
    const { kind } = r!;
    const { name } = r!.metadata;
    if (expected === undefined) throw new SwarmopError('Invalid', `${kind.toLowerCase()}/${name}: metadata.resourceVersion is required for an update`);
    const key = this.objectKey(kind, name);
    const cur = await this.kv.get(key);
    if (!cur) throw new SwarmopError('NotFound', `${kind.toLowerCase()}/${name} not found`);
    if (String(cur.modifyIndex) !== expected) {
      throw new SwarmopError('Conflict', `${kind.toLowerCase()}/${name} has resourceVersion ${cur.modifyIndex}, the document was read at ${expected}`);
    }
    const stored = this.parseStoredStrict(kind, name, cur);
    const old = stored.metadata;
    const wanted = [...new Set((finalizers as string[] | undefined) ?? [])];
    if (wanted.length === 0 && old.deletionTimestamp) {
      if (await this.removeKeys(kind, name, cur.modifyIndex)) return 'deleted';
      throw new SwarmopError('Conflict', `${kind.toLowerCase()}/${name} was changed by someone else meanwhile`);
    }
    const specChanged = !sameJson(stored.spec, r!.spec);
    const metadata: ObjectMeta = {
      name,
      ...userMeta(r!.metadata),
      uid: old.uid ?? crypto.randomUUID(),
      generation: Math.max((typeof old.generation === 'number' ? old.generation : 0) + (specChanged ? 1 : 0), 1),
      creationTimestamp: old.creationTimestamp ?? this.now().toISOString(),
      ...(old.deletionTimestamp ? { deletionTimestamp: old.deletionTimestamp } : {}),
      ...(wanted.length > 0 ? { finalizers: wanted } : {}),
    };
    const next = { apiVersion: r!.apiVersion, kind, metadata, spec: r!.spec };
    if (sameJson(JSON.parse(serialize(next)), JSON.parse(serialize({ ...stored, metadata: { ...old } })))) return 'unchanged';
    if (await this.casObject(key, serialize(next), cur.modifyIndex)) return 'configured';
    throw new SwarmopError('Conflict', `${kind.toLowerCase()}/${name} was changed by someone else meanwhile`);
  }

  /** Deletes the object, or marks it terminating while finalizers remain. Events are kept. */
  async delete(kind: string, name: string): Promise<DeleteResult> {
    const key = this.objectKey(kind, name);
    for (let attempt = 0; attempt < this.attempts; attempt += 1) {
      const cur = await this.kv.get(key);
      if (!cur) return 'notfound';
      const doc = parseStoredLoosely(cur.value);
      if (doc && (doc.metadata.finalizers?.length ?? 0) > 0) {
        if (doc.metadata.deletionTimestamp) return 'terminating';
        doc.metadata.deletionTimestamp = this.now().toISOString();
        if (await this.casObject(key, serialize(doc), cur.modifyIndex)) return 'terminating';
        continue;
      }
      if (await this.removeKeys(kind, name, cur.modifyIndex)) return 'deleted';
    }
    throw lostRace(kind, name, 'delete');
  }

  /**
   * Writes status when it differs from the stored one (deep equality); false when nothing was
   * written. Conflict when someone else wrote the status since it was read here; NotFound when
   * the object is gone (so no orphan status is left behind).
   */
  async updateStatus(resource: Pick<Resource, 'kind' | 'metadata'>, status: object): Promise<boolean> {
    return (await this.updateStatusWith(resource, () => status)).written;
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
    /**
     * The status as the caller read it (readStatus) instead of a read here: the write is then
     * conditional on that read, so a status written since fails with Conflict, never lost.
     */
    read?: StatusRead,
  ): Promise<{ written: boolean; previous: BaseStatus | undefined; status: S }> {
    const { kind } = resource;
    const { name } = resource.metadata;
    const sKey = this.statusKey(kind, name);
    const oKey = this.objectKey(kind, name);
    const { status: previous, index } = read ?? (await this.readStatus(kind, name));
    const status = build(previous);
    if (index > 0 && sameJson(previous, status)) return { written: false, previous, status };
    try {
      await this.kv.txn([
        { verb: 'get', key: oKey },
        { verb: 'cas', key: sKey, value: JSON.stringify(status), index },
      ]);
    } catch (err) {
      if (!isTxnConflict(err)) throw err;
      if (err.keys.includes(oKey)) throw new SwarmopError('NotFound', `${kind.toLowerCase()}/${name} no longer exists; status not written`);
      throw new SwarmopError('Conflict', `status of ${kind.toLowerCase()}/${name} was written by someone else since it was read`);
    }
    return { written: true, previous, status };
  }

  /** Adds a finalizer (idempotent: false when already there). Refused on an object being deleted. */
  async addFinalizer(kind: string, name: string, finalizer: string): Promise<boolean> {
    const key = this.objectKey(kind, name);
    for (let attempt = 0; attempt < this.attempts; attempt += 1) {
      const cur = await this.kv.get(key);
      if (!cur) throw new SwarmopError('NotFound', `${kind.toLowerCase()}/${name} not found`);
      const doc = this.parseStoredStrict(kind, name, cur);
      const finalizers = doc.metadata.finalizers ?? [];
      if (finalizers.includes(finalizer)) return false;
      if (doc.metadata.deletionTimestamp) {
        throw new SwarmopError('Conflict', `${kind.toLowerCase()}/${name} is being deleted; no finalizer can be added`);
      }
      doc.metadata.finalizers = [...finalizers, finalizer];
      if (await this.casObject(key, serialize(doc), cur.modifyIndex)) return true;
    }
    throw lostRace(kind, name, 'add finalizer to');
  }

  /**
   * Removes a finalizer (false when absent or the object is gone). Removing the last one of an
   * object being deleted deletes its objects and status keys.
   */
  async removeFinalizer(kind: string, name: string, finalizer: string): Promise<boolean> {
    const key = this.objectKey(kind, name);
    for (let attempt = 0; attempt < this.attempts; attempt += 1) {
      const cur = await this.kv.get(key);
      if (!cur) return false;
      const doc = this.parseStoredStrict(kind, name, cur);
      const finalizers = doc.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return false;
      const rest = finalizers.filter((f) => f !== finalizer);
      if (rest.length === 0 && doc.metadata.deletionTimestamp) {
        if (await this.removeKeys(kind, name, cur.modifyIndex)) return true;
        continue;
      }
      if (rest.length > 0) doc.metadata.finalizers = rest;
      else delete doc.metadata.finalizers;
      if (await this.casObject(key, serialize(doc), cur.modifyIndex)) return true;
    }
    throw lostRace(kind, name, 'remove finalizer from');
  }

  /** Appends an event (or counts a repeat) to the object's bounded list, retrying lost CAS races. */
  async recordEvent(ref: ObjectRef, input: EventInput): Promise<ObjectEvent> {
    const key = this.eventsKey(ref.kind, ref.name);
    for (let attempt = 0; attempt < this.attempts * 2; attempt += 1) {
      const cur = await this.kv.get(key);
      const next = addEvent(parseEvents(cur?.value), ref, input, this.now(), this.bounds);
      if (await this.kv.cas(key, JSON.stringify(next), cur?.modifyIndex ?? 0)) return next[next.length - 1]!;
    }
    throw lostRace(ref.kind, ref.name, 'record an event for');
  }

  /** Events, oldest first; of one object, one kind, or all. Expired records are not shown. */
  async listEvents(query: { kind?: string; name?: string } = {}): Promise<ObjectEvent[]> {
    let values: string[];
    if (query.kind !== undefined && query.name !== undefined) {
      const pair = await this.kv.get(this.eventsKey(query.kind, query.name));
      values = pair ? [pair.value] : [];
    } else {
      const listed = await this.kv.list(sectionPrefix(this.prefix, 'events', query.kind));
      values = listed.pairs
        .filter((p) => {
          const parsed = parseKey(this.prefix, p.key);
          return parsed !== undefined && (query.name === undefined || parsed.name === query.name);
        })
        .map((p) => p.value);
    }
    const now = this.now();
    return values.flatMap((v) => boundEvents(parseEvents(v), now, this.bounds)).sort(compareEvents);
  }

  /**
   * Drops expired event records and the event keys of objects that are gone once they hold no
   * fresh record. Returns the number of keys rewritten or deleted. Meant for a periodic sweep.
   */
  async pruneEvents(): Promise<number> {
    const [events, objects] = await Promise.all([
      this.kv.list(sectionPrefix(this.prefix, 'events')),
      this.kv.list(sectionPrefix(this.prefix, 'objects')),
    ]);
    const live = new Set(objects.pairs.map((p) => p.key));
    const now = this.now();
    let touched = 0;
    for (const pair of events.pairs) {
      const parsed = parseKey(this.prefix, pair.key);
      if (!parsed) continue;
      const all = parseEvents(pair.value);
      const kept = boundEvents(all, now, this.bounds);
      const gone = !live.has(this.objectKey(parsed.kind, parsed.name));
      if (kept.length === 0 && (gone || all.length > 0)) {
        if (await this.kv.delete(pair.key, { cas: pair.modifyIndex })) touched += 1;
      } else if (kept.length !== all.length) {
        if (await this.kv.cas(pair.key, JSON.stringify(kept), pair.modifyIndex)) touched += 1;
      }
    }
    return touched;
  }

  // --- internals -------------------------------------------------------------------------

  private validateForApply(resources: readonly Resource[]): Resource[] {
    const errors: string[] = [];
    const seen = new Set<string>();
    const valid: Resource[] = [];
    resources.forEach((input, i) => {
      // Status is never applied; system metadata is read only for resourceVersion.
      const { status: _ignored, ...doc } = input as Resource & { status?: unknown };
      const res = validateResource(doc);
      const label = `${String(input?.kind ?? `document ${i + 1}`)}/${String(input?.metadata?.name ?? '?')}`;
      if (!res.resource) {
        errors.push(...res.errors.map((e) => `${label}: ${e.path ? `${e.path}: ` : ''}${e.message}`));
        return;
      }
      const size = storedSize(res.resource);
      if (size > MAX_STORED_DOCUMENT_BYTES) {
        errors.push(`${label}: document is ${size} bytes as stored JSON, more than ${MAX_STORED_DOCUMENT_BYTES} bytes (what one Consul transaction can carry)`);
        return;
      }
      const id = `${res.resource.kind}/${res.resource.metadata.name}`;
      if (seen.has(id)) errors.push(`${label}: duplicate ${res.resource.kind} "${res.resource.metadata.name}" in this apply`);
      seen.add(id);
      valid.push(res.resource);
    });
    if (errors.length > 0) {
      throw new SwarmopError('Invalid', `${errors.length} error(s) in the documents; nothing was written`, { details: errors });
    }
    return valid;
  }

  private async readCurrent(resources: readonly Resource[]): Promise<Map<string, KvPair>> {
    const current = new Map<string, KvPair>();
    if (resources.length > LIST_READ_THRESHOLD) {
      const kinds = [...new Set(resources.map((r) => r.kind))];
      const lists = await Promise.all(kinds.map((k) => this.kv.list(sectionPrefix(this.prefix, 'objects', k))));
      for (const l of lists) for (const p of l.pairs) current.set(p.key, p);
    } else {
      const pairs = await Promise.all(resources.map((r) => this.kv.get(this.objectKey(r.kind, r.metadata.name))));
      for (const p of pairs) if (p) current.set(p.key, p);
    }
    return current;
  }

  /**
   * Writes every planned CAS in transactions within Consul's limits (64 operations, 512 KiB body);
   * on a failure undoes the batches already written.
   */
  private async writeAllOrNothing(writes: readonly PlannedWrite[]): Promise<void> {
    const done: DoneWrite[] = [];
    const size = (w: PlannedWrite): number => txnOpBytes(w.key, w.value) + journalKeyBytes(w.key);
    for (const batch of txnBatches(writes, size, JOURNAL_RESERVE)) {
      try {
        const res = await this.journal.txn(
          batch.map((w): KvTxnOp => ({ verb: 'cas', key: w.key, value: w.value, index: w.index })),
          batch.map((w) => w.key),
        );
        const newIndex = new Map(res.results.map((p) => [p.key, p.modifyIndex]));
        for (const w of batch) done.push({ ...w, newIndex: newIndex.get(w.key) ?? 0 });
      } catch (err) {
        const unrolled = done.length > 0 ? await this.rollback(done) : [];
        throw applyFailure(err, batch, done.length > 0, unrolled, this.prefix);
      }
    }
  }

  /** Compensating CAS writes for a failed apply; returns what could not be undone. */
  private async rollback(done: readonly DoneWrite[]): Promise<string[]> {
    const undo = (w: DoneWrite): KvTxnOp =>
      w.previous === undefined
        ? { verb: 'delete-cas', key: w.key, index: w.newIndex }
        : { verb: 'cas', key: w.key, value: w.previous, index: w.newIndex };
    const failed: string[] = [];
    const size = (w: DoneWrite): number => txnOpBytes(w.key, w.previous) + journalKeyBytes(w.key);
    for (const batch of txnBatches(done, size, JOURNAL_RESERVE)) {
      try {
        await this.journal.txn(batch.map(undo), batch.map((w) => w.key));
      } catch {
        // Someone changed one of them meanwhile: undo the others one by one, keep theirs.
        for (const w of batch) {
          try {
            await this.journal.txn([undo(w)], [w.key]);
          } catch (err) {
            failed.push(`${w.kind.toLowerCase()}/${w.name}: not rolled back (${isTxnConflict(err) ? 'changed by someone else meanwhile' : (err as Error).message})`);
          }
        }
      }
    }
    return failed;
  }

  /** Deletes objects + status keys if the objects key is still at `index`; false on a lost race. */
  private async removeKeys(kind: string, name: string, index: number): Promise<boolean> {
    try {
      const key = this.objectKey(kind, name);
      await this.journal.txn(
        [
          { verb: 'delete-cas', key, index },
          { verb: 'delete', key: this.statusKey(kind, name) },
        ],
        [key],
      );
      return true;
    } catch (err) {
      if (isTxnConflict(err)) return false;
      throw err;
    }
  }

  /** Compare-and-set of one objects key with its journal entry; false when the index did not match. */
  private async casObject(key: string, value: string, index: number): Promise<boolean> {
    try {
      await this.journal.txn([{ verb: 'cas', key, value, index }], [key]);
      return true;
    } catch (err) {
      if (isTxnConflict(err)) return false;
      throw err;
    }
  }

  private parseStoredStrict(kind: string, name: string, pair: KvPair): StoredDoc {
    const doc = parseStoredLoosely(pair.value);
    if (!doc) throw new SwarmopError('Invalid', `${kind}/${name} is stored with an unreadable document at ${pair.key}`);
    return doc;
  }

  private decodeOne(kind: string, name: string, obj: KvPair, st: KvPair | undefined): DecodedObject {
    const base = { kind, name, key: obj.key, specIndex: obj.modifyIndex, statusIndex: st?.modifyIndex ?? 0 };
    const parsed = parseJson(obj.value);
    if (parsed === undefined || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { ...base, errors: ['the stored document is not a JSON object'] };
    }
    const { status: _dropped, ...doc } = parsed as Record<string, unknown>;
    const res = validateResource(doc);
    const errors = res.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
    if (res.resource && res.resource.kind !== kind) errors.push(`kind: stored under ${pluralOf(kind)} but says ${res.resource.kind}`);
    if (res.resource && res.resource.metadata.name !== name) errors.push(`metadata.name: stored as ${name} but says ${res.resource.metadata.name}`);
    if (!res.resource || errors.length > 0) return { ...base, errors };
    const resource = res.resource;
    resource.metadata.resourceVersion = String(obj.modifyIndex);
    const status = st ? parseJson(st.value) : undefined;
    if (status && typeof status === 'object' && !Array.isArray(status)) resource.status = status as Resource['status'];
    return { ...base, resource, errors: [] };
  }
}

function userMeta(m: ObjectMeta): Pick<ObjectMeta, 'labels' | 'annotations'> {
  const out: Pick<ObjectMeta, 'labels' | 'annotations'> = {};
  if (m.labels && Object.keys(m.labels).length > 0) out.labels = m.labels;
  if (m.annotations && Object.keys(m.annotations).length > 0) out.annotations = m.annotations;
  return out;
}

function serialize(doc: StoredDoc): string {
  const { resourceVersion: _never, ...metadata } = doc.metadata;
  return JSON.stringify({ apiVersion: doc.apiVersion, kind: doc.kind, metadata, spec: doc.spec });
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function parseStoredLoosely(value: string): StoredDoc | undefined {
  const v = parseJson(value) as Partial<StoredDoc> | undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v) || !v.metadata || typeof v.metadata !== 'object') return undefined;
  return v as StoredDoc;
}

/** Deep equality of the JSON forms (ignores key order and undefined members). */
function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  return isDeepStrictEqual(norm(a), norm(b));
}

function lostRace(kind: string, name: string, what: string): SwarmopError {
  return new SwarmopError('Conflict', `could not ${what} ${kind.toLowerCase()}/${name}: it kept changing underneath (lost every compare-and-set)`);
}

function applyFailure(err: unknown, batch: readonly PlannedWrite[], hadWrites: boolean, unrolled: readonly string[], prefix: string): Error {
  const rollbackNote = unrolled.length > 0 ? ['rollback incomplete:', ...unrolled] : [];
  if (isTxnConflict(err)) {
    const names = err.keys.map((key) => {
      const parsed = parseKey(prefix, key);
      const w = batch.find((b) => b.key === key);
      const what = w?.index === 0 ? 'was created by someone else meanwhile' : 'was changed by someone else meanwhile';
      return parsed ? `${parsed.kind.toLowerCase()}/${parsed.name} ${what}` : `${key} ${what}`;
    });
    const summary = unrolled.length > 0 ? 'the apply was only partly rolled back' : 'nothing was applied';
    return new SwarmopError('Conflict', `conflict: ${names.join('; ')}; ${summary}`, { details: rollbackNote });
  }
  if (err instanceof SwarmopError) {
    const outcome = !hadWrites ? 'earlier batches: none' : unrolled.length > 0 ? 'earlier batches partly rolled back' : 'earlier batches rolled back';
    return new SwarmopError(err.code, `${err.message} (during apply; ${outcome})`, {
      details: [...err.details, ...rollbackNote],
    });
  }
  return err instanceof Error ? err : new SwarmopError('Internal', String(err));
}
