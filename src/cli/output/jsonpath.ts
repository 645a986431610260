/**
 * kubectl's JSONPath templates for `-o jsonpath=`, `-o custom-columns=` and `--sort-by`: text with
 * `{...}` actions; paths `.a.b`, `..a` (recursive), `[n]`, `[a:b]`, `[*]`, `.*`, `['key']`,
 * filters `[?(@.type=="Ready")]` (==, !=, <, <=, >, >=, or existence), `{range PATH}...{end}` and
 * string literals `{"\n"}`. Several results of one action print space-separated; objects print as
 * JSON; a path that finds nothing is an error, as in kubectl (unless allowMissing).
 */
import { SwarmopError } from '../../errors.js';

type Segment =
  | { t: 'field'; name: string }
  | { t: 'wild' }
  | { t: 'recurse'; name: string | '*' }
  | { t: 'index'; i: number }
  | { t: 'slice'; from?: number; to?: number }
  | { t: 'filter'; path: Segment[]; op?: string; value?: unknown };

type Node = { t: 'text'; text: string } | { t: 'path'; path: Segment[]; source: string } | { t: 'range'; path: Segment[]; body: Node[] };

function bad(template: string, why: string): SwarmopError {
  return new SwarmopError('Invalid', `invalid jsonpath "${template}": ${why}`);
}

function parseLiteral(text: string, template: string): unknown {
  const s = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === 'true' || s === 'false') return s === 'true';
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(s) ?? /^'((?:[^'\\]|\\.)*)'$/.exec(s);
  if (m) return (m[1] ?? '').replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
  throw bad(template, `cannot read the value ${text}`);
}

/** Parses `.a.b[0]` etc.; a leading `$` or `@` is the current object. */
export function parsePath(src: string, template = src): Segment[] {
  let i = 0;
  const s = src.trim();
  if (s[0] === '$' || s[0] === '@') i = 1;
  const segs: Segment[] = [];
  const ident = (): string => {
    const m = /^[A-Za-z0-9_\-/]+/.exec(s.slice(i));
    if (!m) throw bad(template, `expected a field name at "${s.slice(i)}"`);
    i += m[0].length;
    return m[0];
  };
  while (i < s.length) {
    if (s.startsWith('..', i)) {
      i += 2;
      if (s[i] === '*') {
        i += 1;
        segs.push({ t: 'recurse', name: '*' });
      } else segs.push({ t: 'recurse', name: ident() });
    } else if (s[i] === '.') {
      i += 1;
      if (i >= s.length) break; // "." alone is the object itself
      if (s[i] === '*') {
        i += 1;
        segs.push({ t: 'wild' });
      } else if (s[i] === '[') continue;
      else segs.push({ t: 'field', name: ident() });
    } else if (s[i] === '[') {
      let depth = 0;
      let j = i;
      for (; j < s.length; j += 1) {
        if (s[j] === '[' || s[j] === '(') depth += 1;
        if (s[j] === ']' || s[j] === ')') depth -= 1;
        if (depth === 0) break;
      }
      if (j >= s.length) throw bad(template, 'unclosed [');
      const inner = s.slice(i + 1, j).trim();
      i = j + 1;
      if (inner === '*') segs.push({ t: 'wild' });
      else if (/^-?\d+$/.test(inner)) segs.push({ t: 'index', i: Number(inner) });
      else if (/^-?\d*:-?\d*$/.test(inner)) {
        const [a, b] = inner.split(':');
        segs.push({ t: 'slice', ...(a ? { from: Number(a) } : {}), ...(b ? { to: Number(b) } : {}) });
      } else if (/^'.*'$|^".*"$/.test(inner)) segs.push({ t: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) {
        const body = inner.slice(2, -1).trim();
        const m = /^(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(body);
        if (m)
          segs.push({ t: 'filter', path: parsePath(m[1] ?? '@', template), op: m[2] ?? '==', value: parseLiteral(m[3] ?? '', template) });
        else if (/^@/.test(body)) segs.push({ t: 'filter', path: parsePath(body, template) });
        else throw bad(template, `cannot read the filter ${inner}`);
      } else throw bad(template, `cannot read [${inner}]`);
    } else throw bad(template, `unexpected "${s[i]}" in ${src}`);
  }
  return segs;
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object') return Object.values(v);
  return [];
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b || (a !== undefined && String(a) === String(b) && typeof b !== 'number') || (typeof b === 'number' && Number(a) === b);
    case '!=':
      return !compare(a, '==', b);
    default: {
      const x = Number(a);
      const y = Number(b);
      if (Number.isNaN(x) || Number.isNaN(y)) return false;
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
  }
}

export function evalPath(root: unknown, segs: readonly Segment[]): unknown[] {
  let cur: unknown[] = [root];
  for (const seg of segs) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (seg.t) {
        case 'field':
          if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, seg.name))
            next.push((v as Record<string, unknown>)[seg.name]);
          break;
        case 'wild':
          next.push(...children(v));
          break;
        case 'index':
          if (Array.isArray(v)) {
            const k = seg.i < 0 ? v.length + seg.i : seg.i;
            if (k >= 0 && k < v.length) next.push(v[k]);
          }
          break;
        case 'slice':
          if (Array.isArray(v)) next.push(...v.slice(seg.from ?? 0, seg.to ?? v.length));
          break;
        case 'filter':
          for (const item of Array.isArray(v) ? v : [v]) {
            const found = evalPath(item, seg.path);
            if (seg.op === undefined ? found.length > 0 : found.some((f) => compare(f, seg.op!, seg.value))) next.push(item);
          }
          break;
        case 'recurse': {
          const walk = (x: unknown): void => {
            if (x === null || typeof x !== 'object') return;
            if (seg.name === '*') next.push(...children(x));
            else if (!Array.isArray(x) && Object.hasOwn(x, seg.name)) next.push((x as Record<string, unknown>)[seg.name]);
            for (const c of children(x)) walk(c);
          };
          walk(v);
          break;
        }
      }
    }
    cur = next;
  }
  return cur;
}

