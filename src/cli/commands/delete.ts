/**
 * `swarmop delete (-f FILE|DIR|- [-R] | KIND NAME... | KIND/NAME... | KIND -l SEL | KIND --all)
 *  [--ignore-not-found] [--wait=true|false] [--timeout=DURATION]`
 *
 * As in kubectl, delete waits (by default) until the objects are really gone, i.e. until their
 * finalizers have run; --timeout bounds that wait (0 = no limit) and ends with exit 6.
 */
import type { Command } from 'commander';
import { action, type CliContext, type StoreHandle } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import type { KindInfo } from '../../crds/index.js';
import { notFound, refOf, requireKind } from '../resources/kind-lookup.js';
import { collect, loadManifests } from '../manifests/load-manifests.js';
import { parseResourceArgs } from '../resources/resource-args.js';
import { fetchResources } from '../resources/resource-fetch.js';
import { parseLabelSelector } from '../resources/label-selector.js';
import { parseGoDuration } from '../../go-duration.js';
import { parseBool } from '../config/connection-settings.js';
import { watchPrefix } from '../watch/kv-watch.js';
import { pick } from '../resources/store-reads.js';
import { withExamples } from '../program/examples.js';

interface DeleteOptions {
  filename?: string[];
  recursive?: boolean;
  ignoreNotFound?: boolean;
  selector?: string;
  all?: boolean;
  wait: boolean;
  timeout: string;
}

interface Target {
  kind: KindInfo;
  name: string;
}

function parseWaitFlag(v: string | undefined): boolean {
  if (v === undefined) return true;
  const b = parseBool(v);
  if (b === undefined) throw new SwarmopError('Invalid', `--wait must be true or false, got "${v}"`);
  return b;
}

/** Waits until every target is gone; the Timeout error lists what is left and its finalizers. */
async function waitGone(ctx: CliContext, handle: StoreHandle, targets: Target[], timeoutMs: number, timeoutText: string): Promise<void> {
  const deadline = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  const signal = deadline ? AbortSignal.any([deadline, ctx.io.signal]) : ctx.io.signal;
  let left = targets;
  const waitArg = timeoutMs > 0 ? `${Math.min(30, Math.max(1, Math.ceil(timeoutMs / 1000)))}s` : '30s';
  const finalizersOf = new Map<string, string[]>();
  for await (const snap of watchPrefix(handle.kv, handle.prefix, { signal, wait: waitArg })) {
    left = left.filter((t) => {
      const r = pick(handle, snap.pairs, t.kind, t.name)[0];
      if (r) finalizersOf.set(refOf(r), r.metadata.finalizers ?? []);
      else ctx.io.stdout(`${refOf({ kind: t.kind.kind, metadata: { name: t.name } })} deleted\n`);
      return r !== undefined;
    });
    if (left.length === 0) return;
  }
  if (!deadline?.aborted) throw new SwarmopError('Timeout', 'interrupted while waiting for the deletion');
  throw new SwarmopError('Timeout', `timed out after ${timeoutText} waiting for the deletion (finalizers still pending)`, {
    details: left.map((t) => {
      const ref = refOf({ kind: t.kind.kind, metadata: { name: t.name } });
      return `  ${ref}: finalizers ${JSON.stringify(finalizersOf.get(ref) ?? [])}; is the operator running? (patch can clear them, see swarmop patch --help)`;
    }),
  });
}

export function registerDelete(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('delete')
    .description('delete resources by name, by label, all of a kind, or those declared in manifests (finalizers run first)')
    .argument('[resources...]', 'KIND NAME... | KIND/NAME... | KIND (with -l or --all)')
    .option('-f, --filename <path>', 'file, folder or - for stdin; repeatable', collect)
    .option('-R, --recursive', 'process folders recursively')
    .option('-l, --selector <selector>', 'delete the objects of the kind matching this label selector')
    .option('--all', 'delete every object of the kind')
    .option('--ignore-not-found', 'treat a missing resource as success')
    .option(
      '--wait [bool]',
      'wait until the objects are gone, i.e. their finalizers ran (default true; --wait=false returns at once)',
      parseWaitFlag,
      true,
    )
    .option('--timeout <duration>', 'longest wait with --wait (0 = no limit), then exit 6', '0s')
    .action(
      action(ctx, async (args: string[], opts: DeleteOptions) => {
        const timeoutMs = parseGoDuration(opts.timeout, { bareSeconds: true });
        const bulk = opts.all || opts.selector !== undefined;
        let targets: Target[];
        const handle = (): StoreHandle => ctx.open();
        if (opts.filename) {
          if (args.length > 0 || bulk) throw new SwarmopError('Invalid', 'give either -f or KIND NAME... / -l / --all, not both');
          const resources = await loadManifests(opts.filename, { io: ctx.io, recursive: opts.recursive ?? false });
          targets = resources.map((r) => ({ kind: requireKind(r.kind), name: r.metadata.name }));
        } else {
          if (args.length === 0) throw new SwarmopError('Invalid', 'give -f FILE|DIR|-, KIND NAME..., KIND/NAME..., or KIND with -l/--all');
          const parsed = parseResourceArgs(args);
          if (parsed.type === 'kinds') {
            if (!bulk)
              throw new SwarmopError(
                'Invalid',
                `give NAMEs, -l SELECTOR or --all to delete ${parsed.kinds.map((k) => k.plural).join(',')}`,
              );
            const { resources } = await fetchResources(handle(), parsed, parseLabelSelector(opts.selector ?? ''));
            targets = resources.map((r) => ({ kind: requireKind(r.kind), name: r.metadata.name }));
            if (targets.length === 0) ctx.io.stderr('No resources found.\n');
          } else {
            if (bulk) throw new SwarmopError('Invalid', '-l/--all select objects by kind: give no NAME with them');
            targets = parsed.refs;
          }
        }
        const { store } = handle();
        let code: number = ExitCode.Ok;
        const pending: Target[] = [];
        for (const t of targets) {
          const ref = refOf({ kind: t.kind.kind, metadata: { name: t.name } });
          const result = await store.delete(t.kind.kind, t.name);
          if (result === 'deleted') ctx.io.stdout(`${ref} deleted\n`);
          else if (result === 'terminating') {
            ctx.io.stdout(`${ref} deletion requested\n`);
            pending.push(t);
          } else if (!opts.ignoreNotFound) {
            // Keep going with the other names, as kubectl does, but fail at the end.
            ctx.io.stderr(`error: ${notFound(t.kind, t.name).message}\n`);
            code = ExitCode.NotFound;
          }
        }
        if (opts.wait && pending.length > 0) await waitGone(ctx, handle(), pending, timeoutMs, opts.timeout);
        return code;
      }),
    );
  withExamples(cmd, [
    ['delete one attachment and wait until its finalizer has undone it on the host', 'swarmop delete sia ubuntu114'],
    ['the same, kubectl style, waiting at most 30 s', 'swarmop delete sia/ubuntu114 --timeout=30s'],
    ['ask for deletion and return at once', 'swarmop delete sia ubuntu114 --wait=false'],
    ['by label, or every object of a kind', 'swarmop delete sia -l app=web && swarmop delete dh --all'],
    ['what a manifest folder declares', 'swarmop delete -f manifests/'],
  ]);
}
