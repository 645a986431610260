/**
 * hack/verify.sh's import checks: every layer violation (file:line, the import, the rule) and every
 * import cycle (the closed path) of the files named on the command line; exit 1 when any is found.
 * All findings are printed, not only the first, so one run shows the whole list.
 *
 * usage: node --import tsx hack/lib/verify-imports-main.ts ROOT FILES...
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { importCycles, importsOf, layerViolations } from './import-graph.js';

const args = process.argv.slice(2);
const root = args.shift() ?? process.cwd();
const files = args.map((f) => relative(root, f) || f);
const edges = files.flatMap((f) => importsOf(f, readFileSync(`${root}/${f}`, 'utf8')));
const violations = layerViolations(edges);
const cycles = importCycles(edges);
for (const v of violations) {
  console.error(`${v.edge.from}:${v.edge.line}: layer violation: imports '${v.edge.specifier}' (${v.edge.to}): breaks "${v.rule}"`);
}
for (const c of cycles) console.error(`import cycle: ${c.join(' -> ')}`);
const summary = `${files.length} files, ${edges.length} imports: ${violations.length} layer violation(s), ${cycles.length} import cycle(s)`;
if (violations.length > 0 || cycles.length > 0) {
  console.error(`verify-imports: ${summary}`);
  process.exit(1);
}
console.log(`verify-imports: ${summary}`);
