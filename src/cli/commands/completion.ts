/** `swarmop completion bash|zsh`: prints the shell completion script. */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { SwarmopError } from '../../errors.js';
import { bashCompletion, zshCompletion } from '../program/completion-script.js';
import { withExamples } from '../program/examples.js';

export function registerCompletion(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('completion')
    .description('print a shell completion script (commands, flags, kinds and object names)')
    .argument('<shell>', 'bash or zsh')
    .action(
      action(ctx, async (shell: string) => {
        if (shell === 'bash') ctx.io.stdout(bashCompletion(program));
        else if (shell === 'zsh') ctx.io.stdout(zshCompletion(program));
        else throw new SwarmopError('Invalid', `unsupported shell "${shell}": use bash or zsh`);
        return ExitCode.Ok;
      }),
    );
  withExamples(cmd, [
    ['this shell only', 'source <(swarmop completion bash)'],
    ['every new bash', 'swarmop completion bash > /etc/bash_completion.d/swarmop'],
    ['zsh', 'source <(swarmop completion zsh)'],
  ]);
}
