/**
 * `swarmop ui`: prints the status page's URL for the operator's address (the same defaults as
 * `swarmop operator`); `--check` also asks the page and fails when no operator answers there.
 */
import type { Command } from 'commander';
import { SwarmopError } from '../../errors.js';
import { statusPageUrl } from '../../ui/page-url.js';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';

export function registerUi(program: Command, ctx: CliContext): void {
  program
    .command('ui')
    .description("print the URL of the operator's read-only status page")
    .option('--metrics-addr <addr>', "the operator's --metrics-addr (the page is under /ui there)", '127.0.0.1:9464')
    .option('--ui-addr <addr>', "the operator's --ui-addr, when it serves the page on its own address")
    .option('--check', 'also request the page and fail (exit 5) when nothing answers', false)
    .action(
      action(ctx, async (opts: { metricsAddr: string; uiAddr?: string; check: boolean }) => {
        const url = statusPageUrl(opts.uiAddr ?? opts.metricsAddr);
        ctx.io.stdout(`${url}\n`);
        if (!opts.check) return ExitCode.Ok;
        const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(3_000) }).catch((err: unknown) => {
          throw new SwarmopError(
            'Unavailable',
            `no status page answers at ${url}: ${err instanceof Error ? err.message : String(err)} (is \`swarmop operator\` running with this address?)`,
          );
        });
        if (res.status === 401) {
          // Served with --ui-token: the page answers, it only wants its token.
          ctx.io.stderr(`the page asks for its token (--ui-token): open ${url}?token=TOKEN once\n`);
          return ExitCode.Ok;
        }
        if (!res.ok) throw new SwarmopError('Unavailable', `${url} answered ${res.status}; is the operator running with --no-ui?`);
        return ExitCode.Ok;
      }),
    );
}
