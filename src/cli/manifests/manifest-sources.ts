/**
 * Turns `-f` arguments into the texts to parse: a file, a folder's *.yaml/*.yml/*.json (sorted,
 * recursive with -R), or `-` for standard input. Reading is separate from parsing so every file
 * is read (and validated) before anything is written.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SwarmopError } from '../../errors.js';

export interface ManifestSource {
  /** As shown in error messages: the path as the user wrote it (joined for folder entries). */
  file: string;
  /** Raw bytes: decoding (and rejecting invalid UTF-8 with a position) is the parser's job. */
  bytes: Uint8Array;
}

export const STDIN_NAME = '<stdin>';
const MANIFEST_EXT = /\.(ya?ml|json)$/i;

export async function listManifestFiles(arg: string, options: { cwd: string; recursive: boolean }): Promise<string[]> {
  const abs = path.resolve(options.cwd, arg);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new SwarmopError('Invalid', `the path "${arg}" does not exist`);
  if (!st.isDirectory()) return [arg];
  const out: string[] = [];
  const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const shown = path.join(arg, e.name);
    if (e.isDirectory()) {
      if (options.recursive) out.push(...(await listManifestFiles(shown, options)));
    } else if (MANIFEST_EXT.test(e.name)) {
      out.push(shown);
    }
  }
  return out;
}

export async function readManifestSources(
  args: readonly string[],
  options: { cwd: string; recursive: boolean; readStdin: () => Promise<Uint8Array> },
): Promise<ManifestSource[]> {
  if (args.length === 0) throw new SwarmopError('Invalid', 'must specify -f FILE|DIR|-');
  const sources: ManifestSource[] = [];
  for (const arg of args) {
    if (arg === '-') {
      sources.push({ file: STDIN_NAME, bytes: await options.readStdin() });
      continue;
    }
    for (const file of await listManifestFiles(arg, options)) {
      sources.push({ file, bytes: await readFile(path.resolve(options.cwd, file)) });
    }
  }
  return sources;
}
