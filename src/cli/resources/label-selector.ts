/**
 * `-l` label selectors: equality terms only (`k=v`, `k==v`, `k!=v`) and existence (`k`, `!k`),
 * comma-separated, as kubectl accepts them.
 */
import { SwarmopError } from '../../errors.js';

export type SelectorTerm =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'exists' | 'notexists' };

export function parseLabelSelector(text: string): SelectorTerm[] {
  const terms: SelectorTerm[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
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
