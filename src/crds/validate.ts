/**
 * Validation of whole resources: apiVersion and kind, the kind's JSON schema, defaulting, then the
 * semantic checks a schema cannot express (gateway inside the subnet, unique node names...).
 * validateDocuments adds positions and batch-wide checks (duplicate kind/name) for `apply`;
 * validateResource serves objects read back from the store (the operator's InvalidSpec).
 */
import { formatFieldPath, type FieldPath } from './field-path.js';
import { show } from './formats.js';
import { definitionOf, isKindName, KINDS } from './kind-registry.js';
import { compareManifestErrors, type ManifestError } from './manifest-error.js';
import { API_VERSION, type BaseStatus, type ObjectMeta, type Resource } from './meta.js';
import type { ParsedDocument } from './parse-manifest.js';
import { SchemaValidator, type SchemaError } from './schema-validator.js';

/** Explicit instance for callers that want to own it; the functions below share a lazy one. */
export class ResourceValidator {
  readonly #schemas: SchemaValidator;

  constructor() {
    this.#schemas = new SchemaValidator({ kinds: KINDS });
  }

  /** Checks one object; on success returns it defaulted (metadata and status kept as given). */
  check(value: unknown): { resource?: Resource; errors: SchemaError[] } {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { errors: [{ path: [], message: 'a resource must be a mapping with apiVersion, kind, metadata and spec' }] };
    const obj = value as Record<string, unknown>;
    const errors: SchemaError[] = [];
    if (!('apiVersion' in obj)) errors.push({ path: ['apiVersion'], message: 'required field is missing' });
    else if (obj.apiVersion !== API_VERSION)
      errors.push({ path: ['apiVersion'], message: `unsupported apiVersion ${showAny(obj.apiVersion)}; expected ${API_VERSION}` });
    if (!('kind' in obj)) errors.push({ path: ['kind'], message: 'required field is missing' });
    else if (!isKindName(obj.kind)) {
      errors.push({ path: ['kind'], message: `unknown kind ${showAny(obj.kind)}; expected one of ${KINDS.map((k) => k.kind).join(', ')}` });
    }
    if (!isKindName(obj.kind)) return { errors };

    const schemaErrors = this.#schemas
      .validate(obj.kind, value)
      .filter((e) => !(e.path.length === 1 && (e.path[0] === 'apiVersion' || e.path[0] === 'kind')));
    errors.push(...schemaErrors);
    if (errors.length) return { errors };

    const def = definitionOf(obj.kind);
    const resource = structuredClone(value) as Resource;
    if (def) {
      resource.spec = def.defaults(resource.spec, resource.metadata.name) as Record<string, unknown>;
      errors.push(...def.check(resource.spec, resource.metadata.name));
    }
    return errors.length ? { errors } : { resource, errors };
  }

  /** A stored status through its kind's status schema: invalid fields dropped (see SchemaValidator.validateStatus). */
  checkStatus(kind: string, value: unknown): { status: BaseStatus | undefined; dropped: string[] } {
    const r = this.#schemas.validateStatus(kind, value);
    return { status: r.status as BaseStatus | undefined, dropped: r.dropped };
  }
}

function showAny(v: unknown): string {
  return typeof v === 'string' ? show(v) : (JSON.stringify(v) ?? String(v));
}

// Compiled form of the constant schemas, built on first use; holds no state between calls.
let shared: ResourceValidator | undefined;
function validator(): ResourceValidator {
  shared ??= new ResourceValidator();
  return shared;
}

export function validateResource(value: unknown): { resource?: Resource; errors: { path: string; message: string }[] } {
  const r = validator().check(value);
  return {
    ...(r.resource ? { resource: r.resource } : {}),
    errors: r.errors.map((e) => ({ path: formatFieldPath(e.path), message: e.message })),
  };
}

/**
 * A status read back from the store, validated like spec: status keys can be written by anyone who
 * can write the prefix, so nothing in one is used unless it fits its kind's schema.
 */
export function validateStatus(kind: string, value: unknown): { status: BaseStatus | undefined; dropped: string[] } {
  return validator().checkStatus(kind, value);
}

/** What apply stores: system metadata and status dropped. */
function forApply(r: Resource): Resource {
  const m = r.metadata;
  const metadata: ObjectMeta = { name: m.name };
  if (m.labels !== undefined) metadata.labels = m.labels;
  if (m.annotations !== undefined) metadata.annotations = m.annotations;
  return { apiVersion: r.apiVersion, kind: r.kind, metadata, spec: r.spec };
}

