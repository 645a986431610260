/**
 * Fewer process starts per program: consecutive `ip` commands that run in the same network
 * namespace with the same mode become one `ip -batch -` whose script arrives on its stdin. A
 * container's five attach steps then cost one nsenter and one ip instead of five of each - on a
 * loaded host every process start is several milliseconds of the repair.
 *
 * Semantics are those of the commands one by one:
 * - a `must` run is `ip -batch -`: ip stops at its first failing line and exits non-zero, so the
 *   program stops there, as it would have at that command;
 * - a `may` run is `ip -force -batch -`: every line runs whatever the others did, and the result is
 *   ignored, as each `may` command's would have been.
 * ip splits a batch line on whitespace and gives quotes, backslashes and `#` a meaning, so a
 * command with such an argument (or an empty one) is left out of any batch and runs on its own.
 * Values come from validated specs and the kernel's own output, so in practice every step batches.
 */
import type { HelperCommand } from './helper-program.js';
import { isHelperNetnsPath } from './netns-file.js';

interface IpTarget {
  /** Everything before `ip`: nothing (the helper's own netns, the host's) or `nsenter --net=FILE`. */
  prefix: readonly string[];
  /** The ip arguments (an ip subcommand: global options never batch). */
  args: readonly string[];
}

const BATCH_SAFE = /^[^\s"'\\#]+$/;

function ipTarget(c: HelperCommand): IpTarget | undefined {
  if (c.stdin !== undefined) return undefined;
  const a = c.argv;
  let at = -1;
  if (a[0] === 'ip') at = 0;
  else if (
    a.length > 3 &&
    a[0] === 'nsenter' &&
    a[1]!.startsWith('--net=') &&
    isHelperNetnsPath(a[1]!.slice('--net='.length)) &&
    a[2] === 'ip'
  )
    at = 2;
  if (at < 0) return undefined;
  const args = a.slice(at + 1);
  if (args.length === 0 || args[0]!.startsWith('-') || !args.every((x) => BATCH_SAFE.test(x))) return undefined;
  return { prefix: a.slice(0, at), args };
}

/** `cmds` with every run of two or more batchable ip commands (same netns, same mode) as one `ip -batch -`. */
export function batchIpCommands(cmds: readonly HelperCommand[]): HelperCommand[] {
  const out: HelperCommand[] = [];
  let run: { mode: HelperCommand['mode']; prefix: readonly string[]; cmds: HelperCommand[]; lines: string[] } | undefined;
  const flush = (): void => {
    if (!run) return;
    if (run.cmds.length === 1) out.push(run.cmds[0]!);
    else
      out.push({ mode: run.mode, argv: [...run.prefix, 'ip', ...(run.mode === 'may' ? ['-force'] : []), '-batch', '-'], stdin: run.lines });
    run = undefined;
  };
  for (const c of cmds) {
    const t = ipTarget(c);
    if (!t) {
      flush();
      out.push(c);
      continue;
    }
    if (run && (run.mode !== c.mode || run.prefix.join(' ') !== t.prefix.join(' '))) flush();
    run ??= { mode: c.mode, prefix: t.prefix, cmds: [], lines: [] };
    run.cmds.push(c);
    run.lines.push(t.args.join(' '));
  }
  flush();
  return out;
}

/**
 * What failed, for the error message: the command, and for a batch the line ip names in its
 * `Command failed -:N` (the last one in `stderr`: a must batch stops at its first failure).
 */
export function describeFailedCommand(c: HelperCommand, stderr: string): string {
  const head = c.argv.join(' ');
  if (!c.stdin) return head;
  const at = [...stderr.matchAll(/Command failed -:(\d+)/g)].at(-1)?.[1];
  const line = at !== undefined ? c.stdin[Number(at) - 1] : undefined;
  return line !== undefined ? `${head} (line ${at}: ${line})` : `${head} (${c.stdin.length} lines)`;
}
