/**
 * Pure renderings of resources for `get`: kubectl-like tables (NAME, the kind's printer columns,
 * READY, AGE, optionally LABELS), `-o name`, `-o jsonpath=`, `-o custom-columns=`, and full
 * YAML/JSON documents (a `List` for more than one object).
 */
import { stringify } from 'yaml';
import type { KindInfo } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { SwarmopError } from '../../errors.js';
import { ageSince } from '../../format/age.js';
import { renderTable } from './table.js';
import { refOf } from '../resources/kind-lookup.js';
import { compileJsonPath, evalPath, formatValue, parseFieldSpec } from './jsonpath.js';

export type OutputFormat =
  | 'table'
  | 'wide'
  | 'yaml'
  | 'json'
  | 'name'
  | { type: 'jsonpath'; template: string; /** kubectl's --allow-missing-template-keys (default true). */ allowMissing?: boolean }
  | { type: 'custom-columns'; columns: { header: string; path: string }[] };

export const OUTPUT_FORMATS_HELP = 'wide | yaml | json | name | jsonpath=TEMPLATE | custom-columns=HEADER:.path,...';

export function parseOutputFormat(text: string | undefined): OutputFormat | undefined {
  if (text === undefined) return 'table';
  const simple = (['wide', 'yaml', 'json', 'name'] as const).find((f) => f === text);
  if (simple) return simple;
  const eq = text.indexOf('=');
  if (eq < 0) return undefined;
  const kind = text.slice(0, eq);
  const arg = text.slice(eq + 1);
  if (kind === 'jsonpath') {
    if (arg === '') throw new SwarmopError('Invalid', '-o jsonpath= needs a template, e.g. jsonpath={.metadata.name}');
    compileJsonPath(arg); // reject a bad template before anything is read
    return { type: 'jsonpath', template: arg };
  }
  if (kind === 'custom-columns') {
    const columns = arg.split(',').map((part) => {
      const colon = part.indexOf(':');
      if (colon <= 0 || colon === part.length - 1) {
        throw new SwarmopError('Invalid', `custom-columns: "${part}" is not HEADER:.field.path`);
      }
      const path = part.slice(colon + 1);
      parseFieldSpec(path);
      return { header: part.slice(0, colon), path };
    });
    return { type: 'custom-columns', columns };
  }
  return undefined;
}

/**
 * `True`, or the status with the reason when not True (`False (AddressConflict)`), like kubectl's
 * STATUS; `Terminating` once deleted while finalizers still hold the object (as kubectl shows pods).
 */
export function readyOf(r: Resource): string {
  if (r.metadata.deletionTimestamp) return 'Terminating';
  const c = r.status?.conditions?.find((x) => x.type === 'Ready');
  if (!c) return 'Unknown';
  return c.status === 'True' || !c.reason ? c.status : `${c.status} (${c.reason})`;
}

function columnsFor(kind: KindInfo, wide: boolean): KindInfo['printerColumns'] {
  return kind.printerColumns.filter((c) => wide || !c.wide);
}

export interface TableOptions {
  wide: boolean;
  now: number;
  showLabels?: boolean;
  noHeaders?: boolean;
  /** Prefix names with `kind/` (several kinds in one output). */
  withKind?: boolean;
}

export function labelsText(r: Resource): string {
  const entries = Object.entries(r.metadata.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

export function tableHeaders(kind: KindInfo, wide: boolean, showLabels = false): string[] {
  return ['NAME', ...columnsFor(kind, wide).map((c) => c.name.toUpperCase()), 'READY', 'AGE', ...(showLabels ? ['LABELS'] : [])];
}

export function tableRow(kind: KindInfo, r: Resource, options: Omit<TableOptions, 'noHeaders'>): string[] {
  const cols = columnsFor(kind, options.wide).map((c) => {
    try {
      return c.value(r) || '<none>';
    } catch {
      return '<invalid>';
    }
  });
  const name = options.withKind ? `${kind.singular}/${r.metadata.name}` : r.metadata.name;
  return [name, ...cols, readyOf(r), ageSince(r.metadata.creationTimestamp, options.now), ...(options.showLabels ? [labelsText(r)] : [])];
}

function dropHeader(text: string, noHeaders: boolean | undefined): string {
  return noHeaders ? text.slice(text.indexOf('\n') + 1) : text;
}

export function renderResourceTable(kind: KindInfo, resources: readonly Resource[], options: TableOptions): string {
  const table = renderTable(
    tableHeaders(kind, options.wide, options.showLabels),
    resources.map((r) => tableRow(kind, r, options)),
  );
  return dropHeader(table, options.noHeaders);
}

/** Object key order as kubectl shows it, whatever order the store assembled it in. */
export function displayObject(r: Resource): Record<string, unknown> {
  const out: Record<string, unknown> = { apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata, spec: r.spec };
  if (r.status !== undefined) out.status = r.status;
  return out;
}

/** What jsonpath and yaml/json see: the object itself, or a List of them. */
export function documentBody(resources: readonly Resource[], single: boolean): Record<string, unknown> {
  return single && resources.length === 1
    ? displayObject(resources[0]!)
    : { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: resources.map(displayObject) };
}

export function renderDocuments(resources: readonly Resource[], format: 'yaml' | 'json', single: boolean): string {
  const body = documentBody(resources, single);
  return format === 'json' ? `${JSON.stringify(body, null, 2)}\n` : stringify(body);
}

export function renderNames(resources: readonly Resource[]): string {
  return resources.map((r) => `${refOf(r)}\n`).join('');
}

/** A missing field prints nothing unless `allowMissing` is false (kubectl's --allow-missing-template-keys). */
export function renderJsonPath(resources: readonly Resource[], template: string, single: boolean, allowMissing = true): string {
  return compileJsonPath(template, { allowMissing })(JSON.parse(JSON.stringify(documentBody(resources, single))));
}

export function renderCustomColumns(
  resources: readonly Resource[],
  columns: readonly { header: string; path: string }[],
  noHeaders = false,
): string {
  const paths = columns.map((c) => parseFieldSpec(c.path));
  const rows = resources.map((r) => {
    const data: unknown = JSON.parse(JSON.stringify(displayObject(r)));
    return paths.map((p) => {
      const found = evalPath(data, p);
      return found.length === 0 ? '<none>' : found.map(formatValue).join(',');
    });
  });
  return dropHeader(
    renderTable(
      columns.map((c) => c.header),
      rows,
    ),
    noHeaders,
  );
}

/** `--sort-by=.spec.host`: numbers numerically, everything else as text; objects without the field last. */
export function sortResources(resources: Resource[], spec: string): Resource[] {
  const path = parseFieldSpec(spec);
  const keyOf = (r: Resource): unknown => evalPath(JSON.parse(JSON.stringify(displayObject(r))), path)[0];
  const keyed = resources.map((r) => ({ r, k: keyOf(r) }));
  keyed.sort((a, b) => {
    if (a.k === undefined || b.k === undefined) return a.k === undefined ? (b.k === undefined ? 0 : 1) : -1;
    if (typeof a.k === 'number' && typeof b.k === 'number') return a.k - b.k;
    return formatValue(a.k).localeCompare(formatValue(b.k));
  });
  return keyed.map((x) => x.r);
}
