/** `swarmop diff -f FILE|DIR|- [-R]`: exit 0 when live matches, 1 when different, >1 on error. */
import type { Command } from 'commander';
import { applyDefaults } from '../../crds/index.js';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { requireKind } from '../resources/kind-lookup.js';
import { collect, loadManifests } from '../manifests/load-manifests.js';
import { getOrUndefined } from '../resources/store-reads.js';
import { resourceDiff } from '../output/spec-diff.js';

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description('show how the manifests differ from what is stored (after defaulting); exit 1 when they differ')
    .requiredOption('-f, --filename <path>', 'file, folder or - for stdin; repeatable', collect)
    .option('-R, --recursive', 'process folders recursively')
    .action(
      action(ctx, async (opts: { filename: string[]; recursive?: boolean }) => {
        const resources = await loadManifests(opts.filename, { io: ctx.io, recursive: opts.recursive ?? false });
        const handle = ctx.open();
        let different = false;
        for (const r of resources) {
          const desired = applyDefaults(r);
          const live = await getOrUndefined(handle, requireKind(r.kind), r.metadata.name);
          const text = resourceDiff(live ? applyDefaults(live) : undefined, desired);
          if (text !== '') {
            different = true;
            ctx.io.stdout(text);
          }
        }
        return different ? ExitCode.Failure : ExitCode.Ok;
      }),
    );
}
