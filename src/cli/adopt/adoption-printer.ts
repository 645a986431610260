/** The adoption report as a person reads it (a table, then each object's facts and steps) or as JSON. */
import { ADOPTION_VERDICTS, type AdoptionFinding, type AdoptionVerdict } from '../../controllers/adoption-finding.js';
import { renderTable } from '../output/table.js';

function ref(f: AdoptionFinding): string {
  return `${f.kind.toLowerCase()}/${f.name}`;
}

export function adoptionTable(findings: readonly AdoptionFinding[]): string {
  const rows = findings.map((f) => [ref(f), f.host ?? '-', f.verdict, f.reason ?? '']);
  const details = findings.map((f) => {
    const lines = [`${ref(f)}${f.host ? ` on ${f.host}` : ''}: ${f.verdict}${f.reason ? ` (${f.reason})` : ''}`];
    if (f.message) lines.push(`  ${f.message}`);
    if (f.found.length > 0) lines.push('  found:', ...f.found.map((x) => `    ${x}`));
    if (f.steps.length > 0)
      lines.push(`  ${f.verdict === 'unobserved' ? 'apply would first' : 'apply would'}:`, ...f.steps.map((x) => `    ${x}`));
    return lines.join('\n');
  });
  return `${renderTable(['OBJECT', 'HOST', 'VERDICT', 'REASON'], rows)}\n${details.join('\n\n')}\n\n${summaryLine(findings)}\n`;
}

export function summaryCounts(findings: readonly AdoptionFinding[]): Record<AdoptionVerdict, number> {
  const counts = Object.fromEntries(ADOPTION_VERDICTS.map((v) => [v, 0])) as Record<AdoptionVerdict, number>;
  for (const f of findings) counts[f.verdict]++;
  return counts;
}

function summaryLine(findings: readonly AdoptionFinding[]): string {
  const counts = summaryCounts(findings);
  const parts = ADOPTION_VERDICTS.filter((v) => counts[v] > 0).map((v) => `${counts[v]} ${v}`);
  return `${findings.length} object${findings.length === 1 ? '' : 's'}: ${parts.join(', ')}. Nothing was written (dry run).`;
}

export function adoptionJson(findings: readonly AdoptionFinding[]): string {
  return `${JSON.stringify({ dryRun: true, items: findings, summary: summaryCounts(findings) }, null, 2)}\n`;
}
