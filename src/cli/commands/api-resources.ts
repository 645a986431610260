/** `swarmop api-resources [-o wide|name] [--no-headers]`: the kinds, as kubectl lists them. */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { API_VERSION, KINDS } from '../../crds/index.js';
import { renderTable } from '../output/table.js';
import { withExamples } from '../program/examples.js';

/** Every kind is cluster-wide: there are no namespaces. */
export function renderApiResources(format: 'table' | 'wide' | 'name', noHeaders: boolean): string {
  if (format === 'name') return KINDS.map((k) => `${k.plural}.${API_VERSION.split('/')[0]}\n`).join('');
  const headers = ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(format === 'wide' ? ['VERBS'] : [])];
  const verbs = 'apply,get,describe,edit,patch,label,annotate,delete,diff,wait,explain';
  const rows = KINDS.map((k) => [k.plural, k.shortNames.join(','), API_VERSION, 'false', k.kind, ...(format === 'wide' ? [verbs] : [])]);
  const table = renderTable(headers, rows);
  return noHeaders ? table.slice(table.indexOf('\n') + 1) : table;
}

export function registerApiResources(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('api-resources')
    .description('list the resource kinds with their short names and API version (needs no Consul)')
    .option('-o, --output <format>', 'wide | name')
    .option('--no-headers', 'without the header line')
    .action(
      action(ctx, async (opts: { output?: string; headers?: boolean }) => {
        const format = opts.output === undefined ? 'table' : opts.output;
        if (format !== 'table' && format !== 'wide' && format !== 'name')
          throw new SwarmopError('Invalid', `invalid output format "${opts.output}": use wide or name`);
        ctx.io.stdout(renderApiResources(format, opts.headers === false));
        return ExitCode.Ok;
      }),
    );
  withExamples(cmd, [
    ['every kind and its short name', 'swarmop api-resources'],
    ['names for a script', 'swarmop api-resources -o name'],
  ]);
}
