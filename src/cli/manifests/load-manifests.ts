/**
 * Reads, parses and validates every `-f` source before anything is written: either all documents
 * are valid resources, or the result carries every error (formatted `file:line:col: path: reason`).
 */
import { formatManifestError, parseManifestBytes, validateDocuments, type ManifestError, type ParsedDocument } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { SwarmopError } from '../../errors.js';
import type { CliIo } from '../program/cli-io.js';
import { readManifestSources, type ManifestSource } from './manifest-sources.js';

export interface LoadedManifests {
  resources: Resource[];
  errors: string[];
}

export function validateSources(sources: readonly ManifestSource[]): LoadedManifests {
  const errors: ManifestError[] = [];
  const documents: ParsedDocument[] = [];
  for (const s of sources) {
    const parsed = parseManifestBytes(s.bytes, s.file);
    documents.push(...parsed.documents);
    errors.push(...parsed.errors);
  }
  const validated = validateDocuments(documents);
  errors.push(...validated.errors);
  return { resources: errors.length === 0 ? validated.resources : [], errors: errors.map(formatManifestError) };
}

/** Loads `-f` arguments; throws SwarmopError('Invalid') carrying every error as details. */
export async function loadManifests(files: readonly string[], options: { io: CliIo; recursive: boolean }): Promise<Resource[]> {
  const sources = await readManifestSources(files, { cwd: options.io.cwd, recursive: options.recursive, readStdin: options.io.readStdin });
  const { resources, errors } = validateSources(sources);
  if (errors.length > 0) {
    throw new SwarmopError('Invalid', `${errors.length} error${errors.length === 1 ? '' : 's'} in the manifests; nothing was written`, {
      details: errors,
    });
  }
  if (resources.length === 0) throw new SwarmopError('Invalid', 'no objects passed: the manifests contain no documents');
  return resources;
}

/** Commander's accumulator for the repeatable `-f, --filename` option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
