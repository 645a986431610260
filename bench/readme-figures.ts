/**
 * Copies the summary table of BENCHMARKS.md (between its figures markers) into the manual's
 * figures (docs/status.md, between the same markers). Run by `npm run bench` after it wrote
 * BENCHMARKS.md; by hand: `node --import tsx bench/readme-figures.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceBetweenMarkers, TABLE_BEGIN, TABLE_END } from './figures.js';

const ROOT = join(import.meta.dirname, '..');
/** The page that shows the figures to users (README links it). */
export const FIGURES_PAGE = 'docs/status.md';

export function copyFiguresToReadme(root = ROOT): void {
  const bench = readFileSync(join(root, 'BENCHMARKS.md'), 'utf8');
  const a = bench.indexOf(TABLE_BEGIN);
  const b = bench.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error('BENCHMARKS.md has no figures table between markers');
  const table = bench.slice(a + TABLE_BEGIN.length, b).trim();
  const pagePath = join(root, FIGURES_PAGE);
  writeFileSync(pagePath, replaceBetweenMarkers(readFileSync(pagePath, 'utf8'), table));
}

if (import.meta.url === `file://${process.argv[1]}`) copyFiguresToReadme();
