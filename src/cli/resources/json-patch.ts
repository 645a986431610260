/**
 * The two patch types `swarmop patch` takes: JSON merge patch (RFC 7386: objects merge, null
 * deletes, everything else replaces) and JSON patch (RFC 6902: add, remove, replace, move, copy,
 * test on JSON pointers). Pure; inputs are not modified.
 */
import { isDeepStrictEqual } from 'node:util';
import { SwarmopError } from '../../errors.js';

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: Json;
  from?: string;
}

function bad(i: number, why: string): SwarmopError {
  return new SwarmopError('Invalid', `json patch operation ${i}: ${why}`);
}

function parsePointer(pointer: string, i: number): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw bad(i, `path "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container of the pointer's last token, and that token. */
function locate(doc: Json, tokens: string[], i: number, pointer: string): { parent: Json; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw bad(i, `path "${pointer}" does not exist`);
    if (cur === undefined) throw bad(i, `path "${pointer}" does not exist`);
  }
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function getAt(doc: Json, pointer: string, i: number): Json {
  const tokens = parsePointer(pointer, i);
  if (tokens.length === 0) return doc;
  const { parent, key } = locate(doc, tokens, i, pointer);
  if (Array.isArray(parent)) {
    const idx = Number(key);
    if (!/^\d+$/.test(key) || idx >= parent.length) throw bad(i, `path "${pointer}" does not exist`);
    return parent[idx];
  }
  if (isObject(parent) && Object.hasOwn(parent, key)) return parent[key];
  throw bad(i, `path "${pointer}" does not exist`);
}

function removeAt(doc: Json, pointer: string, i: number): Json {
  const tokens = parsePointer(pointer, i);
  if (tokens.length === 0) throw bad(i, 'cannot remove the whole document');
  const { parent, key } = locate(doc, tokens, i, pointer);
  if (Array.isArray(parent)) {
    const idx = Number(key);
    if (!/^\d+$/.test(key) || idx >= parent.length) throw bad(i, `path "${pointer}" does not exist`);
    return parent.splice(idx, 1)[0];
  }
  if (!isObject(parent) || !Object.hasOwn(parent, key)) throw bad(i, `path "${pointer}" does not exist`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: Json, pointer: string, value: Json, i: number, replace: boolean): Json {
  const tokens = parsePointer(pointer, i);
  if (tokens.length === 0) return value;
  const { parent, key } = locate(doc, tokens, i, pointer);
  if (Array.isArray(parent)) {
    if (key === '-' && !replace) parent.push(value);
    else {
      const idx = Number(key);
      if (!/^\d+$/.test(key) || idx > parent.length || (replace && idx >= parent.length))
        throw bad(i, `index "${key}" is out of range at "${pointer}"`);
      if (replace) parent[idx] = value;
      else parent.splice(idx, 0, value);
    }
  } else if (isObject(parent)) {
    if (replace && !Object.hasOwn(parent, key)) throw bad(i, `path "${pointer}" does not exist`);
    parent[key] = value;
  } else throw bad(i, `the parent of "${pointer}" is not an object or array`);
  return doc;
}

export function applyJsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new SwarmopError('Invalid', 'a json patch must be a JSON array of operations');
  let doc = structuredClone(target);
  ops.forEach((raw: unknown, i) => {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw bad(i, 'needs "op" and "path"');
    const op = raw as unknown as JsonPatchOp;
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
    if (needsValue && !Object.hasOwn(raw, 'value')) throw bad(i, `"${op.op}" needs a "value"`);
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, structuredClone(op.value), i, false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, structuredClone(op.value), i, true);
        break;
      case 'remove':
        removeAt(doc, op.path, i);
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') throw bad(i, `"${op.op}" needs "from"`);
        const v = op.op === 'move' ? removeAt(doc, op.from, i) : structuredClone(getAt(doc, op.from, i));
        doc = addAt(doc, op.path, v, i, false);
        break;
      }
      case 'test':
        if (!isDeepStrictEqual(getAt(doc, op.path, i), op.value))
          throw bad(i, `test failed: "${op.path}" is not ${JSON.stringify(op.value)}`);
        break;
      default:
        throw bad(i, `unknown op "${op.op}" (add, remove, replace, move, copy, test)`);
    }
  });
  return doc;
}
