/** `swarmop validate -f FILE|DIR|- [-R]`: schema and cross-document checks, with no Consul at all. */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { collect, loadManifests } from '../manifests/load-manifests.js';
import { refOf } from '../resources/kind-lookup.js';
import { checkAcrossDocuments } from '../manifests/manifest-checks.js';
import { withExamples } from '../program/examples.js';

export function registerValidate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('validate')
    .description('check manifests offline (schema, defaulting, cross-document checks); never contacts Consul, for CI jobs with no cluster')
    .requiredOption('-f, --filename <path>', 'file, folder or - for stdin; repeatable', collect)
    .option('-R, --recursive', 'process folders recursively')
    .action(
      action(ctx, async (opts: { filename: string[]; recursive?: boolean }) => {
        const resources = await loadManifests(opts.filename, { io: ctx.io, recursive: opts.recursive ?? false });
        checkAcrossDocuments(ctx, resources);
        for (const r of resources) ctx.io.stdout(`${refOf(r)} valid\n`);
        return ExitCode.Ok;
      }),
    );
  withExamples(cmd, [
    ['check a folder in CI (exit 2 with file:line:col: field: reason on errors)', 'swarmop validate -f manifests/ -R'],
    ['check what a generator writes', 'generate-manifests | swarmop validate -f -'],
  ]);
}
