/** `swarmop describe KIND NAME` */
import type { Command } from 'commander';
import { action, type CliContext } from '../cli-context.js';
import { ExitCode } from '../exit-codes.js';
import { notFound, requireKind } from '../kinds.js';
import { getOrUndefined } from '../store-reads.js';
import { renderDescribe } from '../describe-printer.js';
import { eventRowsFor } from '../event-rows.js';

export function registerDescribe(program: Command, ctx: CliContext): void {
  program
    .command('describe')
    .description('show one resource in detail: spec, status, conditions and events')
    .argument('<kind>', 'kind (singular, plural or short form)')
    .argument('<name>', 'resource name')
    .action(
      action(ctx, async (kindArg: string, name: string) => {
        const kind = requireKind(kindArg);
        const handle = ctx.open();
        const r = await getOrUndefined(handle, kind, name);
        if (!r) throw notFound(kind, name);
        const events = await eventRowsFor(handle, { kind: kind.kind, name });
        ctx.io.stdout(renderDescribe(r, events, ctx.io.now()));
        return ExitCode.Ok;
      }),
    );
}
