/** `swarmop delete (-f FILE|DIR|- [-R] | KIND NAME...) [--ignore-not-found]` */
import type { Command } from 'commander';
import { action, type CliContext } from '../cli-context.js';
import { ExitCode } from '../exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { notFound, refOf, requireKind } from '../kinds.js';
import { loadManifests } from '../load-manifests.js';
import { collect } from './apply.js';

interface DeleteOptions {
  filename?: string[];
  recursive?: boolean;
  ignoreNotFound?: boolean;
}

export function registerDelete(program: Command, ctx: CliContext): void {
  program
    .command('delete')
    .description('delete resources by kind and names, or those declared in manifests (finalizers run first)')
    .argument('[kind]', 'kind (singular, plural or short form)')
    .argument('[names...]', 'resource names')
    .option('-f, --filename <path>', 'file, folder or - for stdin; repeatable', collect)
    .option('-R, --recursive', 'process folders recursively')
    .option('--ignore-not-found', 'treat a missing resource as success')
    .action(
      action(ctx, async (kindArg: string | undefined, names: string[], opts: DeleteOptions) => {
        let targets: { kind: string; name: string; plural: string }[];
        if (opts.filename) {
          if (kindArg !== undefined) throw new SwarmopError('Invalid', 'give either -f or KIND NAME..., not both');
          const resources = await loadManifests(opts.filename, { io: ctx.io, recursive: opts.recursive ?? false });
          targets = resources.map((r) => {
            const k = requireKind(r.kind);
            return { kind: k.kind, name: r.metadata.name, plural: k.plural };
          });
        } else {
          if (kindArg === undefined || names.length === 0) {
            throw new SwarmopError('Invalid', 'give -f FILE|DIR|- or KIND NAME...');
          }
          const k = requireKind(kindArg);
          targets = names.map((name) => ({ kind: k.kind, name, plural: k.plural }));
        }
        const { store } = ctx.open();
        let code: number = ExitCode.Ok;
        for (const t of targets) {
          const ref = refOf({ kind: t.kind, metadata: { name: t.name } });
          const result = await store.delete(t.kind, t.name);
          if (result === 'deleted') ctx.io.stdout(`${ref} deleted\n`);
          else if (result === 'terminating') ctx.io.stdout(`${ref} deletion requested\n`);
          else if (!opts.ignoreNotFound) {
            // Keep going with the other names, as kubectl does, but fail at the end.
            ctx.io.stderr(`error: ${notFound(requireKind(t.kind), t.name).message}\n`);
            code = ExitCode.NotFound;
          }
        }
        return code;
      }),
    );
}
