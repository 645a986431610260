/**
 * A "program" is a list of argument-array commands run one after another inside the network helper
 * with a single `docker exec` (or a single `docker run`): one round trip per reconcile instead of
 * one per command, and a multi-step change (moving the uplink onto the bridge) cannot be cut in
 * half by the operator dying between two API calls.
 *
 * The runner is a FIXED shell script; commands travel as positional arguments and are executed
 * with `eval` over `"${1}" "${2}" ...` references only, so no value is ever parsed by the shell.
 */
export interface HelperCommand {
  argv: readonly string[];
  /** A failure stops the program (`must`) or is recorded and skipped (`may`). */
  mode: 'must' | 'may';
}

/** `argv` run inside the network namespace of the process `pid` (a container's), as pipework does. */
export function inNetns(pid: number, argv: readonly string[]): string[] {
  return ['nsenter', '-t', String(pid), '-n', ...argv];
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

export const RUNNER_SCRIPT = [
  'k=0',
  'while [ "$#" -gt 0 ]; do',
  '  mode=$1; n=$2; shift 2',
  "  c=''; i=1",
  '  while [ "$i" -le "$n" ]; do c="$c \\"\\${$i}\\""; i=$((i+1)); done',
  '  rc=0; eval "$c" || rc=$?',
  `  printf '\\n${MARK} %s %s@@\\n' "$k" "$rc"`,
  '  if [ "$rc" -ne 0 ] && [ "$mode" = must ]; then exit 0; fi',
  '  shift "$n"; k=$((k+1))',
  'done',
].join('\n');

/** The full argv to run `commands` in the helper. */
export function programArgv(commands: readonly HelperCommand[]): string[] {
  const argv = ['sh', '-c', RUNNER_SCRIPT, 'swarmop-runner'];
  for (const c of commands) {
    if (c.argv.length === 0) throw new Error('empty helper command');
    argv.push(c.mode, String(c.argv.length), ...c.argv);
  }
  return argv;
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
