/**
 * `swarmop label|annotate (KIND NAME... | KIND/NAME... | KIND -l SEL | KIND --all) key=value... key-... [--overwrite]`
 */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { refOf, requireKind } from '../resources/kind-lookup.js';
import { parseLabelSelector } from '../resources/label-selector.js';
import { parseResourceArgs, type ResourceRef } from '../resources/resource-args.js';
import { fetchResources } from '../resources/resource-fetch.js';
import { updateObject } from '../resources/object-update.js';
import { withExamples } from '../program/examples.js';

export type MapChange = { key: string; op: 'set'; value: string } | { key: string; op: 'remove' };

/** `k=v` sets, `k-` removes; resources come first, changes after (a name never contains "=" or ends in "-"). */
export function splitChanges(args: readonly string[]): { resources: string[]; changes: MapChange[] } {
  const idx = args.findIndex((a) => a.includes('=') || a.endsWith('-'));
  if (idx < 0) throw new SwarmopError('Invalid', 'give at least one change: key=value or key-');
  const changes = args.slice(idx).map((a): MapChange => {
    const eq = a.indexOf('=');
    if (eq > 0) return { key: a.slice(0, eq), op: 'set', value: a.slice(eq + 1) };
    if (eq < 0 && a.endsWith('-') && a.length > 1) return { key: a.slice(0, -1), op: 'remove' };
    throw new SwarmopError('Invalid', `"${a}" is neither key=value nor key-`);
  });
  const keys = new Set<string>();
  for (const c of changes) {
    if (keys.has(c.key)) throw new SwarmopError('Invalid', `key "${c.key}" is changed twice`);
    keys.add(c.key);
  }
  return { resources: args.slice(0, idx), changes };
}

/** The new map, or a refusal when a key would be overwritten without --overwrite. */
export function changeMap(
  current: Record<string, string> | undefined,
  changes: readonly MapChange[],
  overwrite: boolean,
  what: string,
): Record<string, string> {
  const out = { ...(current ?? {}) };
  for (const c of changes) {
    if (c.op === 'remove') delete out[c.key];
    else {
      if (Object.hasOwn(out, c.key) && out[c.key] !== c.value && !overwrite) {
        throw new SwarmopError(
          'Invalid',
          `'${c.key}' already has a value (${out[c.key]}), and --overwrite is false; no ${what} were changed`,
        );
      }
      out[c.key] = c.value;
    }
  }
  return out;
}

function registerMapCommand(program: Command, ctx: CliContext, field: 'labels' | 'annotations'): void {
  const verb = field === 'labels' ? 'label' : 'annotate';
  const done = field === 'labels' ? 'labeled' : 'annotated';
  const cmd = program
    .command(verb)
    .description(`set (key=value) or remove (key-) ${field} of resources`)
    .argument('<args...>', 'KIND NAME... | KIND/NAME... | KIND (with -l or --all), then key=value... and key-...')
    .option('--overwrite', 'allow changing a key that already has another value')
    .option('-l, --selector <selector>', 'every object of the kind matching this label selector')
    .option('--all', 'every object of the kind')
    .action(
      action(ctx, async (args: string[], opts: { overwrite?: boolean; selector?: string; all?: boolean }) => {
        const { resources: resArgs, changes } = splitChanges(args);
        const parsed = parseResourceArgs(resArgs);
        const bulk = opts.all || opts.selector !== undefined;
        if (parsed.type === 'kinds' && !bulk) throw new SwarmopError('Invalid', 'give NAMEs, KIND/NAME, -l SELECTOR or --all');
        if (parsed.type === 'refs' && bulk) throw new SwarmopError('Invalid', '-l/--all select objects by kind: give no NAME with them');
        const handle = ctx.open();
        const { resources, missing } = await fetchResources(handle, parsed, parseLabelSelector(opts.selector ?? ''));
        for (const r of resources) {
          const ref: ResourceRef = { kind: requireKind(r.kind), name: r.metadata.name };
          const outcome = await updateObject(handle, ref, (doc) => {
            const meta = doc.metadata as Record<string, unknown>;
            const next = changeMap(meta[field] as Record<string, string> | undefined, changes, opts.overwrite ?? false, field);
            if (Object.keys(next).length === 0) delete meta[field];
            else meta[field] = next;
            return doc;
          });
          ctx.io.stdout(`${refOf(r)} ${outcome === 'unchanged' ? `not ${done}` : done}\n`);
        }
        for (const m of missing) ctx.io.stderr(`error: ${m}\n`);
        if (resources.length === 0 && missing.length === 0) ctx.io.stderr('No resources found.\n');
        return missing.length > 0 ? ExitCode.NotFound : ExitCode.Ok;
      }),
    );
  withExamples(
    cmd,
    field === 'labels'
      ? [
          ['add a label', 'swarmop label dh consul01 zone=a'],
          ['change it (refused without --overwrite)', 'swarmop label dh/consul01 zone=b --overwrite'],
          ['remove it', 'swarmop label dh consul01 zone-'],
          ['label every Docker host', 'swarmop label dh --all fleet=lab'],
        ]
      : [
          ['note who owns an object', "swarmop annotate sia ubuntu114 owner='team a'"],
          ['replace the note', 'swarmop annotate sia/ubuntu114 owner=ops --overwrite'],
          ['remove it from every labeled attachment', 'swarmop annotate sia -l app=web owner-'],
        ],
  );
}

export function registerLabel(program: Command, ctx: CliContext): void {
  registerMapCommand(program, ctx, 'labels');
}

export function registerAnnotate(program: Command, ctx: CliContext): void {
  registerMapCommand(program, ctx, 'annotations');
}
