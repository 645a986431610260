/** The "Examples:" section of a command's --help, in kubectl's layout (a comment line, then the command). */
import type { Command } from 'commander';

export type Example = readonly [what: string, command: string];

export function examplesText(examples: readonly Example[]): string {
  return `\nExamples:\n${examples.map(([what, cmd]) => `  # ${what}\n  ${cmd}\n`).join('\n')}`;
}

export function withExamples<C extends Command>(cmd: C, examples: readonly Example[]): C {
  cmd.addHelpText('after', examplesText(examples));
  return cmd;
}
