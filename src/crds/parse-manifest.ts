/**
 * Multi-document YAML (or JSON) manifests → plain values that remember where every node came from.
 * Refuses, with positions, what must never reach validation or the store: syntax errors, duplicate
 * keys, aliases (a YAML bomb must never expand), excessive nesting, documents over Consul's 512 KiB
 * value limit, invalid UTF-8 and documents that are not mappings. Never throws for bad input.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import { formatFieldPath, type FieldPath } from './field-path.js';
import type { ManifestError } from './manifest-error.js';

/** Consul's KV value limit: a document larger than this could never be stored. */
export const MAX_DOCUMENT_BYTES = 512 * 1024;
/** Collections nested deeper than this are refused (a resource needs about 5). */
export const MAX_DEPTH = 32;
/** The whole input; beyond this nothing is parsed at all. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
// The yaml parser aborts the process (out of memory in a RegExp) on ~200k nested flow brackets,
// so flow nesting is bounded by a cheap scan before the parser ever sees the text.
const MAX_FLOW_SCAN_DEPTH = 64;
// Same words whether the bytes were decoded here or by the caller (U+FFFD replacement characters).
const INVALID_UTF8 = 'invalid UTF-8: the input is not UTF-8 text';

export interface Position {
  line: number;
  col: number;
}

export interface ParsedDocument {
  file: string;
  /** 0-based index of the document in its file (empty documents count). */
  index: number;
  value: unknown;
  /** Position of the node at path, or of the nearest existing ancestor. */
  positionOf(path: readonly (string | number)[]): Position;
  /** Position of the key of the last path segment (for "unknown field"), when it exists. */
  keyPositionOf?(path: readonly (string | number)[]): Position;
}

export function parseManifestText(text: string, file: string): { documents: ParsedDocument[]; errors: ManifestError[] } {
  const errors: ManifestError[] = [];
  const documents: ParsedDocument[] = [];
  try {
    const lc = new LineCounter();
    const at = (offset: number): Position => lc.linePos(offset);
    const fail = (pos: Position, message: string, path = ''): void => {
      errors.push({ file, line: pos.line, col: pos.col, path, message });
    };

    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_FILE_BYTES) {
      fail({ line: 1, col: 1 }, `input is ${bytes} bytes, more than the ${MAX_FILE_BYTES}-byte limit`);
      return { documents, errors };
    }
    const bad = text.indexOf('\uFFFD');
    if (bad >= 0) {
      fail(offsetToPosition(text, bad), INVALID_UTF8);
      return { documents, errors };
    }
    const deep = scanFlowDepth(text, MAX_FLOW_SCAN_DEPTH);
    if (deep >= 0) {
      fail(offsetToPosition(text, deep), `nesting deeper than ${MAX_FLOW_SCAN_DEPTH} levels`);
      return { documents, errors };
    }

    const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, merge: false });
    docs.forEach((doc, index) => {
      const before = errors.length;
      for (const e of doc.errors) {
        if (e.code === 'DUPLICATE_KEY') {
          const found = findKeyAt(doc, e.pos[0]);
          fail(at(e.pos[0]), found ? `duplicate key "${found.key}"` : 'duplicate key', found ? formatFieldPath(found.path) : '');
        } else {
          fail(at(e.pos[0]), `YAML syntax error: ${firstLine(e.message)}`);
        }
      }
      if (errors.length > before) return;

      const contents = doc.contents as YamlNode | null;
      if (contents === null || (isScalar(contents) && contents.value === null && contents.source === '')) return; // empty document

      const [start, , end] = doc.range;
      const tooLarge = (node: YamlNode, from: number, to: number): boolean => {
        const size = Buffer.byteLength(text.slice(from, to), 'utf8');
        if (size <= MAX_DOCUMENT_BYTES) return false;
        fail(at(node.range?.[0] ?? from), `document is ${size} bytes, more than ${MAX_DOCUMENT_BYTES} bytes (Consul's KV value limit)`);
        return true;
      };
      const list = isList(contents);
      if (!list && tooLarge(contents, start, end)) return;
      const problem = inspect(contents, [], 1);
      if (problem) {
        fail(at(problem.offset), problem.message, formatFieldPath(problem.path));
        return;
      }
      if (!isMap(contents)) {
        fail(
          at(contents.range?.[0] ?? start),
          `document must be a mapping (apiVersion, kind, metadata, spec), got ${describeNode(contents)}`,
        );
        return;
      }
      const value: unknown = doc.toJS({ maxAliasCount: 0 });
      const push = (root: YamlNode, v: unknown): void => {
        documents.push({
          file,
          index,
          value: v,
          positionOf: (path) => at(nodeOffset(root, path, false)),
          keyPositionOf: (path) => at(nodeOffset(root, path, true)),
        });
      };
      if (!list) {
        push(contents, value);
        return;
      }
      // `get -o yaml|json` of several objects prints a v1 List: each item is one document.
      const items = contents.get('items', true) as YamlNode | undefined;
      if (!isSeq(items)) {
        fail(at(items?.range?.[0] ?? contents.range?.[0] ?? start), 'a List needs items: a list of documents', 'items');
        return;
      }
      const values = (value as { items: unknown[] }).items;
      items.items.forEach((item, i) => {
        const node = item as YamlNode;
        if (!isMap(node)) {
          fail(
            at(node.range?.[0] ?? start),
            `a List item must be a mapping (apiVersion, kind, metadata, spec), got ${describeNode(node)}`,
            `items[${i}]`,
          );
          return;
        }
        if (!tooLarge(node, node.range?.[0] ?? start, node.range?.[1] ?? end)) push(node, values[i]);
      });
    });
  } catch (err) {
    // The parser should not throw, but a crash here must not take the CLI or operator down.
    errors.push({ file, line: 1, col: 1, path: '', message: `could not parse: ${err instanceof Error ? err.message : String(err)}` });
  }
  return { documents, errors };
}

