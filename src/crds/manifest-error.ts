/** A positioned manifest problem, printed as `file:line:col: path: message` (line and col 1-based). */
export interface ManifestError {
  file: string;
  line: number;
  col: number;
  /** Field path like spec.servers[1].host; '' for problems of the document or file itself. */
  path: string;
  message: string;
}

export function formatManifestError(e: ManifestError): string {
  return e.path === '' ? `${e.file}:${e.line}:${e.col}: ${e.message}` : `${e.file}:${e.line}:${e.col}: ${e.path}: ${e.message}`;
}

export function compareManifestErrors(a: ManifestError, b: ManifestError): number {
  return a.line - b.line || a.col - b.col || a.path.localeCompare(b.path) || a.message.localeCompare(b.message);
}
