/** `swarmop apply -f FILE|DIR|- [-R] [--dry-run=client|server] [--watch [--prune]]` */
import { Option, type Command } from 'commander';
import { action, type CliContext } from '../cli-context.js';
import { loadManifests } from '../load-manifests.js';
import { refOf, requireKind } from '../kinds.js';
import { getOrUndefined } from '../store-reads.js';
import { resourceDiff } from '../spec-diff.js';
import { applyDefaults } from '../../crds/index.js';
import type { ApplyResult } from '../../store/resource-store.js';
import { ExitCode } from '../exit-codes.js';
import { isSwarmopError, SwarmopError } from '../../errors.js';
import { checkAcrossDocuments } from './validate.js';
import { withExamples } from '../examples.js';
import { watchAndApply } from '../apply-watch.js';
import type { Resource } from '../../crds/meta.js';

type DryRun = 'none' | 'client' | 'server';

interface ApplyOptions {
  filename: string[];
  recursive?: boolean;
  dryRun?: string | boolean;
  watch?: boolean;
  prune?: boolean;
}

export function parseDryRun(value: string | boolean | undefined): DryRun {
  if (value === undefined || value === false || value === 'none') return 'none';
  // A bare --dry-run means client, as it did in kubectl.
  if (value === true || value === 'client') return 'client';
  if (value === 'server') return 'server';
  throw new SwarmopError('Invalid', `invalid --dry-run value "${String(value)}": use client or server`);
}

export function dryRunSuffix(mode: DryRun): string {
  return mode === 'client' ? ' (dry run)' : mode === 'server' ? ' (server dry run)' : '';
}

/**
 * Client dry run: decided here from plain reads (exists? same labels/annotations/spec after
 * defaulting?), with none of the store's write-path checks. Server dry run runs those checks.
 * With Consul out of reach it still checks the manifests (schema, cross-document) and says so,
 * so manifests can be checked in a CI job with no cluster.
 */
async function clientDryRun(ctx: CliContext, resources: Resource[]): Promise<{ results: ApplyResult[]; offline?: string }> {
  checkAcrossDocuments(ctx, resources);
  const results: ApplyResult[] = [];
  try {
    const handle = ctx.open();
    for (const r of resources) {
      const live = await getOrUndefined(handle, requireKind(r.kind), r.metadata.name);
      const action = !live ? 'created' : resourceDiff(applyDefaults(live), applyDefaults(r)) === '' ? 'unchanged' : 'configured';
      results.push({ kind: r.kind, name: r.metadata.name, action });
    }
    return { results };
  } catch (err) {
    if (!isSwarmopError(err, 'Unavailable')) throw err;
    return { results: [], offline: err.message };
  }
}

/** Applies validated resources and prints one `kind/name action` line each. */
export async function applyResources(ctx: CliContext, resources: Resource[], mode: DryRun): Promise<void> {
  if (mode === 'client') {
    const { results, offline } = await clientDryRun(ctx, resources);
    if (offline !== undefined) {
      ctx.io.stderr(`warning: Consul is not reachable (${offline}); checked the manifests alone (schema and cross-document checks)\n`);
      for (const r of resources) ctx.io.stdout(`${refOf(r)} valid (dry run, offline)\n`);
      return;
    }
    for (const r of results) ctx.io.stdout(`${refOf({ kind: r.kind, metadata: { name: r.name } })} ${r.action}${dryRunSuffix(mode)}\n`);
    return;
  }
  const { store } = ctx.open();
  const results = await store.apply(resources, { dryRun: mode === 'server' });
  for (const r of results) {
    ctx.io.stdout(`${refOf({ kind: r.kind, metadata: { name: r.name } })} ${r.action}${dryRunSuffix(mode)}\n`);
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('create or update resources from manifests (all documents are validated before anything is written)')
    .requiredOption('-f, --filename <path>', 'file, folder (*.yaml, *.yml, *.json) or - for stdin; repeatable', collect)
    .option('-R, --recursive', 'process folders recursively')
    .addOption(
      new Option('--dry-run [mode]', 'show what would happen, write nothing: client (decided from reads) or server (every check of a real apply)'),
    )
    .option('--watch', 'keep watching the files and re-apply the ones that change')
    .option('--prune', 'with --watch: delete the resources of removed files (and documents removed from files)')
    .action(
      action(ctx, async (opts: ApplyOptions) => {
        const mode = parseDryRun(opts.dryRun);
        if (opts.prune && !opts.watch) throw new SwarmopError('Invalid', '--prune only works with --watch');
        if (opts.watch) {
          if (opts.filename.includes('-')) throw new SwarmopError('Invalid', '--watch cannot watch standard input');
          await watchAndApply(ctx, { paths: opts.filename, recursive: opts.recursive ?? false, prune: opts.prune ?? false, dryRun: mode });
          return ExitCode.Ok;
        }
        const resources = await loadManifests(opts.filename, { io: ctx.io, recursive: opts.recursive ?? false });
        await applyResources(ctx, resources, mode);
        return ExitCode.Ok;
      }),
    );
}