function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: { body: Node[] }[] = [{ body: root }];
  let i = 0;
  const out = (): Node[] => stack[stack.length - 1]!.body;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out().push({ t: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) out().push({ t: 'text', text: template.slice(i, open) });
    // Find the matching "}" outside quotes.
    let j = open + 1;
    let quote: string | undefined;
    for (; j < template.length; j += 1) {
      const c = template[j];
      if (quote) {
        if (c === '\\') j += 1;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (j >= template.length) throw bad(template, 'unclosed {');
    const action = template.slice(open + 1, j).trim();
    i = j + 1;
    if (action === 'end') {
      if (stack.length === 1) throw bad(template, '{end} without {range}');
      stack.pop();
    } else if (action.startsWith('range ')) {
      const node: Node = { t: 'range', path: parsePath(action.slice(6), template), body: [] };
      out().push(node);
      stack.push(node);
    } else if (/^["']/.test(action)) out().push({ t: 'text', text: String(parseLiteral(action, template)) });
    else out().push({ t: 'path', path: parsePath(action, template), source: action });
  }
  if (stack.length > 1) throw bad(template, '{range} without {end}');
  return root;
}

export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A compiled template; `render(data)` gives the text. */
export function compileJsonPath(template: string, options: { allowMissing?: boolean } = {}): (data: unknown) => string {
  const nodes = parseTemplate(template);
  const run = (ns: readonly Node[], data: unknown): string =>
    ns
      .map((n) => {
        if (n.t === 'text') return n.text;
        const found = evalPath(data, n.path);
        if (n.t === 'range') return found.map((item) => run(n.body, item)).join('');
        if (found.length === 0 && !options.allowMissing) throw new SwarmopError('Invalid', `jsonpath ${n.source}: not found`);
        return found.map(formatValue).join(' ');
      })
      .join('');
  return (data) => run(nodes, data);
}

/** A bare path for custom-columns and --sort-by: `.a.b` or `{.a.b}`. */
export function parseFieldSpec(spec: string): Segment[] {
  const s = spec.trim();
  const inner = s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1) : s;
  if (!inner.startsWith('.') && !inner.startsWith('$') && !inner.startsWith('@')) {
    throw new SwarmopError('Invalid', `invalid field path "${spec}": it must start with "." (e.g. .metadata.name)`);
  }
  return parsePath(inner, spec);
}
