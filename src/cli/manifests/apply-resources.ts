/**
 * Writing validated resources to the store, shared by `apply` and `apply --watch`: the dry-run
 * modes, the field manager, a one-shot prune's set, and the `kind/name action` line per resource.
 */
import type { CliContext } from '../program/cli-context.js';
import { refOf } from '../resources/kind-lookup.js';
import { matchesSelector, parseLabelSelector } from '../resources/label-selector.js';
import { checkAcrossDocuments } from './manifest-checks.js';
import type { Resource } from '../../crds/meta.js';
import type { ApplyOptions, ApplyResult, PruneSelection } from '../../store/resource-store.js';
import { isSwarmopError, SwarmopError } from '../../errors.js';
import type { ValidateDocumentsOptions } from '../../crds/index.js';
import { mergeForApply } from '../../store/apply-merge.js';
import { asWritten } from './load-manifests.js';

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

/** Validated manifests: defaulted (for the checks) and as written (what is applied). */
export interface ManifestSet {
  resources: Resource[];
  written: Resource[];
}

/** How `apply` writes: as which field manager, and which stored objects a prune may delete. */
export interface ApplySettings {
  mode: DryRun;
  fieldManager: string;
  forceConflicts: boolean;
  /** The applyset the manifests make up: its label is added to each (members are recorded in the store). */
  applyset?: string;
  /** One-shot prune of the set (`--prune` with `--applyset` and/or `-l`). */
  prune?: PruneSet;
}

/** The set a prune works on: members of an applyset, objects matching a selector, or both. */
export interface PruneSet {
  applyset?: string;
  selector?: string;
}

/** The label that records an object's applyset (kubectl's applyset.kubernetes.io/part-of). */
export const APPLYSET_LABEL = 'applyset.swarmop.io/part-of';

/** The store's predicate for a prune set; both conditions must hold when both are given. */
export function pruneSelection(set: PruneSet): PruneSelection {
  if (set.applyset === undefined && set.selector === undefined) {
    throw new SwarmopError('Invalid', '--prune needs --applyset NAME or -l SELECTOR (or --watch): it never deletes objects outside a set');
  }
  const terms = set.selector !== undefined ? parseLabelSelector(set.selector) : [];
  if (set.selector !== undefined && terms.length === 0) throw new SwarmopError('Invalid', '--prune with an empty -l selector would match every object');
  return {
    matches: (_kind, labels) => (set.applyset === undefined || labels[APPLYSET_LABEL] === set.applyset) && matchesSelector({ ...labels }, terms),
  };
}

/** The manifests with the applyset's label added (so membership is recorded in the store). */
export function withApplysetLabel(resources: readonly Resource[], applyset: string | undefined): Resource[] {
  if (applyset === undefined) return [...resources];
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(applyset)) {
    throw new SwarmopError('Invalid', `--applyset "${applyset}": use 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit`);
  }
  return resources.map((r) => ({ ...r, metadata: { ...r.metadata, labels: { ...r.metadata.labels, [APPLYSET_LABEL]: applyset } } }));
}

/**
 * Validation for apply: a document is checked at the size it will be stored with, its
 * last-applied record included (a copy of the manifest, as kubectl keeps it), so a manifest too
 * large for that is refused at its position in the file rather than by the store.
 */
export function applyValidation(settings: Pick<ApplySettings, 'fieldManager' | 'applyset'>): ValidateDocumentsOptions {
  checkFieldManager(settings.fieldManager);
  return {
    storedForm: (value) => mergeForApply(withApplysetLabel([asWritten(value)], settings.applyset)[0]!, undefined, { manager: settings.fieldManager }).doc,
    storedFormNote: "counting apply's last-applied record (a copy of the manifest in the swarmop.io/last-applied-configuration annotation)",
  };
}

/** A field manager name is recorded in every object it applies: printable, 1-128 characters (as kubectl's). */
export function checkFieldManager(name: string): void {
  if (name.length === 0 || name.length > 128 || !/^[\x21-\x7e]+$/.test(name)) {
    throw new SwarmopError('Invalid', `--field-manager "${name.slice(0, 140)}": use 1-128 printable ASCII characters without spaces`);
  }
}

function storeOptions(settings: ApplySettings, dryRun: boolean): ApplyOptions {
  return {
    dryRun,
    fieldManager: settings.fieldManager,
    forceConflicts: settings.forceConflicts,
    ...(settings.prune ? { prune: pruneSelection(settings.prune) } : {}),
  };
}

/**
 * Applies validated resources and prints one `kind/name action` line each. Both dry runs plan
 * the real apply (the three-way merge needs the stored objects) and write nothing; a client dry
 * run with Consul out of reach still checks the manifests (schema, cross-document) and says so,
 * so manifests can be checked in a CI job with no cluster.
 */
export async function applyResources(ctx: CliContext, loaded: ManifestSet, settings: ApplySettings): Promise<void> {
  const { mode } = settings;
  const manifests = loaded.resources;
  const resources = withApplysetLabel(loaded.written, settings.applyset);
  let results: ApplyResult[];
  if (mode === 'client') {
    checkAcrossDocuments(ctx, manifests);
    try {
      results = await ctx.open().store.apply(resources, storeOptions(settings, true));
    } catch (err) {
      if (!isSwarmopError(err, 'Unavailable')) throw err;
      ctx.io.stderr(`warning: Consul is not reachable (${err.message}); checked the manifests alone (schema and cross-document checks)\n`);
      for (const r of manifests) ctx.io.stdout(`${refOf(r)} valid (dry run, offline)\n`);
      return;
    }
  } else {
    results = await ctx.open().store.apply(resources, storeOptions(settings, mode === 'server'));
  }
  for (const r of results) {
    const ref = refOf({ kind: r.kind, metadata: { name: r.name } });
    const action = r.action === 'terminating' ? 'pruned (deletion requested; finalizers run first)' : r.action;
    ctx.io.stdout(`${ref} ${action}${dryRunSuffix(mode)}\n`);
  }
}
