/**
 * Writing validated resources to the store, shared by `apply` and `apply --watch`: the dry-run
 * modes and the one `kind/name action` line printed per resource.
 */
import type { CliContext } from '../program/cli-context.js';
import { refOf, requireKind } from '../resources/kind-lookup.js';
import { getOrUndefined } from '../resources/store-reads.js';
import { resourceDiff } from '../output/spec-diff.js';
import { checkAcrossDocuments } from './manifest-checks.js';
import { applyDefaults } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import type { ApplyResult } from '../../store/resource-store.js';
import { isSwarmopError, SwarmopError } from '../../errors.js';

export type DryRun = 'none' | 'client' | 'server';

export function parseDryRun(value: string | boolean | undefined): DryRun {
  if (value === undefined || value === false || value === 'none') return 'none';
  // A bare --dry-run means client, as it did in kubectl.
  if (value === true || value === 'client') return 'client';
  if (value === 'server') return 'server';
  throw new SwarmopError('Invalid', `invalid --dry-run value "${String(value)}": use client or server`);
}

export function dryRunSuffix(mode: DryRun): string {
  return mode === 'client' ? ' (dry run)' : mode === 'server' ? ' (server dry run)' : '';
}

/**
 * Client dry run: decided here from plain reads (exists? same labels/annotations/spec after
 * defaulting?), with none of the store's write-path checks. Server dry run runs those checks.
 * With Consul out of reach it still checks the manifests (schema, cross-document) and says so,
 * so manifests can be checked in a CI job with no cluster.
 */
async function clientDryRun(ctx: CliContext, resources: Resource[]): Promise<{ results: ApplyResult[]; offline?: string }> {
  checkAcrossDocuments(ctx, resources);
  const results: ApplyResult[] = [];
  try {
    const handle = ctx.open();
    for (const r of resources) {
      const live = await getOrUndefined(handle, requireKind(r.kind), r.metadata.name);
      const action = !live ? 'created' : resourceDiff(applyDefaults(live), applyDefaults(r)) === '' ? 'unchanged' : 'configured';
      results.push({ kind: r.kind, name: r.metadata.name, action });
    }
    return { results };
  } catch (err) {
    if (!isSwarmopError(err, 'Unavailable')) throw err;
    return { results: [], offline: err.message };
  }
}

/** Applies validated resources and prints one `kind/name action` line each. */
export async function applyResources(ctx: CliContext, resources: Resource[], mode: DryRun): Promise<void> {
  if (mode === 'client') {
    const { results, offline } = await clientDryRun(ctx, resources);
    if (offline !== undefined) {
      ctx.io.stderr(`warning: Consul is not reachable (${offline}); checked the manifests alone (schema and cross-document checks)\n`);
      for (const r of resources) ctx.io.stdout(`${refOf(r)} valid (dry run, offline)\n`);
      return;
    }
    for (const r of results) ctx.io.stdout(`${refOf({ kind: r.kind, metadata: { name: r.name } })} ${r.action}${dryRunSuffix(mode)}\n`);
    return;
  }
  const { store } = ctx.open();
  const results = await store.apply(resources, { dryRun: mode === 'server' });
  for (const r of results) {
    ctx.io.stdout(`${refOf({ kind: r.kind, metadata: { name: r.name } })} ${r.action}${dryRunSuffix(mode)}\n`);
  }
}
