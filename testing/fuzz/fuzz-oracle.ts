/**
 * What a correct swarmop does with a fuzz case, as pure checks: the CLI's output shape for a
 * rejection (every detail positioned, no stack) and the exact round trip of an accepted apply.
 * The expected stored form is computed here independently of the CLI's own pipeline: the yaml
 * package parses the bytes, crds' defaulting fills the spec, system metadata and status are dropped.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { applyDefaults, type Resource } from '../../src/crds/index.js';
import { isRecord } from './json-paths.js';

/** The user-owned part of an object, as apply stores it and `get -o json` must show it. */
export interface StoredShape {
  apiVersion: unknown;
  kind: unknown;
  metadata: { name: unknown; labels?: unknown; annotations?: unknown };
  spec: unknown;
}

const APPLY_RECORD = new Set(['swarmop.io/last-applied-configuration', 'swarmop.io/last-applied-manager']);

export function storedShape(value: unknown): StoredShape {
  const v = isRecord(value) ? value : {};
  const m = isRecord(v.metadata) ? v.metadata : {};
  const metadata: StoredShape['metadata'] = { name: m.name };
  // An empty map and no map mean the same (Kubernetes' omitempty); the store keeps neither.
  if (m.labels !== undefined && !isEmptyMap(m.labels)) metadata.labels = m.labels;
  // apply's own record of what it applied (three-way apply) is bookkeeping, not the document's.
  const annotations = isRecord(m.annotations)
    ? Object.fromEntries(Object.entries(m.annotations).filter(([k]) => !APPLY_RECORD.has(k)))
    : m.annotations;
  if (annotations !== undefined && !isEmptyMap(annotations)) metadata.annotations = annotations;
  return { apiVersion: v.apiVersion, kind: v.kind, metadata, spec: v.spec };
}

export function isEmptyMap(v: unknown): boolean {
  return isRecord(v) && Object.keys(v).length === 0;
}

export function sortShapes(shapes: StoredShape[]): StoredShape[] {
  const id = (s: StoredShape): string => `${String(s.kind)}/${String(s.metadata.name)}`;
  return [...shapes].sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
}

/** Expected stored objects for already-parsed documents (the direct store path). */
export function expectedFromObjects(objects: readonly unknown[]): StoredShape[] {
  return sortShapes(objects.map((o) => storedShape(isRecord(o) ? applyDefaults(o as unknown as Resource) : o)));
}

/** Expected stored objects for manifest bytes; undefined when the bytes do not parse as plain YAML. */
export function expectedFromBytes(bytes: Uint8Array): StoredShape[] | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  try {
    const docs = parseAllDocuments(text, { uniqueKeys: true, merge: false });
    if (docs.some((d) => d.errors.length > 0)) return undefined;
    const values = docs.map((d) => d.toJS({ maxAliasCount: 0 }) as unknown).filter((v) => v !== null && v !== undefined);
    return expectedFromObjects(values);
  } catch {
    return undefined;
  }
}

/** `get all -o json` output (a List, or one object) → stored shapes. */
export function shapesFromGetJson(stdout: string): StoredShape[] {
  const body = JSON.parse(stdout) as unknown;
  const items = isRecord(body) && body.kind === 'List' && Array.isArray(body.items) ? body.items : [body];
  return sortShapes(items.map(storedShape));
}

export function sameShapes(a: readonly StoredShape[], b: readonly StoredShape[]): boolean {
  return isDeepStrictEqual(a, b);
}

/** First differing object, for a readable failure. */
export function describeDifference(expected: readonly StoredShape[], actual: readonly StoredShape[]): string {
  if (expected.length !== actual.length) return `expected ${expected.length} objects, got ${actual.length}`;
  for (let i = 0; i < expected.length; i++) {
    if (!isDeepStrictEqual(expected[i], actual[i])) {
      return `object ${i}: expected ${JSON.stringify(expected[i]).slice(0, 300)} got ${JSON.stringify(actual[i]).slice(0, 300)}`;
    }
  }
  return 'no difference';
}

const STACK_LINE = /^\s+at .+(\(.*:\d+:\d+\)|:\d+:\d+)$/m;
const POSITIONED = /^[^\n]+:\d+:\d+: \S/;

/** Problems with the text of a refused apply; [] when it is a proper positioned rejection. */
export function rejectionProblems(stderr: string, file: string): string[] {
  const problems: string[] = [];
  if (stderr.includes('internal error')) problems.push('reported as an internal error');
  if (STACK_LINE.test(stderr)) problems.push('printed a stack trace');
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (!lines[0]?.startsWith('error: ')) problems.push(`first line is not "error: ...": ${JSON.stringify(lines[0] ?? '')}`);
  const details = lines.slice(1);
  if (details.length === 0) problems.push('no positioned error line');
  for (const d of details) {
    if (!d.startsWith(`${file}:`) || !POSITIONED.test(d)) {
      problems.push(`unpositioned line: ${JSON.stringify(d.slice(0, 200))}`);
      break;
    }
  }
  return problems;
}

/** A crash signature anywhere in the output: stack frames or the internal-error banner. */
export function crashSignature(text: string): string | undefined {
  if (text.includes('internal error')) return 'internal error';
  if (STACK_LINE.test(text)) return 'stack trace';
  return undefined;
}
