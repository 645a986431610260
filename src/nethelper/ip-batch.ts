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
 * The input is typed (net-command.ts): which commands are ip's and where they run is known, not
 * read back out of argument arrays.
 */
import type { HelperCommand } from './helper-program.js';
import { inNamespace, isIpCommand, sameNetns, toHelperCommand, type IpCommand, type NetCommand } from './net-command.js';

const BATCH_SAFE = /^[^\s"'\\#]+$/;

/** An ip subcommand ip reads the same as a batch line: no global option, no quoting or comment characters. */
function batchable(c: NetCommand): c is IpCommand {
  return isIpCommand(c) && c.ip.length > 0 && !c.ip[0]!.startsWith('-') && c.ip.every((x) => BATCH_SAFE.test(x));
}

/** `cmds` as helper commands, every run of two or more batchable ip commands (same netns, same mode) as one `ip -batch -`. */
export function batchIpCommands(cmds: readonly NetCommand[]): HelperCommand[] {
  const out: HelperCommand[] = [];
  let run: IpCommand[] = [];
  const flush = (): void => {
    const first = run[0];
    if (run.length === 1) out.push(toHelperCommand(first!));
    else if (first)
      out.push({
        mode: first.mode,
        argv: inNamespace(first.netns, ['ip', ...(first.mode === 'may' ? ['-force'] : []), '-batch', '-']),
        stdin: run.map((c) => c.ip.join(' ')),
      });
    run = [];
  };
  for (const c of cmds) {
    if (!batchable(c)) {
      flush();
      out.push(toHelperCommand(c));
      continue;
    }
    const head = run[0];
    if (head && (head.mode !== c.mode || !sameNetns(head.netns, c.netns))) flush();
    run.push(c);
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
