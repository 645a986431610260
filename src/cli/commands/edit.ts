/**
 * `swarmop edit (KIND NAME | KIND/NAME)`: opens the object's YAML (without status) in
 * $SWARMOP_EDITOR, $EDITOR or vi; on save it is written compare-and-set on the resourceVersion it
 * was read at. When the save fails (invalid YAML or spec, or someone else wrote first) the editor
 * opens again with the error at the top and the user's text kept; on a conflict the text gets the
 * latest resourceVersion, so saving again is a deliberate overwrite. Saving an empty file or an
 * unchanged one cancels; saving the same failing text twice gives up (exit 1, text kept).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml, stringify } from 'yaml';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { isSwarmopError, SwarmopError } from '../../errors.js';
import type { Resource } from '../../crds/meta.js';
import { notFound, refOf } from '../resources/kind-lookup.js';
import { parseResourceArgs } from '../resources/resource-args.js';
import { cliAuthor, editableDocument } from '../resources/object-update.js';
import { getOrUndefined } from '../resources/store-reads.js';
import { withExamples } from '../program/examples.js';
import { editMany } from './edit-many.js';
import { editorCommand, errorComment, HEADER, runEditor, stripComments } from './editor-session.js';

export { editorCommand };

export function registerEdit(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('edit')
    .description('edit a stored resource in your editor ($SWARMOP_EDITOR, $EDITOR, vi) and save it compare-and-set')
    .argument('<resource...>', 'KIND NAME... | KIND/NAME... (several open as one List)')
    .action(
      action(ctx, async (args: string[]) => {
        const parsed = parseResourceArgs(args);
        if (parsed.type !== 'refs') throw new SwarmopError('Invalid', 'edit takes objects: KIND NAME..., KIND/NAME...');
        const handle = ctx.open();
        if (parsed.refs.length > 1) return editMany(ctx, handle, parsed.refs);
        const ref = parsed.refs[0]!;
        const live = await getOrUndefined(handle, ref.kind, ref.name);
        if (!live) throw notFound(ref.kind, ref.name);
        const refText = refOf(live);
        const original = stringify(editableDocument(live));
        const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-edit-'));
        const file = path.join(dir, `${ref.kind.singular}-${ref.name}.yaml`);
        const editor = editorCommand(ctx.io.env);
        let text = original;
        let prefixComment = '';
        let lastFailed: string | undefined;
        try {
          for (;;) {
            await writeFile(file, HEADER + prefixComment + text);
            const code = await runEditor(editor, file, ctx.io.env);
            if (code !== 0) throw new SwarmopError('Invalid', `the editor "${editor}" exited with ${code}; nothing was saved`);
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
              throw new SwarmopError('Invalid', `Edit cancelled, no valid changes were saved; a copy of your changes is in ${keep}`);
            }
            let doc: unknown;
            try {
              doc = parseYaml(saved);
              if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
                throw new SwarmopError('Invalid', 'the document must be one YAML mapping');
              const d = doc as Resource;
              if (d.kind !== live.kind || d.metadata?.name !== live.metadata.name) {
                throw new SwarmopError('Invalid', `kind and metadata.name cannot be changed (editing ${refText})`);
              }
              if (Object.hasOwn(d, 'status')) throw new SwarmopError('Invalid', 'status is written only by controllers; remove it');
              const outcome = await handle.store.update(d, { manager: cliAuthor() });
              ctx.io.stdout(
                `${refText} ${outcome === 'unchanged' ? 'unchanged' : outcome === 'deleted' ? 'edited (last finalizer removed: deleted)' : 'edited'}\n`,
              );
              return ExitCode.Ok;
            } catch (err) {
              if (!isSwarmopError(err) || !['Invalid', 'Conflict', 'NotFound'].includes(err.code)) {
                if (!(err instanceof Error && err.name === 'YAMLParseError')) throw err;
              }
              const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
              const details = isSwarmopError(err) ? err.details : [];
              lastFailed = saved;
              text = `${saved}\n`;
              if (isSwarmopError(err, 'NotFound')) throw err;
              const lines = [`The edit could not be saved: ${message}`, ...details];
              if (isSwarmopError(err, 'Conflict')) {
                const latest = await getOrUndefined(handle, ref.kind, ref.name);
                if (!latest) throw notFound(ref.kind, ref.name);
                const mine = doc as Resource;
                mine.metadata.resourceVersion = latest.metadata.resourceVersion;
                text = stringify(mine);
                // Saving this text again is the deliberate overwrite, not a repeated failure.
                lastFailed = undefined;
                lines.push(
                  `Someone else changed ${refText} meanwhile (now at resourceVersion ${latest.metadata.resourceVersion}).`,
                  'Your text is kept below against that version: check it against the stored object and save again to overwrite.',
                );
              }
              ctx.io.stderr(`error: ${message}\n${details.map((d) => `${d}\n`).join('')}`);
              prefixComment = errorComment(lines);
            }
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
    );
  withExamples(cmd, [
    ['edit one attachment in $EDITOR', 'swarmop edit sia ubuntu114'],
    ['with another editor', 'SWARMOP_EDITOR="code --wait" swarmop edit dh/consul01'],
    ['several objects at once (one List; each saved compare-and-set)', 'swarmop edit sia ubuntu114 ubuntu119'],
  ]);
}