/** Decodes bytes as UTF-8 (refusing invalid sequences with their position) and parses them. */
export function parseManifestBytes(bytes: Uint8Array, file: string): { documents: ParsedDocument[]; errors: ManifestError[] } {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const prefix = new TextDecoder().decode(bytes.subarray(0, bad));
    const pos = offsetToPosition(prefix, prefix.length);
    return {
      documents: [],
      errors: [{ file, line: pos.line, col: pos.col, path: '', message: INVALID_UTF8 }],
    };
  }
  return parseManifestText(new TextDecoder().decode(bytes), file);
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}

/** `apiVersion: v1, kind: List`, as kubectl prints and reads a list of objects. */
function isList(n: YamlNode): n is YamlNode & { get(key: string, keepScalar: true): unknown } {
  if (!isMap(n)) return false;
  const scalar = (key: string): unknown => {
    const v = n.get(key, true);
    return isScalar(v) ? v.value : undefined;
  };
  return scalar('apiVersion') === 'v1' && scalar('kind') === 'List';
}

function describeNode(n: YamlNode): string {
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) return n.value === null ? 'null' : `a ${typeof n.value}`;
  return 'something else';
}

function offsetToPosition(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

interface Problem {
  offset: number;
  path: FieldPath;
  message: string;
}

/** Finds the first alias, non-scalar key or over-deep node, depth-first in document order. */
function inspect(node: unknown, path: (string | number)[], depth: number): Problem | undefined {
  if (isAlias(node))
    return {
      offset: node.range?.[0] ?? 0,
      path,
      message: `YAML alias "*${node.source}" is not allowed (aliases can expand into a YAML bomb)`,
    };
  if (isMap(node) || isSeq(node)) {
    if (depth > MAX_DEPTH) return { offset: node.range?.[0] ?? 0, path, message: `nesting deeper than ${MAX_DEPTH} levels` };
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isAlias(pair.key)) return inspect(pair.key, path, depth + 1);
      if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === 'object') {
        const off = (pair.key as YamlNode | null)?.range?.[0] ?? node.range?.[0] ?? 0;
        return { offset: off, path, message: 'mapping keys must be plain strings' };
      }
      const p = inspect(pair.value, [...path, String(pair.key.value)], depth + 1);
      if (p) return p;
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const p = inspect(node.items[i], [...path, i], depth + 1);
      if (p) return p;
    }
  }
  return undefined;
}

function nodeOffset(root: YamlNode, path: readonly (string | number)[], wantKey: boolean): number {
  let node: YamlNode = root;
  let offset = root.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return offset;
      const keyOffset = (pair.key as YamlNode).range?.[0] ?? offset;
      const value = pair.value as YamlNode | null;
      // `field:` with nothing after it has an empty null node: point at the key instead.
      if ((last && wantKey) || !value || (isScalar(value) && value.source === '' && value.value === null)) return keyOffset;
      node = value;
      offset = value.range?.[0] ?? keyOffset;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as YamlNode | undefined;
      if (!item) return offset;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function findKeyAt(doc: Document, offset: number): { key: string; path: FieldPath } | undefined {
  const walk = (node: unknown, path: (string | number)[]): { key: string; path: FieldPath } | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        if ((pair.key as YamlNode | null)?.range?.[0] === offset) return { key, path: [...path, key] };
        const r = walk(pair.value, [...path, key]);
        if (r) return r;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const r = walk(node.items[i], [...path, i]);
        if (r) return r;
      }
    }
    return undefined;
  };
  return walk(doc.contents, []);
}

/**
 * Offset of the first flow bracket nested deeper than `limit`, or -1. Approximate on purpose (it
 * only has to stop pathological input): skips comments and quoted scalars.
 */
function scanFlowDepth(text: string, limit: number): number {
  let depth = 0;
  let prev = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#' && (prev === ' ' || prev === '\t' || prev === '\n')) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return -1;
      i = nl;
      prev = '\n';
      continue;
    }
    if ((c === '"' || c === "'") && /[\s[{,:-]/.test(prev)) {
      let j = i + 1;
      for (; j < text.length; j++) {
        if (c === '"' && text[j] === '\\') j++;
        else if (text[j] === c) {
          if (c === "'" && text[j + 1] === "'") j++;
          else break;
        }
      }
      i = j;
      prev = c;
      continue;
    }
    if (c === '[' || c === '{') {
      if (++depth > limit) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
    prev = c ?? '';
  }
  return -1;
}

/** Index of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    let n = 0;
    let min = 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}
