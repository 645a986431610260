/**
 * `swarmop apply -f FILE|DIR|- [-R] [--dry-run=client|server] [--field-manager NAME]
 *  [--force-conflicts] [--prune (--applyset NAME | -l SELECTOR) | --watch [--prune]]`
 * and `swarmop apply view-last-applied KIND/NAME [-o yaml|json]`.
 *
 * Apply is kubectl's client-side apply: a three-way merge with the configuration this field
 * manager applied last (src/store/apply-merge.ts), so fields set by hand survive.
 */
import { Option, type Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { collect, loadManifestSet } from '../manifests/load-manifests.js';
import { applyResources, applyValidation, parseDryRun, type PruneSet } from '../manifests/apply-resources.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { watchAndApply } from '../watch/apply-watch.js';
import { parseResourceArgs } from '../resources/resource-args.js';
import { getOrUndefined } from '../resources/store-reads.js';
import { notFound, refOf } from '../resources/kind-lookup.js';
import { renderLastApplied } from '../output/history-printer.js';
import { lastAppliedOf } from '../../store/apply-merge.js';
import { DEFAULT_FIELD_MANAGER } from '../../store/three-way-merge.js';
import { withExamples } from '../program/examples.js';

interface ApplyOptions {
  filename: string[];
  recursive?: boolean;
  dryRun?: string | boolean;
  watch?: boolean;
  prune?: boolean;
  applyset?: string;
  selector?: string;
  fieldManager: string;
  forceConflicts?: boolean;
}

export function registerApply(program: Command, ctx: CliContext): void {
  const apply = program
    .command('apply')
    .description(
      'create or update resources from manifests (all documents are validated before anything is written); fields the manifests never set ' +
        '(labels, annotations, spec fields changed by hand) are kept, fields removed from a manifest are removed',
    )
    .option('-f, --filename <path>', 'file, folder (*.yaml, *.yml, *.json) or - for stdin; repeatable', collect)
    .option('-R, --recursive', 'process folders recursively')
    .addOption(
      new Option(
        '--dry-run [mode]',
        'show what would happen, write nothing: client (decided from reads) or server (every check of a real apply)',
      ),
    )
    .option('--field-manager <name>', 'who applies: the last-applied configuration is recorded under this name', DEFAULT_FIELD_MANAGER)
    .option('--force-conflicts', 'take over fields another field manager applied instead of failing with a conflict')
    .option(
      '--prune',
      'delete the objects of the set (--applyset and/or -l) that the manifests no longer declare; with --watch: those of removed files',
    )
    .option('--applyset <name>', 'the set these manifests make up: members are labelled applyset.swarmop.io/part-of=NAME in the store')
    .option('-l, --selector <selector>', 'with --prune: the set is the objects matching this label selector')
    .option('--watch', 'keep watching the files and re-apply the ones that change')
    .action(
      action(ctx, async (opts: ApplyOptions) => {
        if (!opts.filename || opts.filename.length === 0)
          throw new SwarmopError('Invalid', "required option '-f, --filename <path>' not specified");
        const mode = parseDryRun(opts.dryRun);
        if (opts.selector !== undefined && !opts.prune)
          throw new SwarmopError('Invalid', '-l/--selector only chooses what --prune may delete; add --prune');
        const pruneSet: PruneSet | undefined =
          opts.prune && (opts.applyset !== undefined || opts.selector !== undefined)
            ? {
                ...(opts.applyset !== undefined ? { applyset: opts.applyset } : {}),
                ...(opts.selector !== undefined ? { selector: opts.selector } : {}),
              }
            : undefined;
        const settings = {
          mode,
          fieldManager: opts.fieldManager,
          forceConflicts: opts.forceConflicts ?? false,
          ...(opts.applyset !== undefined ? { applyset: opts.applyset } : {}),
        };
        if (opts.watch) {
          if (opts.filename.includes('-')) throw new SwarmopError('Invalid', '--watch cannot watch standard input');
          await watchAndApply(ctx, {
            paths: opts.filename,
            recursive: opts.recursive ?? false,
            prune: opts.prune ?? false,
            dryRun: mode,
            settings,
            ...(pruneSet ? { pruneSet } : {}),
          });
          return ExitCode.Ok;
        }
        if (opts.prune && !pruneSet) {
          throw new SwarmopError(
            'Invalid',
            '--prune needs --applyset NAME or -l SELECTOR (or --watch): it never deletes objects outside a set',
          );
        }
        const loaded = await loadManifestSet(opts.filename, {
          io: ctx.io,
          recursive: opts.recursive ?? false,
          validate: applyValidation(settings),
        });
        await applyResources(ctx, loaded, { ...settings, ...(pruneSet ? { prune: pruneSet } : {}) });
        return ExitCode.Ok;
      }),
    );

  const view = apply
    .command('view-last-applied')
    .description('print the configuration last applied to an object (kept in its swarmop.io/last-applied-configuration annotation)')
    .argument('<resource...>', 'KIND/NAME or KIND NAME')
    .addOption(new Option('-o, --output <format>', 'yaml or json').choices(['yaml', 'json']).default('yaml'))
    .action(
      action(ctx, async (args: string[], opts: { output: 'yaml' | 'json' }) => {
        const parsed = parseResourceArgs(args);
        if (parsed.type !== 'refs' || parsed.refs.length !== 1)
          throw new SwarmopError('Invalid', 'give one object: KIND/NAME or KIND NAME');
        const ref = parsed.refs[0]!;
        const live = await getOrUndefined(ctx.open(), ref.kind, ref.name);
        if (!live) throw notFound(ref.kind, ref.name);
        const last = lastAppliedOf(live.metadata);
        if (!last)
          throw new SwarmopError(
            'NotFound',
            `${refOf(live)} has no last-applied configuration (it was never applied with this version of apply)`,
          );
        ctx.io.stdout(renderLastApplied(last.configuration, opts.output));
        return ExitCode.Ok;
      }),
    );
  withExamples(view, [
    ['what apply last wrote for an attachment, and as which manager', 'swarmop apply view-last-applied sia/ubuntu114'],
    ['as JSON', 'swarmop apply view-last-applied dh consul01 -o json'],
  ]);
}
