/**
 * A "program" is a list of argument-array commands run one after another inside the network helper
 * with a single `docker exec` (or a single `docker run`): one round trip per reconcile instead of
 * one per command, and a multi-step change (moving the uplink onto the bridge) cannot be cut in
 * half by the operator dying between two API calls.
 *
 * The runner is a FIXED shell script; commands travel as positional arguments and are executed
 * with `eval` over `"${1}" "${2}" ...` references only, so no value is ever parsed by the shell.
 * A command may also take lines on its stdin (an `ip -batch -` script): they travel the same way and
 * reach it through a here-document whose body holds only `${N}` references.
 */
import { SwarmopError } from '../errors.js';
import { isHelperNetnsPath } from './netns-file.js';

export interface HelperCommand {
  argv: readonly string[];
  /** A failure stops the program (`must`) or is recorded and skipped (`may`). */
  mode: 'must' | 'may';
  /** Lines given to the command on its stdin (none: stdin is empty). */
  stdin?: readonly string[];
}

/**
 * `argv` run inside a container's network namespace, entered through its netns file as the helper
 * sees it (netns-file.ts), not through its PID: the helper has neither the host's PIDs nor SYS_PTRACE.
 */
export function inNetns(netns: string, argv: readonly string[]): string[] {
  if (!isHelperNetnsPath(netns)) throw new SwarmopError('Internal', `not a helper netns path: ${JSON.stringify(netns)}`);
  return ['nsenter', `--net=${netns}`, ...argv];
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
}

export interface ProgramResult {
  /** One entry per command that ran, in order (stops after the first failing `must`). */
  results: CommandResult[];
  /** Index of the `must` command that failed, if any. */
  failedAt?: number;
  stderr: string;
}

const MARK = '@@swarmop-step';

// No line of it may be re-indented: the newline in `nl` is part of the here-document it builds.
export const RUNNER_SCRIPT = [
  'k=0',
  "nl='",
  "'",
  'while [ "$#" -gt 0 ]; do',
  '  mode=$1; n=$2; m=$3; shift 3',
  "  c=''; i=1",
  '  while [ "$i" -le "$n" ]; do c="$c \\"\\${$i}\\""; i=$((i+1)); done',
  '  if [ "$m" -gt 0 ]; then',
  '    c="$c <<@@swarmop-in$nl"; j=1',
  '    while [ "$j" -le "$m" ]; do c="$c\\${$((n+j))}$nl"; j=$((j+1)); done',
  '    c="$c@@swarmop-in"',
  '  fi',
  '  rc=0; eval "$c" || rc=$?',
  `  printf '\\n${MARK} %s %s@@\\n' "$k" "$rc"`,
  '  if [ "$rc" -ne 0 ] && [ "$mode" = must ]; then exit 0; fi',
  '  shift "$((n+m))"; k=$((k+1))',
  'done',
].join('\n');

/**
 * The runner's positional arguments for `commands`: per command its mode, argv count, stdin line
 * count, argv, stdin lines. A value holding a newline or NUL is refused (it could not be one
 * argument of a framed session, nor one line of a command's stdin).
 */
export function runnerArgs(commands: readonly HelperCommand[]): string[] {
  const args: string[] = [];
  for (const c of commands) {
    if (c.argv.length === 0) throw new SwarmopError('Internal', 'empty helper command');
    const stdin = c.stdin ?? [];
    for (const a of [...c.argv, ...stdin]) {
      if (a.includes('\n') || a.includes('\0')) {
        throw new SwarmopError(
          'Invalid',
          `helper argument ${JSON.stringify(a.slice(0, 60))} holds a newline or NUL and cannot be sent to the network helper`,
        );
      }
    }
    args.push(c.mode, String(c.argv.length), String(stdin.length), ...c.argv, ...stdin);
  }
  return args;
}

/** The full argv to run `commands` in the helper. */
export function programArgv(commands: readonly HelperCommand[]): string[] {
  return ['sh', '-c', RUNNER_SCRIPT, 'swarmop-runner', ...runnerArgs(commands)];
}

/** Splits the runner's stdout back into per-command results. */
export function parseProgramOutput(commands: readonly HelperCommand[], stdout: string, stderr: string): ProgramResult {
  const results: CommandResult[] = [];
  const re = new RegExp(`\\n?${MARK} (\\d+) (\\d+)@@\\n`, 'g');
  let last = 0;
  let failedAt: number | undefined;
  for (const m of stdout.matchAll(re)) {
    const k = Number(m[1]);
    const exitCode = Number(m[2]);
    results[k] = { exitCode, stdout: stdout.slice(last, m.index) };
    last = (m.index ?? 0) + m[0].length;
    if (exitCode !== 0 && commands[k]?.mode === 'must') failedAt = k;
  }
  // A runner killed part-way (or a missing shell) reports fewer steps than it was given.
  if (failedAt === undefined && results.length < commands.length) failedAt = results.length;
  return { results, ...(failedAt !== undefined ? { failedAt } : {}), stderr };
}

export function describeCommand(c: HelperCommand): string {
  return c.argv.join(' ');
}
