/**
 * `swarmop wait (KIND/NAME... | KIND NAME... | KIND -l SEL | KIND --all)
 *  --for=condition=Ready[=True|False] | --for=delete [--timeout=60s]`
 * With -l or --all, as in kubectl, the objects are the ones that match when the wait starts.
 */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import type { KindInfo } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { refOf } from '../resources/kind-lookup.js';
import { parseGoDuration } from '../../go-duration.js';
import { describeWaitFor, parseWaitFor, waitSatisfied, type WaitFor } from '../watch/wait-condition.js';
import { watchPrefix } from '../watch/kv-watch.js';
import { listKind, pick } from '../resources/store-reads.js';
import { parseResourceArgs } from '../resources/resource-args.js';
import { parseLabelSelector } from '../resources/label-selector.js';
import type { StoreHandle } from '../program/cli-context.js';

interface Target {
  kind: KindInfo;
  name: string;
}

/** Why a target is not done yet, for the timeout message. */
function pendingReason(f: WaitFor, r: Resource | undefined): string {
  if (f.type === 'delete') return 'it still exists';
  if (!r) return 'it does not exist';
  const c = r.status?.conditions?.find((x) => x.type === f.condition);
  if (!c) return `it has no ${f.condition} condition yet`;
  const gen = r.metadata.generation;
  const observed = c.observedGeneration ?? r.status?.observedGeneration;
  if (c.status === f.status && gen !== undefined && (observed === undefined || observed < gen)) {
    return `${f.condition}=${c.status} was observed for generation ${observed ?? '?'}, not the current ${gen}`;
  }
  return `${f.condition}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`;
}

/** The objects to wait for: named ones, or those of the kinds that -l / --all select now. */
async function resolveTargets(handle: StoreHandle, args: readonly string[], opts: { selector?: string; all?: boolean }): Promise<Target[]> {
  const parsed = parseResourceArgs(args);
  if (opts.selector === undefined && !opts.all) {
    if (parsed.type === 'refs') return parsed.refs;
    throw new SwarmopError('Invalid', 'name the objects (KIND/NAME or KIND NAME...) or select them with -l SELECTOR or --all');
  }
  if (parsed.type !== 'kinds')
    throw new SwarmopError('Invalid', '-l and --all take a resource type, not names (e.g. wait sia -l tier=web)');
  if (opts.selector !== undefined && opts.all) throw new SwarmopError('Invalid', 'give -l or --all, not both');
  const terms = opts.selector !== undefined ? parseLabelSelector(opts.selector) : [];
  const found: Target[] = [];
  for (const kind of parsed.kinds) for (const r of await listKind(handle, kind, terms)) found.push({ kind, name: r.metadata.name });
  if (found.length === 0) throw new SwarmopError('NotFound', 'no matching resources found');
  return found;
}

export function registerWait(program: Command, ctx: CliContext): void {
  program
    .command('wait')
    .description('wait until resources meet a condition (they may not exist yet) or are deleted')
    .argument('<targets...>', 'KIND/NAME (e.g. sia/web1), KIND NAME..., or KIND with -l / --all')
    .requiredOption('--for <what>', 'condition=NAME[=VALUE] (VALUE defaults to True) or delete')
    .option('--timeout <duration>', 'give up after this long (exit 6)', '30s')
    .option('-l, --selector <selector>', 'every object of the kind matching this label selector (when the wait starts)')
    .option('--all', 'every object of the kind (when the wait starts)')
    .action(
      action(ctx, async (targetArgs: string[], opts: { for: string; timeout: string; selector?: string; all?: boolean }) => {
        const f = parseWaitFor(opts.for);
        const timeoutMs = parseGoDuration(opts.timeout, { bareSeconds: true });
        const handle = ctx.open();
        const targets = await resolveTargets(handle, targetArgs, opts);
        const deadline = AbortSignal.timeout(Math.max(timeoutMs, 1));
        const signal = AbortSignal.any([deadline, ctx.io.signal]);
        const done = new Set<string>();
        const last = new Map<string, Resource | undefined>();
        // Short blocking queries keep the deadline exact even if a query ignores the signal.
        const waitArg = `${Math.min(30, Math.max(1, Math.ceil(timeoutMs / 1000)))}s`;
        for await (const snap of watchPrefix(handle.kv, handle.prefix, { signal, wait: waitArg })) {
          for (const t of targets) {
            const ref = refOf({ kind: t.kind.kind, metadata: { name: t.name } });
            if (done.has(ref)) continue;
            const r = pick(handle, snap.pairs, t.kind, t.name)[0];
            last.set(ref, r);
            if (waitSatisfied(f, r)) {
              done.add(ref);
              ctx.io.stdout(`${ref} ${f.type === 'delete' ? 'deleted' : 'condition met'}\n`);
            }
          }
          if (done.size === targets.length) return ExitCode.Ok;
        }
        if (ctx.io.signal.aborted && !deadline.aborted) return 130;
        const pending = targets
          .map((t) => refOf({ kind: t.kind.kind, metadata: { name: t.name } }))
          .filter((ref) => !done.has(ref))
          .map((ref) => `  ${ref}: ${pendingReason(f, last.get(ref))}`);
        throw new SwarmopError('Timeout', `timed out after ${opts.timeout} waiting for ${describeWaitFor(f)}`, { details: pending });
      }),
    );
}
