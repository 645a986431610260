/** The editor round trip shared by `edit` of one object and of several: header, running $EDITOR, comments. */
import { spawn } from 'node:child_process';
import { SwarmopError } from '../../errors.js';
import type { CliContext } from '../program/cli-context.js';

export const HEADER = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
`;

export function editorCommand(env: CliContext['io']['env']): string {
  return env.SWARMOP_EDITOR || env.EDITOR || env.VISUAL || 'vi';
}

/** Runs the editor on `file` through the shell (EDITOR may carry arguments, e.g. "code --wait"). */
export function runEditor(editor: string, file: string, env: CliContext['io']['env']): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'swarmop-edit', file], { stdio: 'inherit', env: env as NodeJS.ProcessEnv });
    child.once('error', (err) => reject(new SwarmopError('Invalid', `cannot start the editor "${editor}": ${err.message}`)));
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
}

export function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n')
    .trim();
}

export function errorComment(lines: readonly string[]): string {
  return `${lines.map((l) => `# ${l}`).join('\n')}\n#\n`;
}
