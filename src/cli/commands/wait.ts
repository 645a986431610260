/** `swarmop wait KIND/NAME... --for=condition=Ready[=True|False] | --for=delete [--timeout=60s]` */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import type { KindInfo } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { refOf, requireKind } from '../resources/kind-lookup.js';
import { parseGoDuration } from '../../go-duration.js';
import { describeWaitFor, parseWaitFor, waitSatisfied, type WaitFor } from '../watch/wait-condition.js';
import { watchPrefix } from '../watch/kv-watch.js';
import { pick } from '../resources/store-reads.js';

interface Target {
  kind: KindInfo;
  name: string;
}

export function parseTarget(text: string): Target {
  const m = /^([^/]+)\/([^/]+)$/.exec(text);
  if (!m) throw new SwarmopError('Invalid', `"${text}" is not KIND/NAME (e.g. staticipattachment/web1)`);
  return { kind: requireKind(m[1] ?? ''), name: m[2] ?? '' };
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

export function registerWait(program: Command, ctx: CliContext): void {
  program
    .command('wait')
    .description('wait until resources meet a condition (they may not exist yet) or are deleted')
    .argument('<targets...>', 'KIND/NAME, e.g. sia/web1')
    .requiredOption('--for <what>', 'condition=NAME[=VALUE] (VALUE defaults to True) or delete')
    .option('--timeout <duration>', 'give up after this long (exit 6)', '30s')
    .action(
      action(ctx, async (targetArgs: string[], opts: { for: string; timeout: string }) => {
        const targets = targetArgs.map(parseTarget);
        const f = parseWaitFor(opts.for);
        const timeoutMs = parseGoDuration(opts.timeout, { bareSeconds: true });
        const handle = ctx.open();
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
