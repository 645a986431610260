/**
 * `get -f` / `describe -f`: the objects that manifests name, as resource arguments (kubectl reads
 * `-f` the same way: the files say which objects, the store says what they look like now).
 */
import { SwarmopError } from '../../errors.js';
import type { CliIo } from '../program/cli-io.js';
import { refOf, requireKind } from '../resources/kind-lookup.js';
import { parseResourceArgs, type ResourceArgs, type ResourceRef } from '../resources/resource-args.js';
import { loadManifests } from './load-manifests.js';

export interface FileArgs {
  filename?: string[];
  recursive?: boolean;
}

/** Resource arguments from either the positional words or `-f` manifests (never both). */
export async function resourceArgsOrFiles(io: CliIo, args: readonly string[], opts: FileArgs): Promise<ResourceArgs> {
  if (opts.filename === undefined) return parseResourceArgs(args);
  if (args.length > 0) throw new SwarmopError('Invalid', 'give either -f or resources, not both');
  const seen = new Set<string>();
  const refs: ResourceRef[] = [];
  for (const r of await loadManifests(opts.filename, { io, recursive: opts.recursive ?? false })) {
    if (seen.has(refOf(r))) continue;
    seen.add(refOf(r));
    refs.push({ kind: requireKind(r.kind), name: r.metadata.name });
  }
  return { type: 'refs', refs };
}