export interface ValidateDocumentsOptions {
  /**
   * What the store will hold for a valid document, when that is more than the document: apply
   * adds its last-applied record. The size limit is checked on it, so the refusal has a position.
   */
  storedForm?: (written: unknown) => Resource;
  /** Why the stored form is larger, for the size error (e.g. "counting apply's last-applied record"). */
  storedFormNote?: string;
}

export function validateDocuments(
  docs: readonly ParsedDocument[],
  options: ValidateDocumentsOptions = {},
): { resources: Resource[]; errors: ManifestError[] } {
  const perDoc: ManifestError[][] = docs.map(() => []);
  const resources: (Resource | undefined)[] = [];
  const place = (doc: ParsedDocument, path: FieldPath, message: string, atKey = false): ManifestError => {
    const pos = atKey && doc.keyPositionOf ? doc.keyPositionOf(path) : doc.positionOf(path);
    return { file: doc.file, line: pos.line, col: pos.col, path: formatFieldPath(path), message };
  };

  docs.forEach((doc, i) => {
    const r = validator().check(doc.value);
    for (const e of r.errors) perDoc[i]?.push(place(doc, e.path, e.message, e.atKey));
    const resource = r.resource ? forApply(r.resource) : undefined;
    const storedForm = resource && options.storedForm && r.errors.length === 0 ? options.storedForm(doc.value) : resource;
    const stored = storedForm ? storedSize(storedForm) : 0;
    if (stored > MAX_STORED_DOCUMENT_BYTES) {
      const note = storedForm !== resource && options.storedFormNote ? `, ${options.storedFormNote}` : '';
      perDoc[i]?.push(
        place(
          doc,
          [],
          `document is ${stored} bytes as stored JSON, more than ${MAX_STORED_DOCUMENT_BYTES} bytes (what one Consul transaction can carry)${note}`,
        ),
      );
      resources.push(undefined);
      return;
    }
    resources.push(resource);
  });

  // Duplicate kind/name in one batch: both places are reported, so the user sees which two.
  const firstSeen = new Map<string, number>();
  docs.forEach((doc, i) => {
    const v = doc.value as { kind?: unknown; metadata?: { name?: unknown } } | null;
    if (!v || !isKindName(v.kind) || typeof v.metadata?.name !== 'string') return;
    const key = `${v.kind}/${v.metadata.name}`;
    const first = firstSeen.get(key);
    if (first === undefined) {
      firstSeen.set(key, i);
      return;
    }
    const firstDoc = docs[first];
    if (!firstDoc) return;
    const here = place(doc, ['metadata', 'name'], '');
    const there = place(firstDoc, ['metadata', 'name'], '');
    const loc = (e: ManifestError): string => `${e.file}:${e.line}:${e.col}`;
    perDoc[i]?.push({ ...here, message: `duplicate ${v.kind} ${show(v.metadata.name)} in this apply (also defined at ${loc(there)})` });
    perDoc[first]?.push({ ...there, message: `duplicate ${v.kind} ${show(v.metadata.name)} in this apply (also defined at ${loc(here)})` });
  });

  // The valid ones are returned even when others failed; apply must still write nothing then.
  const errors = perDoc.flatMap((list) => [...list].sort(compareManifestErrors));
  return { resources: resources.filter((r): r is Resource => r !== undefined), errors };
}

/**
 * The largest object document swarmop stores. Consul 1.8 caps a whole /v1/txn request at 512 KiB
 * (txn_max_req_len) with values base64-encoded (4/3), so one document must stay well under
 * 384 KiB; the rest is room for system metadata and the request's own JSON.
 */
export const MAX_STORED_DOCUMENT_BYTES = 360 * 1024;

/** Bytes of the document as the store writes it (JSON), plus room for system metadata. */
export function storedSize(r: Resource): number {
  return Buffer.byteLength(JSON.stringify(r), 'utf8') + 512;
}

/** Pure: a copy of r with its kind's defaults filled in (unknown kinds are copied unchanged). */
export function applyDefaults<R extends Resource>(r: R): R {
  const copy = structuredClone(r);
  const def = definitionOf(copy.kind);
  if (!def || copy.spec === null || typeof copy.spec !== 'object') return copy;
  copy.spec = def.defaults(copy.spec, copy.metadata?.name ?? '') as R['spec'];
  return copy;
}
