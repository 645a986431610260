/**
 * `-l` label selectors as kubectl accepts them, comma-separated: equality (`k=v`, `k==v`, `k!=v`),
 * sets (`k in (a,b)`, `k notin (a,b)`) and existence (`k`, `!k`).
 */
import { SwarmopError } from '../../errors.js';

export type SelectorTerm =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/** Splits at the commas between terms, not at those inside a set's parentheses. */
function splitTerms(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth += 1;
    else if (text[i] === ')') depth -= 1;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const VALUE = /^[A-Za-z0-9._-]+$/;

export function parseLabelSelector(text: string): SelectorTerm[] {
  const terms: SelectorTerm[] = [];
  for (const raw of splitTerms(text)) {
    const part = raw.trim();
    if (part === '') continue;
    const set = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim());
      if (values.every((v) => VALUE.test(v))) {
        terms.push({ key: set[1]!, op: set[2] as 'in' | 'notin', values });
        continue;
      }
    }
    const m = /^([A-Za-z0-9._/-]+)\s*(!=|==|=)\s*([A-Za-z0-9._-]*)$/.exec(part);
    if (m) {
      terms.push({ key: m[1] ?? '', op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] ?? '' });
      continue;
    }
    const e = /^(!?)([A-Za-z0-9._/-]+)$/.exec(part);
    if (e) {
      terms.push({ key: e[2] ?? '', op: e[1] === '!' ? 'notexists' : 'exists' });
      continue;
    }
    throw new SwarmopError('Invalid', `invalid label selector "${text}": cannot parse "${part}"`);
  }
  return terms;
}

export function matchesSelector(labels: Record<string, string> | undefined, terms: readonly SelectorTerm[]): boolean {
  const l = labels ?? {};
  return terms.every((t) => {
    const has = Object.hasOwn(l, t.key);
    switch (t.op) {
      case 'eq':
        return has && l[t.key] === t.value;
      case 'neq':
        return !has || l[t.key] !== t.value;
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'in':
        return has && t.values.includes(l[t.key]!);
      case 'notin':
        return !has || !t.values.includes(l[t.key]!);
    }
  });
}

/** The plain `k=v` map the store's list() filter takes, when the selector is only equalities. */
export function selectorToEqualityMap(terms: readonly SelectorTerm[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const t of terms) {
    if (t.op !== 'eq') return undefined;
    out[t.key] = t.value;
  }
  return out;
}
