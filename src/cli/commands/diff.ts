/**
 * `swarmop diff -f FILE|DIR|- [-R] [--field-manager NAME] [--force-conflicts] [--prune ...]`:
 * exit 0 when apply would change nothing, 1 when it would, >1 on error (a conflict included).
 * The diff is of what apply would store (the store plans the real apply and writes nothing), so
 * fields kept by the three-way merge are no difference, and pruned objects show as removed.
 */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { refOf } from '../resources/kind-lookup.js';
import { collect, loadManifestSet } from '../manifests/load-manifests.js';
import { applyValidation, pruneSelection, withApplysetLabel } from '../manifests/apply-resources.js';
import { applyDiff } from '../output/spec-diff.js';
import { DEFAULT_FIELD_MANAGER } from '../../store/three-way-merge.js';

interface DiffOptions {
  filename: string[];
  recursive?: boolean;
  fieldManager: string;
  forceConflicts?: boolean;
  prune?: boolean;
  applyset?: string;
  selector?: string;
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description(
      'show what apply would change in the store (after the three-way merge and defaulting); exit 1 when it would change something',
    )
    .requiredOption('-f, --filename <path>', 'file, folder or - for stdin; repeatable', collect)
    .option('-R, --recursive', 'process folders recursively')
    .option('--field-manager <name>', 'the field manager apply would run as', DEFAULT_FIELD_MANAGER)
    .option('--force-conflicts', 'as apply --force-conflicts: show the take-over instead of failing with the conflict')
    .option('--prune', 'also show what apply --prune would delete (with --applyset and/or -l)')
    .option('--applyset <name>', 'the applyset the manifests make up, as for apply')
    .option('-l, --selector <selector>', 'with --prune: the set is the objects matching this label selector')
    .action(
      action(ctx, async (opts: DiffOptions) => {
        const loaded = await loadManifestSet(opts.filename, {
          io: ctx.io,
          recursive: opts.recursive ?? false,
          validate: applyValidation({
            fieldManager: opts.fieldManager,
            ...(opts.applyset !== undefined ? { applyset: opts.applyset } : {}),
          }),
        });
        const prune = opts.prune
          ? pruneSelection({
              ...(opts.applyset !== undefined ? { applyset: opts.applyset } : {}),
              ...(opts.selector !== undefined ? { selector: opts.selector } : {}),
            })
          : undefined;
        const changes = await ctx.open().store.previewApply(withApplysetLabel(loaded.written, opts.applyset), {
          fieldManager: opts.fieldManager,
          forceConflicts: opts.forceConflicts ?? false,
          ...(prune ? { prune } : {}),
        });
        let different = false;
        for (const c of changes) {
          const text = applyDiff(refOf({ kind: c.kind, metadata: { name: c.name } }), c.before, c.after);
          if (text === '') continue;
          different = true;
          ctx.io.stdout(text);
        }
        return different ? ExitCode.Failure : ExitCode.Ok;
      }),
    );
}
