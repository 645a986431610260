/**
 * `swarmop history KIND/NAME [--revision N] [-o yaml|json]` and
 * `swarmop rollback KIND/NAME [--to-revision N] [--dry-run]`: an object's recorded specs
 * (src/store/revisions.ts), like `kubectl rollout history` / `rollout undo` and `helm rollback`.
 * A rollback writes the old spec compare-and-set on the object as read, like `patch`; labels,
 * annotations (the last-applied record included) are left as they are.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { parseResourceArgs, type ResourceRef } from '../resources/resource-args.js';
import { getOrUndefined } from '../resources/store-reads.js';
import { notFound, refOf } from '../resources/kind-lookup.js';
import { cliAuthor, updateObject } from '../resources/object-update.js';
import { renderHistory, renderRevision } from '../output/history-printer.js';
import { withExamples } from '../program/examples.js';
import type { Revision } from '../../store/resource-store.js';

function oneRef(args: string[]): ResourceRef {
  const parsed = parseResourceArgs(args);
  if (parsed.type !== 'refs' || parsed.refs.length !== 1) throw new SwarmopError('Invalid', 'give one object: KIND/NAME or KIND NAME');
  return parsed.refs[0]!;
}

function revisionNumber(text: string, flag: string): number {
  if (!/^[1-9][0-9]*$/.test(text)) throw new SwarmopError('Invalid', `${flag} must be a revision number (1, 2, ...), got "${text}"`);
  return Number(text);
}

function pickRevision(ref: string, revisions: readonly Revision[], n: number): Revision {
  const rev = revisions.find((r) => r.revision === n);
  if (!rev) {
    const kept = revisions.map((r) => r.revision).join(', ') || 'none';
    throw new SwarmopError('NotFound', `${ref} has no revision ${n} (kept: ${kept})`);
  }
  return rev;
}

export function registerHistory(program: Command, ctx: CliContext): void {
  withExamples(
    program
      .command('history')
      .description("list an object's recorded specs (revision = generation), who wrote each and what changed; --revision prints one")
      .argument('<resource...>', 'KIND/NAME or KIND NAME')
      .option('--revision <n>', 'print this revision (the spec as it was)')
      .addOption(new Option('-o, --output <format>', 'with --revision: yaml or json').choices(['yaml', 'json']).default('yaml'))
      .action(
        action(ctx, async (args: string[], opts: { revision?: string; output: 'yaml' | 'json' }) => {
          const ref = oneRef(args);
          const handle = ctx.open();
          const live = await getOrUndefined(handle, ref.kind, ref.name);
          if (!live) throw notFound(ref.kind, ref.name);
          const revisions = await handle.store.revisions(live.kind, live.metadata.name);
          if (opts.revision !== undefined) {
            ctx.io.stdout(
              renderRevision(live, pickRevision(refOf(live), revisions, revisionNumber(opts.revision, '--revision')), opts.output),
            );
            return ExitCode.Ok;
          }
          if (revisions.length === 0) {
            ctx.io.stderr(`${refOf(live)}: no revisions recorded (its spec has not been written since revisions were kept)\n`);
            return ExitCode.Ok;
          }
          ctx.io.stdout(renderHistory(refOf(live), revisions, live.metadata.generation));
          return ExitCode.Ok;
        }),
      ),
    [
      ['what changed, when, by whom', 'swarmop history sia/ubuntu114'],
      ['the spec of revision 2', 'swarmop history sia/ubuntu114 --revision 2'],
    ],
  );

  withExamples(
    program
      .command('rollback')
      .description(
        "write an earlier revision's spec back (default: the one before the current), compare-and-set; the operator then reconciles it",
      )
      .argument('<resource...>', 'KIND/NAME or KIND NAME')
      .option('--to-revision <n>', 'the revision to go back to (see swarmop history)')
      .option('--dry-run', 'say what would be written, write nothing')
      .action(
        action(ctx, async (args: string[], opts: { toRevision?: string; dryRun?: boolean }) => {
          const ref = oneRef(args);
          const handle = ctx.open();
          const live = await getOrUndefined(handle, ref.kind, ref.name);
          if (!live) throw notFound(ref.kind, ref.name);
          const name = refOf(live);
          const revisions = await handle.store.revisions(live.kind, live.metadata.name);
          const current = live.metadata.generation ?? 0;
          let target: Revision | undefined;
          if (opts.toRevision !== undefined) target = pickRevision(name, revisions, revisionNumber(opts.toRevision, '--to-revision'));
          else target = [...revisions].reverse().find((r) => r.revision < current);
          if (!target) throw new SwarmopError('NotFound', `${name} has no revision before the current one (${current}) recorded`);
          const suffix = opts.dryRun ? ' (dry run)' : '';
          if (opts.dryRun) {
            ctx.io.stdout(`${name} rolled back to revision ${target.revision}${suffix}\n`);
            return ExitCode.Ok;
          }
          const rev = target;
          const outcome = await updateObject(
            handle,
            ref,
            (doc) => ({
              ...doc,
              metadata: { ...(doc.metadata as object), resourceVersion: live.metadata.resourceVersion },
              spec: structuredClone(rev.spec),
            }),
            { manager: cliAuthor(), change: `rollback to revision ${rev.revision}` },
          );
          ctx.io.stdout(
            outcome === 'unchanged'
              ? `${name} unchanged (already the spec of revision ${rev.revision})\n`
              : `${name} rolled back to revision ${rev.revision}\n`,
          );
          return ExitCode.Ok;
        }),
      ),
    [
      ['undo the last spec change', 'swarmop rollback sia/ubuntu114'],
      ['back to revision 1', 'swarmop rollback sia/ubuntu114 --to-revision 1'],
    ],
  );
}
