/** `swarmop explain KIND[.field.path]`, from the kind's schema. */
import type { Command } from 'commander';
import { explain } from '../../crds/index.js';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { requireKind } from '../resources/kind-lookup.js';

export function registerExplain(program: Command, ctx: CliContext): void {
  program
    .command('explain')
    .description('document a kind or one of its fields, e.g. explain sia.spec.address')
    .argument('<path>', 'KIND[.field.path]')
    .action(
      action(ctx, async (fieldPath: string) => {
        const [kindArg = '', ...rest] = fieldPath.split('.');
        const kind = requireKind(kindArg);
        const text = explain([kind.kind, ...rest].join('.'));
        ctx.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
        return ExitCode.Ok;
      }),
    );
}
