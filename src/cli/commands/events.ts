/** `swarmop events [KIND [NAME]] [-w]`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE. */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { eventsKey, sectionPrefix } from '../../store/store-keys.js';
import { requireKind } from '../resources/kind-lookup.js';
import { eventRowsFor } from '../resources/event-rows.js';
import { renderEventsTable, type EventRow } from '../output/describe-printer.js';
import { watchPrefix } from '../watch/kv-watch.js';
import { allNamespacesOption } from '../program/all-namespaces.js';

function identity(e: EventRow): string {
  return `${e.object}|${e.type}|${e.reason}|${e.message}|${e.lastTimestamp ?? ''}|${e.count ?? ''}`;
}

export function registerEvents(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('list what the controllers did and why, optionally for one kind or one object')
    .argument('[kind]', 'kind (singular, plural or short form)')
    .argument('[name]', 'resource name')
    .option('-w, --watch', 'after listing, keep printing new events (Ctrl-C to stop)')
    .addOption(allNamespacesOption())
    .action(
      action(ctx, async (kindArg: string | undefined, name: string | undefined, opts: { watch?: boolean }) => {
        if (name !== undefined && kindArg === undefined) throw new SwarmopError('Invalid', 'NAME needs a KIND');
        const kind = kindArg === undefined ? undefined : requireKind(kindArg);
        const q = { ...(kind ? { kind: kind.kind } : {}), ...(name !== undefined ? { name } : {}) };
        const handle = ctx.open();
        const { io } = ctx;
        if (!opts.watch) {
          const rows = await eventRowsFor(handle, q);
          if (rows.length === 0) io.stderr('No events found.\n');
          else io.stdout(renderEventsTable(rows, io.now(), true));
          return ExitCode.Ok;
        }
        // Each change under events/ wakes the watch; only rows not printed before are shown.
        const printed = new Set<string>();
        let headerPrinted = false;
        const eventsPrefix =
          kind && name !== undefined ? eventsKey(handle.prefix, kind.kind, name) : sectionPrefix(handle.prefix, 'events', kind?.kind);
        for await (const _ of watchPrefix(handle.kv, eventsPrefix, { signal: io.signal })) {
          const rows = (await eventRowsFor(handle, q)).filter((r) => !printed.has(identity(r)));
          if (rows.length === 0) continue;
          const lines = renderEventsTable(rows, io.now(), true).split('\n');
          io.stdout(`${(headerPrinted ? lines.slice(1) : lines).join('\n')}`);
          headerPrinted = true;
          for (const r of rows) printed.add(identity(r));
        }
        return ExitCode.Ok;
      }),
    );
}
