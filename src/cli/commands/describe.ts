/** `swarmop describe (KIND [NAME...] | KIND/NAME...) [-l SELECTOR]`: without a name, every object of the kind. */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { renderDescribe } from '../output/describe-printer.js';
import { eventRowsFor } from '../resources/event-rows.js';
import { resourceArgsOrFiles } from '../manifests/manifest-refs.js';
import { collect } from '../manifests/load-manifests.js';
import { fetchResources } from '../resources/resource-fetch.js';
import { parseLabelSelector } from '../resources/label-selector.js';
import { allNamespacesOption } from '../program/all-namespaces.js';
import { withExamples } from '../program/examples.js';

export function registerDescribe(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('describe')
    .description('show resources in detail: spec, status, conditions and events (every object of the kind when no name is given)')
    .argument('[resources...]', 'KIND [NAME...] | KIND,KIND | KIND/NAME...')
    .option('-f, --filename <path>', 'the objects these manifests name (file, folder or -); repeatable', collect)
    .option('-R, --recursive', 'with -f: process folders recursively')
    .option('-l, --selector <selector>', 'label selector, e.g. role=server')
    .addOption(allNamespacesOption())
    .action(
      action(ctx, async (args: string[], opts: { selector?: string; filename?: string[]; recursive?: boolean }) => {
        const parsed = await resourceArgsOrFiles(ctx.io, args, opts);
        const handle = ctx.open();
        const { resources, missing } = await fetchResources(handle, parsed, parseLabelSelector(opts.selector ?? ''));
        const parts: string[] = [];
        for (const r of resources) {
          const events = await eventRowsFor(handle, { kind: r.kind, name: r.metadata.name });
          parts.push(renderDescribe(r, events, ctx.io.now()));
        }
        if (parts.length > 0) ctx.io.stdout(parts.join('\n'));
        if (resources.length === 0 && missing.length === 0) ctx.io.stderr('No resources found.\n');
        for (const m of missing) ctx.io.stderr(`error: ${m}\n`);
        return missing.length > 0 ? ExitCode.NotFound : ExitCode.Ok;
      }),
    );
  withExamples(cmd, [
    ['one attachment, with its conditions and events', 'swarmop describe sia ubuntu114'],
    ['the same, kubectl style', 'swarmop describe sia/ubuntu114'],
    ['every Docker host', 'swarmop describe dh'],
  ]);
}
