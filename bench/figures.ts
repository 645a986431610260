/**
 * Figures a benchmark reports for BENCHMARKS.md's summary table (and, from there, docs/status.md's):
 * one `@figure {json}` line each, printed next to the benchmark's own detailed output.
 * `npm run bench` (bench/all.ts) collects them; bench/readme-figures.ts copies the table into
 * docs/status.md between its markers, so the manual never carries a hand-copied number.
 */
export interface Figure {
  what: string;
  /** The measured figure, e.g. "n=25 p50 80 ms p99 120 ms max 130 ms". */
  figure: string;
  /** The same job without swarmop (or by hand), measured in the same run. */
  anchor: string;
  target: string;
  /** Whether the target is met; undefined when there is no target. */
  met?: boolean;
}

export const FIGURE_MARK = '@figure ';

export function reportFigure(f: Figure): void {
  console.log(`${FIGURE_MARK}${JSON.stringify(f)}`);
}

export function parseFigures(output: string): Figure[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith(FIGURE_MARK))
    .map((l) => JSON.parse(l.slice(FIGURE_MARK.length)) as Figure);
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function figuresTable(rows: readonly (Figure & { command: string })[]): string {
  const lines = ['| what | figure | anchor (same run) | target | met | command |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const met = r.met === undefined ? '—' : r.met ? 'yes' : 'no';
    lines.push(`| ${cell(r.what)} | ${cell(r.figure)} | ${cell(r.anchor)} | ${cell(r.target)} | ${met} | \`${r.command}\` |`);
  }
  return lines.join('\n');
}

export const TABLE_BEGIN = '<!-- figures:begin (generated from BENCHMARKS.md by bench/readme-figures.ts) -->';
export const TABLE_END = '<!-- figures:end -->';

/** Replaces what is between the markers in `text` with `table`; throws when the markers are missing. */
export function replaceBetweenMarkers(text: string, table: string): string {
  const a = text.indexOf(TABLE_BEGIN);
  const b = text.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error(`markers ${TABLE_BEGIN} ... ${TABLE_END} not found`);
  return `${text.slice(0, a + TABLE_BEGIN.length)}\n${table}\n${text.slice(b)}`;
}
