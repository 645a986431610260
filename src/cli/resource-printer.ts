/**
 * Pure renderings of resources for `get`: kubectl-like tables (NAME, the kind's printer columns,
 * READY, AGE), `-o name`, and full YAML/JSON documents.
 */
import { stringify } from 'yaml';
import type { KindInfo } from '../crds/index.js';
import type { Resource } from '../crds/meta.js';
import { ageSince } from './age.js';
import { renderTable } from './table.js';
import { refOf } from './kinds.js';

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';

export function parseOutputFormat(text: string | undefined): OutputFormat | undefined {
  if (text === undefined) return 'table';
  return (['wide', 'yaml', 'json', 'name'] as const).find((f) => f === text);
}

/** Status of the Ready condition, or `Unknown` when no controller reported one yet. */
export function readyOf(r: Resource): string {
  return r.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

function columnsFor(kind: KindInfo, wide: boolean): KindInfo['printerColumns'] {
  return kind.printerColumns.filter((c) => wide || !c.wide);
}

export function tableHeaders(kind: KindInfo, wide: boolean): string[] {
  return ['NAME', ...columnsFor(kind, wide).map((c) => c.name.toUpperCase()), 'READY', 'AGE'];
}

export function tableRow(kind: KindInfo, r: Resource, options: { wide: boolean; now: number }): string[] {
  const cols = columnsFor(kind, options.wide).map((c) => {
    try {
      return c.value(r) || '<none>';
    } catch {
      return '<invalid>';
    }
  });
  return [r.metadata.name, ...cols, readyOf(r), ageSince(r.metadata.creationTimestamp, options.now)];
}

export function renderResourceTable(kind: KindInfo, resources: readonly Resource[], options: { wide: boolean; now: number }): string {
  return renderTable(
    tableHeaders(kind, options.wide),
    resources.map((r) => tableRow(kind, r, options)),
  );
}

/** Object key order as kubectl shows it, whatever order the store assembled it in. */
export function displayObject(r: Resource): Record<string, unknown> {
  const out: Record<string, unknown> = { apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata, spec: r.spec };
  if (r.status !== undefined) out.status = r.status;
  return out;
}

export function renderDocuments(resources: readonly Resource[], format: 'yaml' | 'json', single: boolean): string {
  const body = single && resources.length === 1
    ? displayObject(resources[0]!)
    : { apiVersion: 'v1', kind: 'List', items: resources.map(displayObject) };
  return format === 'json' ? `${JSON.stringify(body, null, 2)}\n` : stringify(body);
}

export function renderNames(resources: readonly Resource[]): string {
  return resources.map((r) => `${refOf(r)}\n`).join('');
}
