/** `swarmop patch (KIND NAME | KIND/NAME) (-p PATCH | --patch-file FILE) [--type merge|json]` */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { refOf } from '../resources/kind-lookup.js';
import { parseResourceArgs } from '../resources/resource-args.js';
import { updateObject } from '../resources/object-update.js';
import { applyJsonPatch, mergePatch } from '../resources/json-patch.js';
import { withExamples } from '../program/examples.js';

interface PatchOptions {
  patch?: string;
  patchFile?: string;
  type: 'merge' | 'json';
}

export function registerPatch(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('patch')
    .description('change fields of stored resources with a JSON merge patch or a JSON patch (YAML accepted); status cannot be patched')
    .argument('<resources...>', 'KIND NAME... | KIND/NAME...')
    .option('-p, --patch <patch>', 'the patch, as JSON or YAML')
    .option('--patch-file <file>', 'read the patch from a file')
    .addOption(new Option('--type <type>', 'merge (RFC 7386) or json (RFC 6902)').choices(['merge', 'json']).default('merge'))
    .action(
      action(ctx, async (args: string[], opts: PatchOptions) => {
        if ((opts.patch === undefined) === (opts.patchFile === undefined))
          throw new SwarmopError('Invalid', 'give exactly one of -p PATCH or --patch-file FILE');
        const text = opts.patch ?? (await readFile(path.resolve(ctx.io.cwd, opts.patchFile!), 'utf8'));
        let patch: unknown;
        try {
          patch = parseYaml(text);
        } catch (err) {
          throw new SwarmopError('Invalid', `the patch is not JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
        }
        if (opts.type === 'merge' && (patch === null || typeof patch !== 'object' || Array.isArray(patch))) {
          throw new SwarmopError('Invalid', 'a merge patch must be an object, e.g. {"spec":{"gateway":"10.0.0.1"}}');
        }
        const parsed = parseResourceArgs(args);
        if (parsed.type !== 'refs') throw new SwarmopError('Invalid', 'patch needs NAMEs or KIND/NAME');
        const handle = ctx.open();
        for (const ref of parsed.refs) {
          const outcome = await updateObject(handle, ref, (doc) => {
            const next = (opts.type === 'merge' ? mergePatch(doc, patch) : applyJsonPatch(doc, patch)) as Record<string, unknown>;
            if (next === null || typeof next !== 'object' || Array.isArray(next))
              throw new SwarmopError('Invalid', 'the patched document is not an object');
            return next;
          });
          const r = refOf({ kind: ref.kind.kind, metadata: { name: ref.name } });
          ctx.io.stdout(
            outcome === 'unchanged'
              ? `${r} patched (no change)\n`
              : outcome === 'deleted'
                ? `${r} patched (last finalizer removed: deleted)\n`
                : `${r} patched\n`,
          );
        }
        return ExitCode.Ok;
      }),
    );
  withExamples(cmd, [
    ['change one field', `swarmop patch sia ubuntu114 -p '{"spec":{"gateway":"192.168.116.254"}}'`],
    [
      'the same as a JSON patch',
      `swarmop patch sia/ubuntu114 --type json -p '[{"op":"replace","path":"/spec/gateway","value":"192.168.116.254"}]'`,
    ],
    [
      'clear a stuck finalizer when the operator is gone (the object is then deleted)',
      `swarmop patch sia ubuntu114 --type merge -p '{"metadata":{"finalizers":null}}'`,
    ],
    ['the same with a JSON patch', `swarmop patch sia ubuntu114 --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]'`],
  ]);
}
