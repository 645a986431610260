/**
 * `swarmop edit` of several objects (kubectl's): they open as one `List` in the editor; on save
 * each changed item is written compare-and-set on the resourceVersion it carries, unchanged items
 * are skipped. When some items fail (invalid, or changed by someone else meanwhile), the editor
 * opens again with only those, the errors at the top (a conflicting item gets the newer
 * resourceVersion, so saving again is a deliberate overwrite); saving the same failing text twice
 * gives up (exit 1, text kept). Items already saved stay saved.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml, stringify } from 'yaml';
import type { CliContext, StoreHandle } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { isSwarmopError, SwarmopError } from '../../errors.js';
import type { Resource } from '../../crds/meta.js';
import { notFound, refOf, requireKind } from '../resources/kind-lookup.js';
import type { ResourceRef } from '../resources/resource-args.js';
import { cliAuthor, editableDocument } from '../resources/object-update.js';
import { getOrUndefined } from '../resources/store-reads.js';
import { editorCommand, errorComment, HEADER, runEditor, stripComments } from './editor-session.js';

const asList = (items: readonly Record<string, unknown>[]): string => stringify({ apiVersion: 'v1', kind: 'List', items });

function itemsOf(saved: string): Resource[] {
  const doc = parseYaml(saved) as { kind?: unknown; items?: unknown } | null;
  if (!doc || typeof doc !== 'object' || doc.kind !== 'List' || !Array.isArray(doc.items)) {
    throw new SwarmopError('Invalid', 'the document must stay a List with items');
  }
  return doc.items as Resource[];
}

export async function editMany(ctx: CliContext, handle: StoreHandle, refs: readonly ResourceRef[]): Promise<number> {
  const originals = new Map<string, Record<string, unknown>>();
  for (const ref of refs) {
    const live = await getOrUndefined(handle, ref.kind, ref.name);
    if (!live) throw notFound(ref.kind, ref.name);
    originals.set(refOf(live), editableDocument(live));
  }
  const original = asList([...originals.values()]);
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-edit-'));
  const file = path.join(dir, 'edit-list.yaml');
  const editor = editorCommand(ctx.io.env);
  let text = original;
  let comment = '';
  let lastFailed: string | undefined;
  try {
    for (;;) {
      await writeFile(file, HEADER + comment + text);
      const code = await runEditor(editor, file, ctx.io.env);
      if (code !== 0) throw new SwarmopError('Invalid', `the editor "${editor}" exited with ${code}; nothing more was saved`);
      const saved = stripComments(await readFile(file, 'utf8'));
      if (saved === '') {
        ctx.io.stdout('Edit cancelled, saved file was empty.\n');
        return ExitCode.Ok;
      }
      if (saved === stripComments(original)) {
        ctx.io.stdout('Edit cancelled, no changes made.\n');
        return ExitCode.Ok;
      }
      if (lastFailed !== undefined && saved === lastFailed) {
        const keep = path.join(tmpdir(), `swarmop-edit-${process.pid}-${Date.now()}.yaml`);
        await writeFile(keep, `${saved}\n`);
        throw new SwarmopError('Invalid', `Edit cancelled, no valid changes were saved for the rest; a copy of your changes is in ${keep}`);
      }
      let items: Resource[];
      try {
        items = itemsOf(saved);
      } catch (err) {
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        ctx.io.stderr(`error: ${message}\n`);
        comment = errorComment([`The edit could not be saved: ${message}`]);
        text = `${saved}\n`;
        lastFailed = saved;
        continue;
      }
      const failed: Record<string, unknown>[] = [];
      const lines: string[] = [];
      for (const item of items) {
        const ref = `${String(item?.kind).toLowerCase()}/${String(item?.metadata?.name)}`;
        const before = originals.get(ref);
        if (!before) {
          lines.push(`${ref}: not one of the objects being edited (kind and metadata.name cannot be changed)`);
          failed.push(item as unknown as Record<string, unknown>);
          continue;
        }
        if (isDeepStrictEqual(JSON.parse(JSON.stringify(item)), before)) continue;
        try {
          if (Object.hasOwn(item, 'status')) throw new SwarmopError('Invalid', 'status is written only by controllers; remove it');
          const outcome = await handle.store.update(item, { manager: cliAuthor() });
          ctx.io.stdout(
            `${ref} ${outcome === 'deleted' ? 'edited (last finalizer removed: deleted)' : outcome === 'unchanged' ? 'unchanged' : 'edited'}\n`,
          );
          originals.delete(ref);
        } catch (err) {
          if (!isSwarmopError(err) || !['Invalid', 'Conflict', 'NotFound'].includes(err.code)) throw err;
          lines.push(`${ref}: ${err.message}`, ...err.details);
          ctx.io.stderr(`error: ${ref}: ${err.message}\n`);
          if (isSwarmopError(err, 'Conflict')) {
            const now = await getOrUndefined(handle, requireKind(item.kind), item.metadata.name);
            if (now) item.metadata.resourceVersion = now.metadata.resourceVersion;
            lines.push(`${ref} was changed meanwhile: your text is kept against its newer resourceVersion; save again to overwrite.`);
          }
          if (!isSwarmopError(err, 'NotFound')) failed.push(item as unknown as Record<string, unknown>);
        }
      }
      if (failed.length === 0) return ExitCode.Ok;
      text = asList(failed);
      comment = errorComment(['Some objects could not be saved (the others were):', ...lines]);
      // After a conflict, saving the same text again is the deliberate overwrite, not a repeat.
      lastFailed = lines.some((l) => l.includes('was changed meanwhile')) ? undefined : stripComments(text);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
