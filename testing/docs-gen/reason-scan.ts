/**
 * The candidate condition and event reasons in the product code: every string literal shaped like
 * a reason (`AddressConflict`, `TLSRequired`, `Failed`) in the files that set conditions. The scan
 * is deliberately wide (kinds and condition types match too): docs-gen/reasons.ts must name each
 * literal either as a documented reason or as "not a reason", so a new reason cannot slip past the
 * troubleshooting table whichever way the code spells it (a literal, a union type, a constant).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Where reasons are set, relative to the repository root (missing folders are skipped). */
export const REASON_DIRS: readonly string[] = ['src/controllers', 'src/operator', 'src/nethelper', 'src/consul'];

/** Starts with a capital and has a lower-case letter: `TLSRequired` yes, `GET`/`ENOENT` no. */
const REASON_SHAPE = /^[A-Z](?=.*[a-z])[A-Za-z0-9]{2,}$/;

export interface ReasonSite {
  reason: string;
  /** Repository-relative file and 1-based line of each occurrence. */
  sites: string[];
}

function productFiles(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort()) {
    const rel = path.posix.join(dir, e);
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...productFiles(root, rel));
    else if (e.endsWith('.ts') && !/\.(test|spec)\.ts$/.test(e)) out.push(rel);
  }
  return out;
}

/** Reason-shaped string literals of one source text (comments and template texts are not literals). */
export function reasonLiterals(file: string, text: string): { reason: string; line: number }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: { reason: string; line: number }[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && REASON_SHAPE.test(n.text)) {
      // Import specifiers and property names in quotes are not values.
      if (!ts.isImportDeclaration(n.parent) && !ts.isExportDeclaration(n.parent)) {
        found.push({ reason: n.text, line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1 });
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** Every reason-shaped literal under REASON_DIRS, sorted by name. */
export function scanReasons(root: string, dirs: readonly string[] = REASON_DIRS): ReasonSite[] {
  const byReason = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const file of productFiles(root, dir)) {
      for (const { reason, line } of reasonLiterals(file, readFileSync(path.join(root, file), 'utf8'))) {
        const sites = byReason.get(reason) ?? [];
        sites.push(`${file}:${line}`);
        byReason.set(reason, sites);
      }
    }
  }
  return [...byReason.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([reason, sites]) => ({ reason, sites }));
}
