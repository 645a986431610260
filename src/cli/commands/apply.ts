/** `swarmop apply -f FILE|DIR|- [-R] [--dry-run=client|server] [--watch [--prune]]` */
import { Option, type Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { collect, loadManifests } from '../manifests/load-manifests.js';
import { applyResources, parseDryRun } from '../manifests/apply-resources.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { watchAndApply } from '../watch/apply-watch.js';

interface ApplyOptions {
  filename: string[];
  recursive?: boolean;
  dryRun?: string | boolean;
  watch?: boolean;
  prune?: boolean;
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
