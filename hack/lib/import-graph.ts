/**
 * The TypeScript import graph of the tree and the rules hack/verify.sh holds it to: layers that may
 * not import each other (a kind-agnostic runtime that knew the store's or a controller's modules
 * could no longer be tested or reused on its own; product code that reached into test support
 * would ship it) and no import cycles (a cycle makes module load order decide which side sees
 * `undefined`, and means the two modules are one concern split in two).
 *
 * Edges are the relative imports of each file: `import`, `export ... from` and `import('...')`.
 * `import type` edges count for the layers (a type still couples the code) but not for cycles
 * (they vanish at run time, and a type shared both ways is not a load-order hazard).
 */
import path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  from: string;
  to: string;
  line: number;
  specifier: string;
  typeOnly: boolean;
}

export interface LayerRule {
  name: string;
  /** Files the rule applies to. */
  appliesTo: (file: string) => boolean;
  /** Targets those files may not import (`from` is the importing file). */
  forbidden: (target: string, from: string) => boolean;
}

export interface Violation {
  rule: string;
  edge: ImportEdge;
}

const isTest = (f: string): boolean => /\.(test|spec)\.ts$/.test(f);
const under =
  (dir: string) =>
  (f: string): boolean =>
    f.startsWith(`${dir}/`);
/** The kind folder a file is in (`src/controllers/<kind>/...`), or undefined for the shared files beside them. */
const kindFolder = (f: string): string | undefined => /^src\/controllers\/([^/]+)\//.exec(f)?.[1];

/** The project's layer rules (paths relative to the repository root). */
export const LAYER_RULES: readonly LayerRule[] = [
  {
    name: 'src/runtime imports nothing from src/crds, src/controllers, src/operator, src/store',
    appliesTo: (f) => under('src/runtime')(f) && !isTest(f),
    forbidden: (t) => ['src/crds', 'src/controllers', 'src/operator', 'src/store'].some((d) => under(d)(t)),
  },
  {
    name: 'product code (src/, not tests) imports nothing from testing/, e2e/, bench/, hack/',
    appliesTo: (f) => under('src')(f) && !isTest(f),
    forbidden: (t) => ['testing', 'e2e', 'bench', 'hack'].some((d) => under(d)(t)),
  },
  {
    // Each kind stands alone: what two kinds share lives beside them (src/controllers/*.ts) or in
    // its own home (src/nethelper, src/consul), so one kind can change without reading another.
    name: 'a controller folder (src/controllers/<kind>/) imports nothing from another controller folder',
    appliesTo: (f) => kindFolder(f) !== undefined,
    // The one declared exception: ServiceAddresses attaches each task slot through StaticIPAttachment's
    // reconciler, and may import that kind's public surface (its index.ts), nothing else of it.
    forbidden: (t, f) =>
      kindFolder(t) !== undefined &&
      kindFolder(t) !== kindFolder(f) &&
      !(kindFolder(f) === 'serviceaddresses' && t === 'src/controllers/staticipattachment/index.ts'),
  },
  {
    // The command line is the outermost layer: the operator and its status page run without it.
    name: 'src/ui and src/operator import nothing from src/cli',
    appliesTo: (f) => under('src/ui')(f) || under('src/operator')(f),
    forbidden: under('src/cli'),
  },
  {
    name: 'the shared homes (src/nethelper, src/consul, src/format) import nothing from src/controllers, src/operator, src/cli, src/ui',
    appliesTo: (f) => ['src/nethelper', 'src/consul', 'src/format'].some((d) => under(d)(f)) && !isTest(f),
    forbidden: (t) => ['src/controllers', 'src/operator', 'src/cli', 'src/ui'].some((d) => under(d)(t)),
  },
];

/** The relative imports of one file; `file` and the returned targets are repository-relative. */
export function importsOf(file: string, text: string): ImportEdge[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (spec: ts.Expression | undefined, typeOnly: boolean, at: ts.Node): void => {
    if (!spec || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.')) return;
    const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec.text)).replace(/\.js$/, '.ts');
    edges.push({ from: file, to, line: sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1, specifier: spec.text, typeOnly });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) {
      const c = n.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const allTypes = c !== undefined && !c.name && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(n.moduleSpecifier, c?.isTypeOnly === true || allTypes, n);
    } else if (ts.isExportDeclaration(n)) {
      add(n.moduleSpecifier, n.isTypeOnly, n);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(n.arguments[0], false, n);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) {
      add(n.argument.literal as ts.Expression, true, n);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return edges;
}

export function layerViolations(edges: readonly ImportEdge[], rules: readonly LayerRule[] = LAYER_RULES): Violation[] {
  const out: Violation[] = [];
  for (const edge of edges)
    for (const rule of rules) if (rule.appliesTo(edge.from) && rule.forbidden(edge.to, edge.from)) out.push({ rule: rule.name, edge });
  return out;
}

/**
 * Import cycles over the run-time edges: one entry per strongly connected component with more than
 * one file (or a file importing itself), as a closed path through it (first file repeated last).
 */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.typeOnly) continue;
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || next.get(v)?.has(v)) components.push(comp);
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) connect(v);
  return components.map((comp) => cyclePath(comp, next)).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** A shortest closed path from the component's first file (sorted) back to itself. */
function cyclePath(comp: readonly string[], next: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const members = new Set(comp);
  const start = [...comp].sort()[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x: string | undefined = v; x !== undefined && x !== start; x = prev.get(x)) path.splice(1, 0, x);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
