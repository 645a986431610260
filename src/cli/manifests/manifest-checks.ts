/**
 * Checks across the documents of one manifest set that need no cluster: references to objects
 * the set does not declare (warnings: they may already be stored) and two StaticIPAttachments
 * claiming one address (an error: the operator would refuse the second).
 */
import type { Resource } from '../../crds/meta.js';
import { refOf } from '../resources/kind-lookup.js';
import type { CliContext } from '../program/cli-context.js';
import { SwarmopError } from '../../errors.js';

export interface CrossCheck {
  errors: string[];
  warnings: string[];
}

function hostRefs(r: Resource): string[] {
  const spec = r.spec as Record<string, unknown>;
  switch (r.kind) {
    case 'StaticIPAttachment':
      return typeof spec.host === 'string' ? [spec.host] : [];
    case 'ConsulCluster':
      return [...((spec.servers as { host?: string }[] | undefined) ?? []), ...((spec.clients as { host?: string }[] | undefined) ?? [])]
        .map((m) => m.host)
        .filter((h): h is string => typeof h === 'string');
    case 'SwarmCluster':
      return [...((spec.managers as string[] | undefined) ?? []), ...((spec.workers as string[] | undefined) ?? [])];
    default:
      return [];
  }
}

export function crossCheck(resources: readonly Resource[]): CrossCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const declared = new Set(resources.map((r) => `${r.kind}/${r.metadata.name}`));
  for (const r of resources) {
    for (const host of new Set(hostRefs(r))) {
      if (!declared.has(`DockerHost/${host}`)) warnings.push(`${refOf(r)}: refers to DockerHost "${host}", which these manifests do not declare (it must already be stored)`);
    }
    const discovery = (r.spec as { discovery?: { consulCluster?: string } }).discovery;
    if (r.kind === 'SwarmCluster' && discovery?.consulCluster && !declared.has(`ConsulCluster/${discovery.consulCluster}`)) {
      warnings.push(`${refOf(r)}: refers to ConsulCluster "${discovery.consulCluster}", which these manifests do not declare (it must already be stored)`);
    }
  }
  const byAddress = new Map<string, string>();
  for (const r of resources) {
    if (r.kind !== 'StaticIPAttachment') continue;
    const address = String((r.spec as { address?: string }).address ?? '').split('/')[0];
    if (!address) continue;
    const first = byAddress.get(address);
    if (first) errors.push(`${refOf(r)}: address ${address} is also claimed by ${first}`);
    else byAddress.set(address, refOf(r));
  }
  return { errors, warnings };
}

/** Throws Invalid on cross-document errors; prints warnings on stderr. */
export function checkAcrossDocuments(ctx: CliContext, resources: readonly Resource[]): void {
  const { errors, warnings } = crossCheck(resources);
  for (const w of warnings) ctx.io.stderr(`warning: ${w}\n`);
  if (errors.length > 0) {
    throw new SwarmopError('Invalid', `${errors.length} error${errors.length === 1 ? '' : 's'} across the manifests; nothing was written`, { details: errors });
  }
}
