/**
 * `swarmop adopt --dry-run -f FILE|DIR|- [-R] [-o table|json] [--attach-requires-label LABEL]`:
 * before the first apply on hosts built by hand, what each object's controller finds there and what
 * it would do (adopt-as-is, would-change, blocked, unreachable, unobserved, not-reported). It reads
 * the manifests only (DockerHost endpoints come from their documents) and never writes: not to
 * Consul, not to a host. Exit 0 when everything can be taken over or changed, 9 when something is
 * blocked, 10 when something could not be seen.
 *
 * `adopt` without --dry-run does nothing but say so: taking over is `apply`, so there is one path
 * that writes, and the report is never mistaken for it.
 */
import type { Command } from 'commander';
import { action, type CliContext } from '../program/cli-context.js';
import { ExitCode } from '../program/exit-codes.js';
import { collect, loadManifests } from '../manifests/load-manifests.js';
import { checkAcrossDocuments } from '../manifests/manifest-checks.js';
import { SwarmopError } from '../../errors.js';
import { withExamples } from '../program/examples.js';
import type { AdoptionFinding } from '../../controllers/adoption-finding.js';
import type { AdoptionReportOptions } from '../adopt/adoption-report.js';

interface AdoptOptions {
  filename: string[];
  recursive?: boolean;
  dryRun?: boolean;
  output?: string;
  attachRequiresLabel?: string;
  allowInsecureEngines?: boolean;
  helperImage?: string;
}

/** 9 when anything is blocked, else 10 when anything was not seen, else 0. */
export function adoptionExitCode(findings: readonly AdoptionFinding[]): number {
  if (findings.some((f) => f.verdict === 'blocked')) return ExitCode.AdoptionBlocked;
  if (findings.some((f) => f.verdict === 'unreachable' || f.verdict === 'unobserved' || f.verdict === 'not-reported'))
    return ExitCode.AdoptionIncomplete;
  return ExitCode.Ok;
}

/** The controllers are loaded only when the report runs, so other commands never load them (as for `operator`). */
async function defaultReport(o: AdoptionReportOptions): Promise<AdoptionFinding[]> {
  const { buildAdoptionReport } = await import('../adopt/adoption-report.js');
  return buildAdoptionReport(o);
}

export function registerAdopt(
  program: Command,
  ctx: CliContext,
  report: (o: AdoptionReportOptions) => Promise<AdoptionFinding[]> = defaultReport,
): void {
  const cmd = program
    .command('adopt')
    .description(
      'before the first apply on hosts built by hand: what swarmop would take over as it is, change, or be blocked by, per object ' +
        '(--dry-run, required: writes nothing, not to Consul, not to a host; apply then takes over)',
    )
    .requiredOption(
      '-f, --filename <path>',
      'file, folder or - for stdin; repeatable (DockerHost endpoints come from these documents)',
      collect,
    )
    .option('-R, --recursive', 'process folders recursively')
    .option('--dry-run', 'report only (required: adopting is done by apply)')
    .option('-o, --output <format>', 'table (default) or json')
    .option('--attach-requires-label <label>', "as the operator's flag of that name: containers without it are reported blocked")
    .option('--helper-image <image>', "as the operator's flag of that name: the network helper image it runs (default: this package's)")
    .option(
      '--allow-insecure-engines',
      "as the operator's flag of that name: without it, a SwarmCluster on plain-tcp engines is reported blocked",
    )
    .action(
      action(ctx, async (opts: AdoptOptions) => {
        if (!opts.dryRun)
          throw new SwarmopError(
            'Invalid',
            'adopt only reports, with --dry-run; apply takes over: swarmop adopt --dry-run -f DIR, then swarmop apply -f DIR',
          );
        const output = opts.output ?? 'table';
        if (output !== 'table' && output !== 'json') throw new SwarmopError('Invalid', `--output must be table or json, got "${output}"`);
        const resources = await loadManifests(opts.filename, { io: ctx.io, recursive: opts.recursive ?? false });
        checkAcrossDocuments(ctx, resources);
        const findings = await report({
          resources,
          ...(opts.attachRequiresLabel !== undefined ? { attachRequiresLabel: opts.attachRequiresLabel } : {}),
          allowInsecureEngines: opts.allowInsecureEngines === true,
          ...(opts.helperImage !== undefined ? { helperImage: opts.helperImage } : {}),
        });
        const { adoptionJson, adoptionTable } = await import('../adopt/adoption-printer.js');
        ctx.io.stdout(output === 'json' ? adoptionJson(findings) : adoptionTable(findings));
        return adoptionExitCode(findings);
      }),
    );
  withExamples(cmd, [
    ['what swarmop would do to hand-built hosts (exit 0 ok, 9 blocked, 10 not all seen)', 'swarmop adopt --dry-run -f manifests/'],
    ['the same as JSON, for a script', 'swarmop adopt --dry-run -f manifests/ -o json'],
  ]);
}
