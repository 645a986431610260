/** `swarmop get KIND [NAME] [-o wide|yaml|json|name] [-l k=v,...] [-w]` */
import type { Command } from 'commander';
import { action, type CliContext, type StoreHandle } from '../cli-context.js';
import { ExitCode } from '../exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { KINDS, type KindInfo } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { notFound, requireKind } from '../kinds.js';
import { matchesSelector, parseLabelSelector, type SelectorTerm } from '../label-selector.js';
import { getOrUndefined, listKind, pick } from '../store-reads.js';
import { watchPrefix } from '../kv-watch.js';
import {
  parseOutputFormat,
  renderDocuments,
  renderNames,
  renderResourceTable,
  tableHeaders,
  tableRow,
  type OutputFormat,
} from '../resource-printer.js';
import { renderTable } from '../table.js';

interface GetOptions {
  output?: string;
  selector?: string;
  watch?: boolean;
}

export function registerGet(program: Command, ctx: CliContext): void {
  program
    .command('get')
    .description('list resources of a kind, or show one (kinds accept singular, plural and short names, e.g. sia)')
    .argument('<kind>', 'dockerhost, consulcluster, swarmcluster, staticipattachment (or plural / short form), or all')
    .argument('[name]', 'one resource')
    .option('-o, --output <format>', 'wide | yaml | json | name')
    .option('-l, --selector <selector>', 'label selector, e.g. role=server,zone!=b')
    .option('-w, --watch', 'after listing, keep printing changes (Ctrl-C to stop)')
    .action(
      action(ctx, async (kindArg: string, name: string | undefined, opts: GetOptions) => {
        const format = parseOutputFormat(opts.output);
        if (!format) throw new SwarmopError('Invalid', `invalid output format "${opts.output}": use wide, yaml, json or name`);
        const selector = parseLabelSelector(opts.selector ?? '');
        if (kindArg.toLowerCase() === 'all') {
          if (name !== undefined || opts.watch) throw new SwarmopError('Invalid', '"get all" takes no NAME and no --watch');
          return getAll(ctx, selector, format);
        }
        const kind = requireKind(kindArg);
        const handle = ctx.open();
        if (opts.watch) {
          await watchGet(ctx, handle, { kind, name, selector, format });
          return ExitCode.Ok;
        }
        let resources: Resource[];
        if (name !== undefined) {
          const r = await getOrUndefined(handle, kind, name);
          if (!r) throw notFound(kind, name);
          resources = [r];
        } else {
          resources = await listKind(handle, kind, selector);
        }
        if (resources.length === 0) {
          ctx.io.stderr('No resources found.\n');
          return ExitCode.Ok;
        }
        ctx.io.stdout(render(kind, resources, format, name !== undefined, ctx.io.now()));
        return ExitCode.Ok;
      }),
    );
}

/** `get all`: one table per kind that has objects (names as kind/name), or one list document. */
async function getAll(ctx: CliContext, selector: readonly SelectorTerm[], format: OutputFormat): Promise<number> {
  const handle = ctx.open();
  const all = (await handle.store.listAll()).filter((r) => matchesSelector(r.metadata.labels, selector));
  if (all.length === 0) {
    ctx.io.stderr('No resources found.\n');
    return ExitCode.Ok;
  }
  if (format === 'yaml' || format === 'json' || format === 'name') {
    ctx.io.stdout(render(KINDS[0]!, all, format, false, ctx.io.now()));
    return ExitCode.Ok;
  }
  const tables: string[] = [];
  for (const kind of KINDS) {
    const ofKind = all.filter((r) => r.kind === kind.kind);
    if (ofKind.length === 0) continue;
    const rows = ofKind.map((r) => {
      const row = tableRow(kind, r, { wide: format === 'wide', now: ctx.io.now() });
      row[0] = `${kind.singular}/${row[0]}`;
      return row;
    });
    tables.push(renderTable(tableHeaders(kind, format === 'wide'), rows));
  }
  ctx.io.stdout(tables.join('\n'));
  return ExitCode.Ok;
}

function render(kind: KindInfo, resources: Resource[], format: OutputFormat, single: boolean, now: number): string {
  switch (format) {
    case 'table':
    case 'wide':
      return renderResourceTable(kind, resources, { wide: format === 'wide', now });
    case 'name':
      return renderNames(resources);
    case 'yaml':
    case 'json':
      return renderDocuments(resources, format, single);
  }
}

/** Everything that makes a row or document change: spec/metadata version and the status. */
function fingerprint(r: Resource): string {
  return `${r.metadata.resourceVersion ?? ''}|${r.metadata.deletionTimestamp ?? ''}|${JSON.stringify(r.status ?? null)}`;
}

async function watchGet(
  ctx: CliContext,
  handle: StoreHandle,
  q: { kind: KindInfo; name: string | undefined; selector: readonly SelectorTerm[]; format: OutputFormat },
): Promise<void> {
  const { io } = ctx;
  const seen = new Map<string, { fp: string; last: Resource }>();
  let headerPrinted = false;
  const emit = (r: Resource, deleted: boolean): void => {
    switch (q.format) {
      case 'table':
      case 'wide': {
        const wide = q.format === 'wide';
        const row = tableRow(q.kind, r, { wide, now: io.now() });
        if (deleted) row[row.length - 2] = 'Deleted';
        // Rows are printed one at a time, so pad them to the header's widths, as kubectl does.
        const table = renderTable(tableHeaders(q.kind, wide), [row]).split('\n');
        if (!headerPrinted) io.stdout(`${table[0]}\n`);
        headerPrinted = true;
        io.stdout(`${table[1]}\n`);
        break;
      }
      case 'name':
        io.stdout(renderNames([r]));
        break;
      case 'yaml':
        io.stdout(`${renderDocuments([r], 'yaml', true)}---\n`);
        break;
      case 'json':
        io.stdout(renderDocuments([r], 'json', true));
        break;
    }
  };
  let first = true;
  for await (const snapshot of watchPrefix(handle.kv, handle.prefix, { signal: io.signal })) {
    const current = pick(handle, snapshot.pairs, q.kind, q.name).filter((r) => matchesSelector(r.metadata.labels, q.selector));
    const names = new Set<string>();
    for (const r of current) {
      names.add(r.metadata.name);
      const fp = fingerprint(r);
      if (seen.get(r.metadata.name)?.fp !== fp) emit(r, false);
      seen.set(r.metadata.name, { fp, last: r });
    }
    for (const [name, { last }] of [...seen]) {
      if (names.has(name)) continue;
      emit(last, true);
      seen.delete(name);
    }
    if (first && current.length === 0) io.stderr('No resources found.\n');
    first = false;
  }
}
