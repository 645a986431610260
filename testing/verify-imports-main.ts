/**
 * hack/verify.sh's import checks: every layer violation (file:line, the import, the rule) and every
 * import cycle (the closed path) of the files named on the command line; exit 1 when any is found.
 * All findings are printed, not only the first, so one run shows the whole list. Violations named
 * in the known-violations file (`--known FILE`, lines "from -> to") are printed as known and do not
 * fail the run; a listed line that matches nothing any more is reported so it gets deleted.
 *
 * usage: node --import tsx testing/verify-imports-main.ts ROOT [--known FILE] FILES...
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { importCycles, importsOf, layerViolations } from './import-graph.js';

const args = process.argv.slice(2);
const root = args.shift() ?? process.cwd();
let knownFile: string | undefined;
if (args[0] === '--known') {
  args.shift();
  knownFile = args.shift();
}
const known = new Set(
  knownFile !== undefined && existsSync(knownFile)
    ? readFileSync(knownFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    : [],
);
const files = args.map((f) => relative(root, f) || f);
const edges = files.flatMap((f) => importsOf(f, readFileSync(`${root}/${f}`, 'utf8')));
const violations = layerViolations(edges);
const cycles = importCycles(edges);
const seen = new Set<string>();
let fresh = 0;
for (const v of violations) {
  const pair = `${v.edge.from} -> ${v.edge.to}`;
  seen.add(pair);
  const tag = known.has(pair) ? 'known layer violation' : 'layer violation';
  if (!known.has(pair)) fresh++;
  console.error(`${v.edge.from}:${v.edge.line}: ${tag}: imports '${v.edge.specifier}' (${v.edge.to}): breaks "${v.rule}"`);
}
for (const pair of known) if (!seen.has(pair)) console.error(`${knownFile}: "${pair}" no longer occurs: delete the line`);
for (const c of cycles) console.error(`import cycle: ${c.join(' -> ')}`);
const summary = `${files.length} files, ${edges.length} imports: ${fresh} new layer violation(s), ${violations.length - fresh} known, ${cycles.length} import cycle(s)`;
if (fresh > 0 || cycles.length > 0) {
  console.error(`verify-imports: ${summary}`);
  process.exit(1);
}
console.log(`verify-imports: ${summary}`);
