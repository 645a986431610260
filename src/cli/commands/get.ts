/**
 * `swarmop get (KIND[,KIND...]|all) [NAME...] | KIND/NAME...` with `-o`, `-l`, `--sort-by`,
 * `--no-headers`, `--show-labels` and `-w`.
 */
import type { Command } from 'commander';
import { action, type CliContext, type StoreHandle } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import type { KindInfo } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { matchesSelector, parseLabelSelector, type SelectorTerm } from '../resources/label-selector.js';
import { pick } from '../resources/store-reads.js';
import { watchPrefix } from '../watch/kv-watch.js';
import {
  OUTPUT_FORMATS_HELP,
  parseOutputFormat,
  renderCustomColumns,
  renderDocuments,
  renderJsonPath,
  renderNames,
  renderResourceTable,
  sortResources,
  tableHeaders,
  tableRow,
  type OutputFormat,
} from '../output/resource-printer.js';
import { renderTable } from '../output/table.js';
import { kindsOf } from '../resources/resource-args.js';
import { resourceArgsOrFiles } from '../manifests/manifest-refs.js';
import { collect } from '../manifests/load-manifests.js';
import { fetchResources } from '../resources/resource-fetch.js';
import { allNamespacesOption } from '../program/all-namespaces.js';
import { withExamples } from '../program/examples.js';
import { parseBool } from '../config/connection-settings.js';

interface GetOptions {
  output?: string;
  selector?: string;
  watch?: boolean;
  sortBy?: string;
  noHeaders?: boolean;
  showLabels?: boolean;
  allowMissingTemplateKeys: boolean;
  filename?: string[];
  recursive?: boolean;
}

function parseBoolFlag(name: string): (v: string | undefined) => boolean {
  return (v) => {
    if (v === undefined) return true;
    const b = parseBool(v);
    if (b === undefined) throw new SwarmopError('Invalid', `${name} must be true or false, got "${v}"`);
    return b;
  };
}

export interface RenderOptions {
  format: OutputFormat;
  /** One object was asked for by name: yaml/json/jsonpath show it alone, not in a List. */
  single: boolean;
  /** Several kinds: tables show `kind/name`. */
  withKind: boolean;
  noHeaders: boolean;
  showLabels: boolean;
  now: number;
}

/** Renders fetched objects (already sorted); tables are one per kind, in `kinds` order. */
export function renderGet(kinds: readonly KindInfo[], resources: Resource[], o: RenderOptions): string {
  const f = o.format;
  if (typeof f === 'object') {
    return f.type === 'jsonpath'
      ? renderJsonPath(resources, f.template, o.single, f.allowMissing)
      : renderCustomColumns(resources, f.columns, o.noHeaders);
  }
  switch (f) {
    case 'name':
      return renderNames(resources);
    case 'yaml':
    case 'json':
      return renderDocuments(resources, f, o.single);
    case 'table':
    case 'wide': {
      const tables: string[] = [];
      for (const kind of kinds) {
        const ofKind = resources.filter((r) => r.kind === kind.kind);
        if (ofKind.length === 0) continue;
        tables.push(
          renderResourceTable(kind, ofKind, {
            wide: f === 'wide',
            now: o.now,
            showLabels: o.showLabels,
            noHeaders: o.noHeaders,
            withKind: o.withKind,
          }),
        );
      }
      return tables.join(o.noHeaders ? '' : '\n');
    }
  }
}

