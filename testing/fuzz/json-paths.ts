/** Plain-JSON helpers for mutating parsed manifests by path (the fuzzer's object-level edits). */
export type JsonPath = (string | number)[];

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Every path in the value, depth-first, the root ([]) included. */
export function allPaths(value: unknown, base: JsonPath = []): JsonPath[] {
  const out: JsonPath[] = [base];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...allPaths(v, [...base, i])));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) out.push(...allPaths(v, [...base, k]));
  return out;
}

export function getAt(value: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = value;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isRecord(cur)) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

/** Sets the value at path, creating mappings on the way; returns false when a list/scalar blocks it. */
export function setAt(root: unknown, path: readonly (string | number)[], value: unknown): boolean {
  if (path.length === 0) return false;
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    let next = Array.isArray(cur) && typeof seg === 'number' ? cur[seg] : isRecord(cur) ? cur[String(seg)] : undefined;
    if (next === undefined && isRecord(cur)) {
      next = {};
      cur[String(seg)] = next;
    }
    if (next === null || typeof next !== 'object') return false;
    cur = next;
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(cur) && typeof last === 'number') cur[last] = value;
  else if (isRecord(cur)) cur[String(last)] = value;
  else return false;
  return true;
}

export function deleteAt(root: unknown, path: readonly (string | number)[]): boolean {
  if (path.length === 0) return false;
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number' && last < parent.length) {
    parent.splice(last, 1);
    return true;
  }
  if (isRecord(parent) && String(last) in parent) {
    delete parent[String(last)];
    return true;
  }
  return false;
}
