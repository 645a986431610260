/**
 * JSON-schema validation of one object against its kind's schema (ajv, allErrors), with ajv's
 * errors turned into field paths and plain reasons. Status is accepted as any object: controllers
 * own it, and `get -o yaml | apply -f -` must not fail on it.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { pointerToPath, type FieldPath } from './field-path.js';
import { FORMAT_CHECKS, show } from './formats.js';
import type { JsonSchemaObject } from './json-schema.js';
import type { KindInfo } from './kind-info.js';

export interface SchemaError {
  path: FieldPath;
  message: string;
  /** Position the key rather than the value (unknown fields). */
  atKey?: boolean;
}

export class SchemaValidator {
  readonly #validators = new Map<string, ValidateFunction>();
  /** Each kind's status schema alone: stored status is read back through it (status-validate.ts). */
  readonly #statusValidators = new Map<string, ValidateFunction>();
  readonly #ajv: Ajv;

  constructor(options: { kinds: readonly KindInfo[] }) {
    this.#ajv = new Ajv({ allErrors: true, strict: true, logger: false });
    for (const [name, check] of Object.entries(FORMAT_CHECKS)) {
      this.#ajv.addFormat(name, { type: 'string', validate: (v: string) => check(v) === undefined });
    }
    // Compiling is cheap enough (a few ms per kind) to do eagerly, and it surfaces schema bugs at once.
    for (const k of options.kinds) {
      const schema: JsonSchemaObject = {
        ...k.schema,
        properties: { ...k.schema.properties, status: { type: 'object', description: 'Written by controllers; ignored on apply.' } },
      };
      this.#validators.set(k.kind, this.#ajv.compile(schema));
      const status = k.schema.properties?.status;
      if (status) this.#statusValidators.set(k.kind, this.#ajv.compile(status));
    }
  }

  /**
   * A stored status checked against its kind's status schema. Status is the controllers' output,
   * but its key is writable by anyone who can write the prefix: what does not validate is dropped
   * top-level field by top-level field (the fields that validate are kept), never trusted.
   */
  validateStatus(kind: string, value: unknown): { status: Record<string, unknown> | undefined; dropped: string[] } {
    const fn = this.#statusValidators.get(kind);
    if (!fn || value === null || typeof value !== 'object' || Array.isArray(value))
      return { status: undefined, dropped: value === undefined ? [] : ['status'] };
    if (fn(value)) return { status: value as Record<string, unknown>, dropped: [] };
    const kept: Record<string, unknown> = {};
    const dropped: string[] = [];
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (fn({ [key]: v })) kept[key] = v;
      else dropped.push(`status.${key}`);
    }
    return { status: kept, dropped };
  }

  validate(kind: string, value: unknown): SchemaError[] {
    const fn = this.#validators.get(kind);
    if (!fn) return [{ path: ['kind'], message: `unknown kind ${show(kind)}` }];
    if (fn(value)) return [];
    const out: SchemaError[] = [];
    for (const e of fn.errors ?? []) {
      const mapped = toSchemaError(e, value);
      if (mapped && !out.some((o) => o.message === mapped.message && samePath(o.path, mapped.path))) out.push(mapped);
    }
    return out;
  }
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${show(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : `number ${v}`;
  return `${typeof v} ${String(v)}`;
}

function at(value: unknown, path: FieldPath): unknown {
  let cur = value;
  for (const seg of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[seg] : undefined;
  return cur;
}

function toSchemaError(e: ErrorObject, root: unknown): SchemaError | undefined {
  const path = pointerToPath(e.instancePath, root);
  const p = e.params as Record<string, unknown>;
  // Errors inside propertyNames carry the offending key; the wrapping propertyNames error adds nothing.
  if (e.keyword === 'propertyNames') return undefined;
  if (e.propertyName !== undefined) {
    const key = e.propertyName;
    const reason = e.keyword === 'format' ? (FORMAT_CHECKS[String(p.format)]?.(key) ?? 'invalid key') : 'invalid key';
    return { path: [...path, key], message: `invalid key: ${reason}`, atKey: true };
  }
  const value = at(root, path);
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], message: `unknown field ${show(String(p.additionalProperty))}`, atKey: true };
    case 'required':
      return { path: [...path, String(p.missingProperty)], message: 'required field is missing' };
    case 'type':
      return { path, message: `expected ${String(p.type)}, got ${describeValue(value)}` };
    case 'format':
      return { path, message: FORMAT_CHECKS[String(p.format)]?.(String(value)) ?? `invalid ${String(p.format)}` };
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}; got ${describeValue(value)}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(p.allowedValue)}; got ${describeValue(value)}` };
    case 'minItems':
      return { path, message: `must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { path, message: `must have at most ${String(p.limit)} items` };
    case 'maxProperties':
      return { path, message: `must have at most ${String(p.limit)} entries` };
    case 'minimum':
      return { path, message: `must be at least ${String(p.limit)}; got ${describeValue(value)}` };
    case 'maximum':
      return { path, message: `must be at most ${String(p.limit)}; got ${describeValue(value)}` };
    case 'maxLength':
      return { path, message: `must be at most ${String(p.limit)} characters long` };
    case 'minLength':
      return { path, message: `must be at least ${String(p.limit)} characters long` };
    case 'pattern':
      return { path, message: `${describeValue(value)} does not match ${String(p.pattern)}` };
    default:
      return { path, message: e.message ?? 'invalid' };
  }
}