export function registerGet(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('get')
    .description('list resources of one or more kinds, or show some by name (kinds accept singular, plural and short names, e.g. sia)')
    .argument(
      '[resources...]',
      'KIND[,KIND...] [NAME...] | all | KIND/NAME... (kinds: dockerhost, consulcluster, swarmcluster, staticipattachment, serviceaddresses, or plural / short form)',
    )
    .option('-f, --filename <path>', 'the objects these manifests name (file, folder or -); repeatable', collect)
    .option('-R, --recursive', 'with -f: process folders recursively')
    .option('-o, --output <format>', OUTPUT_FORMATS_HELP)
    .option('-l, --selector <selector>', 'label selector, e.g. role=server,zone!=b')
    .option('--sort-by <path>', 'sort by a field, e.g. .spec.host or {.metadata.creationTimestamp}')
    .option('--no-headers', 'tables without the header line')
    .option('--show-labels', 'add a LABELS column')
    .option('-w, --watch', 'after listing, keep printing changes (one kind only; Ctrl-C to stop)')
    .addOption(allNamespacesOption())
    .option(
      '--allow-missing-template-keys [bool]',
      'jsonpath: a missing field prints nothing (default true, as in kubectl); =false makes it an error',
      parseBoolFlag('--allow-missing-template-keys'),
      true,
    )
    .action(
      action(ctx, async (args: string[], opts: GetOptions) => {
        const format = parseOutputFormat(opts.output);
        if (!format) throw new SwarmopError('Invalid', `invalid output format "${opts.output}": use ${OUTPUT_FORMATS_HELP}`);
        if (typeof format === 'object' && format.type === 'jsonpath') format.allowMissing = opts.allowMissingTemplateKeys;
        const selector = parseLabelSelector(opts.selector ?? '');
        const parsed = await resourceArgsOrFiles(ctx.io, args, opts);
        const kinds = kindsOf(parsed);
        // commander turns --no-headers into headers: false.
        const noHeaders = (opts as { headers?: boolean }).headers === false;
        const handle = ctx.open();
        if (opts.watch) {
          if (kinds.length !== 1 || (parsed.type === 'refs' && parsed.refs.length > 1)) {
            throw new SwarmopError('Invalid', '--watch takes one kind and at most one NAME');
          }
          const name = parsed.type === 'refs' ? parsed.refs[0]!.name : undefined;
          await watchGet(ctx, handle, { kind: kinds[0]!, name, selector, format, noHeaders, showLabels: opts.showLabels ?? false });
          return ExitCode.Ok;
        }
        const { resources: found, missing } = await fetchResources(handle, parsed, selector);
        const resources = opts.sortBy ? sortResources(found, opts.sortBy) : found;
        if (resources.length === 0 && missing.length === 0) {
          // As kubectl: documents and templates get an empty List (a pipe into jq still parses); tables a note.
          const asList = format === 'yaml' || format === 'json' || (typeof format === 'object' && format.type === 'jsonpath');
          if (asList && parsed.type !== 'refs') {
            ctx.io.stdout(
              renderGet(kinds, [], { format, single: false, withKind: false, noHeaders, showLabels: false, now: ctx.io.now() }),
            );
          } else ctx.io.stderr('No resources found.\n');
          return ExitCode.Ok;
        }
        if (resources.length > 0) {
          const single = parsed.type === 'refs' && parsed.refs.length === 1;
          ctx.io.stdout(
            renderGet(kinds, resources, {
              format,
              single,
              withKind: kinds.length > 1,
              noHeaders,
              showLabels: opts.showLabels ?? false,
              now: ctx.io.now(),
            }),
          );
        }
        for (const m of missing) ctx.io.stderr(`error: ${m}\n`);
        return missing.length > 0 ? ExitCode.NotFound : ExitCode.Ok;
      }),
    );
  withExamples(cmd, [
    ['every static IP attachment, with the reason when not Ready', 'swarmop get sia'],
    ['one object, as kubectl writes it', 'swarmop get sia/ubuntu114 -o yaml'],
    ['two kinds at once', 'swarmop get dh,sia'],
    ['every kind', 'swarmop get all'],
    ['the objects a manifest declares, as stored now', 'swarmop get -f manifests/30-staticipattachments.yaml'],
    ['only the addresses', 'swarmop get sia -o jsonpath=\'{range .items[*]}{.metadata.name}{"\\t"}{.spec.address}{"\\n"}{end}\''],
    ['your own columns', 'swarmop get dh -o custom-columns=NAME:.metadata.name,ENDPOINT:.spec.endpoint'],
    ['by label, sorted, for a script', 'swarmop get dh -l role=server --sort-by=.spec.address --no-headers'],
    ['follow changes', 'swarmop get sia -w'],
  ]);
}

/** Everything that makes a row or document change: spec/metadata version and the status. */
function fingerprint(r: Resource): string {
  return `${r.metadata.resourceVersion ?? ''}|${r.metadata.deletionTimestamp ?? ''}|${JSON.stringify(r.status ?? null)}`;
}

async function watchGet(
  ctx: CliContext,
  handle: StoreHandle,
  q: {
    kind: KindInfo;
    name: string | undefined;
    selector: readonly SelectorTerm[];
    format: OutputFormat;
    noHeaders: boolean;
    showLabels: boolean;
  },
): Promise<void> {
  const { io } = ctx;
  const seen = new Map<string, { fp: string; last: Resource }>();
  let headerPrinted = q.noHeaders;
  const emit = (r: Resource, deleted: boolean): void => {
    const f = q.format;
    if (typeof f === 'object') {
      io.stdout(
        f.type === 'jsonpath' ? renderJsonPath([r], f.template, true, f.allowMissing) : renderCustomColumns([r], f.columns, headerPrinted),
      );
      headerPrinted = true;
      return;
    }
    switch (f) {
      case 'table':
      case 'wide': {
        const wide = f === 'wide';
        const row = tableRow(q.kind, r, { wide, now: io.now(), showLabels: q.showLabels });
        if (deleted) row[q.showLabels ? row.length - 3 : row.length - 2] = 'Deleted';
        // Rows are printed one at a time, so pad them to the header's widths, as kubectl does.
        const table = renderTable(tableHeaders(q.kind, wide, q.showLabels), [row]).split('\n');
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
