/**
 * What an objects key holds, and how it is read back: the JSON form written (`serialize`, never
 * with resourceVersion, which is the key's ModifyIndex), loose and strict parsing of a stored
 * value, and decoding of a raw listing into validated, defaulted objects with their status.
 */
import { isDeepStrictEqual } from 'node:util';
import { KINDS, validateResource, validateStatus } from '../crds/index.js';
import type { ObjectMeta, Resource } from '../crds/meta.js';
import { SwarmopError } from '../errors.js';
import type { KvPair } from './kv.js';
import { parseKey, pluralOf } from './store-keys.js';

/** What the objects key holds. */
export interface StoredDoc {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
}

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

export function serialize(doc: StoredDoc): string {
  const { resourceVersion: _never, ...metadata } = doc.metadata;
  return JSON.stringify({ apiVersion: doc.apiVersion, kind: doc.kind, metadata, spec: doc.spec });
}

export function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** The stored document if it is an object with metadata; undefined otherwise (no validation). */
export function parseStoredLoosely(value: string): StoredDoc | undefined {
  const v = parseJson(value) as Partial<StoredDoc> | undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v) || !v.metadata || typeof v.metadata !== 'object') return undefined;
  return v as StoredDoc;
}

/** Like parseStoredLoosely, but an unreadable document is an Invalid error naming its key. */
export function parseStoredStrict(kind: string, name: string, pair: KvPair): StoredDoc {
  const doc = parseStoredLoosely(pair.value);
  if (!doc) throw new SwarmopError('Invalid', `${kind}/${name} is stored with an unreadable document at ${pair.key}`);
  return doc;
}

/** The metadata a user writes (labels, annotations), without empty maps. */
export function userMeta(m: ObjectMeta): Pick<ObjectMeta, 'labels' | 'annotations'> {
  const out: Pick<ObjectMeta, 'labels' | 'annotations'> = {};
  if (m.labels && Object.keys(m.labels).length > 0) out.labels = m.labels;
  if (m.annotations && Object.keys(m.annotations).length > 0) out.annotations = m.annotations;
  return out;
}

/** Deep equality of the JSON forms (ignores key order and undefined members). */
export function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  return isDeepStrictEqual(norm(a), norm(b));
}

/** One object from its objects pair and, when there is one, its status pair. */
export function decodeObject(kind: string, name: string, obj: KvPair, st: KvPair | undefined): DecodedObject {
  const base = { kind, name, key: obj.key, specIndex: obj.modifyIndex, statusIndex: st?.modifyIndex ?? 0 };
  const parsed = parseJson(obj.value);
  if (parsed === undefined || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ...base, errors: ['the stored document is not a JSON object'] };
  }
  const { status: _dropped, ...doc } = parsed as Record<string, unknown>;
  const res = validateResource(doc);
  const errors = res.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
  if (res.resource && res.resource.kind !== kind) errors.push(`kind: stored under ${pluralOf(kind)} but says ${res.resource.kind}`);
  if (res.resource && res.resource.metadata.name !== name)
    errors.push(`metadata.name: stored as ${name} but says ${res.resource.metadata.name}`);
  if (!res.resource || errors.length > 0) return { ...base, errors };
  const resource = res.resource;
  resource.metadata.resourceVersion = String(obj.modifyIndex);
  // Status is validated like spec: what does not fit the kind's status schema is dropped, so a
  // hand-written status key can never hand a controller a value it would not have written.
  const status = st ? validateStatus(kind, parseJson(st.value)).status : undefined;
  if (status) resource.status = status;
  return { ...base, resource, errors: [] };
}

/**
 * Turns a raw recursive listing of the prefix (e.g. a watcher's snapshot) into objects, in kind
 * order then by name. Status and event keys without an objects key are skipped.
 */
export function decodeListing(prefix: string, pairs: readonly KvPair[]): DecodedObject[] {
  const groups = new Map<string, { kind: string; name: string; obj?: KvPair; st?: KvPair }>();
  for (const pair of pairs) {
    const parsed = parseKey(prefix, pair.key);
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
    .map((g) => decodeObject(g.kind, g.name, g.obj, g.st));
}
