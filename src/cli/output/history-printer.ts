/**
 * What `history` and `apply view-last-applied` print: the revisions table (like `kubectl rollout
 * history` with helm's UPDATED column), one revision's spec as a document, and the last-applied
 * configuration as YAML (kubectl's default) or JSON.
 */
import { stringify } from 'yaml';
import type { Resource } from '../../crds/meta.js';
import type { Revision } from '../../store/resource-store.js';
import { renderTable } from './table.js';

export function renderHistory(ref: string, revisions: readonly Revision[], currentGeneration: number | undefined): string {
  const rows = revisions.map((r) => [
    String(r.revision),
    r.time.replace(/\.\d+Z$/, 'Z'),
    r.manager,
    r.revision === currentGeneration ? `${r.change} (current)` : r.change,
  ]);
  return `${ref}\n${renderTable(['REVISION', 'UPDATED', 'MANAGER', 'CHANGE'], rows)}`;
}

/** One revision as the document it was: the object's identity with that revision's spec. */
export function renderRevision(live: Pick<Resource, 'apiVersion' | 'kind' | 'metadata'>, rev: Revision, format: 'yaml' | 'json'): string {
  const doc = {
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: {
      name: live.metadata.name,
      annotations: {
        'swarmop.io/revision': String(rev.revision),
        'swarmop.io/revision-manager': rev.manager,
        'swarmop.io/revision-time': rev.time,
      },
    },
    spec: rev.spec,
  };
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc);
}

export function renderLastApplied(configuration: unknown, format: 'yaml' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(configuration, null, 2)}\n` : stringify(configuration);
}
