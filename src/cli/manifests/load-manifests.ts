/**
 * Reads, parses and validates every `-f` source before anything is written: either all documents
 * are valid resources, or the result carries every error (formatted `file:line:col: path: reason`).
 */
import {
  formatManifestError,
  parseManifestBytes,
  validateDocuments,
  type ManifestError,
  type ParsedDocument,
  type ValidateDocumentsOptions,
} from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { SwarmopError } from '../../errors.js';
import type { CliIo } from '../program/cli-io.js';
import { readManifestSources, type ManifestSource } from './manifest-sources.js';

export interface LoadedManifests {
  /** Validated and defaulted (what the checks and diff compare). */
  resources: Resource[];
  /**
   * The same documents as written, before defaulting: what apply sends, so its three-way merge
   * and last-applied record hold only the fields the manifest sets (a default is not one).
   */
  written: Resource[];
  errors: string[];
}

/** A valid document as written, with what apply reads of its metadata (no system fields). */
export function asWritten(value: unknown): Resource {
  const v = value as Resource;
  const metadata: Resource['metadata'] = { name: v.metadata.name };
  if (v.metadata.labels !== undefined) metadata.labels = v.metadata.labels;
  if (v.metadata.annotations !== undefined) metadata.annotations = v.metadata.annotations;
  return { apiVersion: v.apiVersion, kind: v.kind, metadata, spec: v.spec };
}

export function validateSources(sources: readonly ManifestSource[], options: ValidateDocumentsOptions = {}): LoadedManifests {
  const errors: ManifestError[] = [];
  const documents: ParsedDocument[] = [];
  for (const s of sources) {
    const parsed = parseManifestBytes(s.bytes, s.file);
    documents.push(...parsed.documents);
    errors.push(...parsed.errors);
  }
  const validated = validateDocuments(documents, options);
  errors.push(...validated.errors);
  if (errors.length > 0) return { resources: [], written: [], errors: errors.map(formatManifestError) };
  // Without errors every (non-empty) document is one resource, in order.
  const written = validated.resources.length === documents.length ? documents.map((d) => asWritten(d.value)) : validated.resources;
  return { resources: validated.resources, written, errors: [] };
}

/** Loads `-f` arguments; throws SwarmopError('Invalid') carrying every error as details. */
export async function loadManifests(files: readonly string[], options: { io: CliIo; recursive: boolean }): Promise<Resource[]> {
  return (await loadManifestSet(files, options)).resources;
}

/** loadManifests, with the documents as written too (for apply). */
export async function loadManifestSet(
  files: readonly string[],
  options: { io: CliIo; recursive: boolean; validate?: ValidateDocumentsOptions },
): Promise<Omit<LoadedManifests, 'errors'>> {
  const sources = await readManifestSources(files, { cwd: options.io.cwd, recursive: options.recursive, readStdin: options.io.readStdin });
  const { resources, written, errors } = validateSources(sources, options.validate);
  if (errors.length > 0) {
    throw new SwarmopError('Invalid', `${errors.length} error${errors.length === 1 ? '' : 's'} in the manifests; nothing was written`, {
      details: errors,
    });
  }
  if (resources.length === 0) throw new SwarmopError('Invalid', 'no objects passed: the manifests contain no documents');
  return { resources, written };
}

/** Commander's accumulator for the repeatable `-f, --filename` option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
