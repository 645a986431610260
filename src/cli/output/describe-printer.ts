/**
 * Pure kubectl-describe layout of one resource: header fields, spec and status as indented YAML,
 * a conditions table and the object's events.
 */
import { stringify } from 'yaml';
import type { Resource } from '../../crds/meta.js';
import { ageSince } from '../../format/age.js';
import { renderTable } from './table.js';

export interface EventRow {
  type: string;
  reason: string;
  message: string;
  /** RFC 3339 time of the last occurrence. */
  lastTimestamp?: string;
  count?: number;
  /** `kind/name` the event is about. */
  object: string;
  /** The component that reported it (a controller), shown as FROM. */
  source?: string;
}

function mapText(m: Record<string, string> | undefined): string[] {
  const entries = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? ['<none>'] : entries.map(([k, v]) => `${k}=${v}`);
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .filter((l, i, all) => !(l === '' && i === all.length - 1))
    .map((l) => (l === '' ? l : by + l))
    .join('\n');
}

function field(label: string, values: string[]): string {
  const pad = 20;
  const head = `${label}:`.padEnd(pad);
  return values.map((v, i) => (i === 0 ? head : ' '.repeat(pad)) + v).join('\n') + '\n';
}

export function renderEventsTable(events: readonly EventRow[], now: number, withObject: boolean): string {
  const headers = withObject ? ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'] : ['TYPE', 'REASON', 'AGE', 'FROM', 'MESSAGE'];
  const rows = events.map((e) => {
    const age = ageSince(e.lastTimestamp, now) + (e.count !== undefined && e.count > 1 ? ` (x${e.count})` : '');
    return withObject ? [age, e.type, e.reason, e.object, e.message] : [e.type, e.reason, age, e.source || '<unknown>', e.message];
  });
  return renderTable(headers, rows);
}

export function renderDescribe(r: Resource, events: readonly EventRow[], now: number): string {
  const m = r.metadata;
  let out = '';
  out += field('Name', [m.name]);
  out += field('Kind', [r.kind]);
  out += field('API Version', [r.apiVersion]);
  out += field('Labels', mapText(m.labels));
  out += field('Annotations', mapText(m.annotations));
  if (m.uid) out += field('UID', [m.uid]);
  if (m.generation !== undefined) out += field('Generation', [String(m.generation)]);
  if (m.resourceVersion) out += field('Resource Version', [m.resourceVersion]);
  if (m.creationTimestamp) out += field('Created', [`${m.creationTimestamp} (${ageSince(m.creationTimestamp, now)} ago)`]);
  if (m.deletionTimestamp) out += field('Deletion Requested', [`${m.deletionTimestamp} (${ageSince(m.deletionTimestamp, now)} ago)`]);
  if (m.finalizers && m.finalizers.length > 0) out += field('Finalizers', m.finalizers);

  out += 'Spec:\n' + indent(stringify(r.spec ?? {}), '  ') + '\n';

  const { conditions, ...statusRest } = r.status ?? {};
  out += 'Status:\n';
  out += Object.keys(statusRest).length === 0 ? '  <none>\n' : indent(stringify(statusRest), '  ') + '\n';

  out += 'Conditions:\n';
  if (!conditions || conditions.length === 0) out += '  <none>\n';
  else {
    const table = renderTable(
      ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
      conditions.map((c) => [c.type, c.status, c.reason, ageSince(c.lastTransitionTime, now), c.message]),
    );
    out += indent(table, '  ') + '\n';
  }

  out += 'Events:';
  out += events.length === 0 ? '  <none>\n' : '\n' + indent(renderEventsTable(events, now, false), '  ') + '\n';
  return out;
}
