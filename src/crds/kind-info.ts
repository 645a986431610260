/**
 * What every kind provides: the public KindInfo (names, schema as data, printer columns) plus the
 * internal hooks validation uses (defaulting and the semantic checks a JSON schema cannot express).
 */
import type { FieldPath } from './field-path.js';
import type { JsonSchemaObject } from './json-schema.js';
import type { Resource } from './meta.js';

export type KindName = 'DockerHost' | 'ConsulCluster' | 'SwarmCluster' | 'StaticIPAttachment' | 'ServiceAddresses';

export interface PrinterColumn {
  name: string;
  value: (r: Resource) => string;
  wide?: boolean;
}

/** READY and AGE columns are added by the CLI. */
export interface KindInfo {
  kind: KindName;
  singular: string;
  plural: string;
  shortNames: string[];
  description: string;
  schema: JsonSchemaObject;
  printerColumns: PrinterColumn[];
}

/** A problem the schema cannot express; path is from the document root (['spec', 'gateway']). */
export interface SemanticError {
  path: FieldPath;
  message: string;
}

export interface KindDefinition<Spec> extends KindInfo {
  /** Pure: returns a new spec with defaults filled in. Called only on schema-valid specs. */
  defaults(spec: Spec, name: string): Spec;
  /** Called on schema-valid, defaulted specs; `name` is the object's (for rules about itself). */
  check(spec: Spec, name?: string): SemanticError[];
}

/** Reads a nested field for printer columns without trusting the shape. */
export function field(r: Resource, ...path: string[]): unknown {
  let cur: unknown = r;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function text(v: unknown): string {
  if (v === undefined || v === null || v === '') return '<none>';
  if (Array.isArray(v)) return v.length ? v.join(',') : '<none>';
  return String(v);
}
