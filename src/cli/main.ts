/**
 * `swarmop`: kubectl's habits for swarmop's resources in Consul KV. main() builds a fresh
 * commander program per call (no singletons, so tests can run it in-process) and turns every
 * outcome into an exit code through exit-codes.ts.
 */
import { Command, CommanderError, Help, Option } from 'commander';
import { processIo, type CliIo } from './program/cli-io.js';
import { createContext, DEFAULT_PREFIX, type CliContext, type GlobalFlags, type OpenStore } from './program/cli-context.js';
import { EXIT_CODES_HELP, ExitCode, exitCodeForError, isUserError } from './program/exit-codes.js';
import { isSwarmopError, SwarmopError } from '../errors.js';
import { packageInfo } from '../package-info.js';
import { registerApply } from './commands/apply.js';
import { registerGet } from './commands/get.js';
import { registerDescribe } from './commands/describe.js';
import { registerDelete } from './commands/delete.js';
import { registerDiff } from './commands/diff.js';
import { registerExplain } from './commands/explain.js';
import { registerWait } from './commands/wait.js';
import { registerEvents } from './commands/events.js';
import { registerOperator } from './commands/operator.js';
import { registerConfig } from './commands/config.js';
import { registerLabel, registerAnnotate } from './commands/label.js';
import { registerPatch } from './commands/patch.js';
import { registerEdit } from './commands/edit.js';
import { registerValidate } from './commands/validate.js';
import { registerApiResources } from './commands/api-resources.js';
import { registerCompletion } from './commands/completion.js';
import { COMMAND_EXAMPLES } from './program/command-examples.js';
import { examplesText } from './program/examples.js';
import { registerUi } from './commands/ui.js';
import { registerHistory } from './commands/history.js';
import { registerAdopt } from './commands/adopt.js';

const ENV_HELP = `Environment (as the consul CLI reads it; the flag of the same name wins):
  CONSUL_HTTP_ADDR        store Consul: host:port, http(s)://host:port or unix:///path (default 127.0.0.1:8500)
  CONSUL_HTTP_TOKEN       ACL token (never printed); CONSUL_HTTP_TOKEN_FILE: a file holding it, wins when set
  CONSUL_HTTP_SSL         true: TLS for a host:port address
  CONSUL_HTTP_SSL_VERIFY  false: do not verify the server certificate
  CONSUL_CACERT, CONSUL_CAPATH            CA file / folder of CA files that signed Consul's certificate
  CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY   client certificate and key (Consul's verify_incoming)
  CONSUL_TLS_SERVER_NAME  name to check in Consul's certificate (SNI)
  SWARMOP_PREFIX          KV prefix (default ${DEFAULT_PREFIX}); --prefix overrides it
  SWARMOP_CONFIG          config file with named contexts (default ~/.config/swarmop/config.yaml; see swarmop config --help)
  SWARMOP_REVISION_HISTORY_LIMIT  spec revisions kept per object for history/rollback (default 10)
A flag wins over its variable, which wins over the config file's context.
The store Consul flags above take one dash as well (-http-addr, -token, ...), as the consul CLI
spells them, and go before or after the command.`;

/**
 * The consul CLI's connection flags as the root help lists them. They are parsed by
 * splitConsulFlags, not by commander (so `config set-context --token` keeps its own option of
 * that name); these Option objects only describe them in `swarmop --help`.
 */
const CONSUL_FLAG_HELP: readonly Option[] = [
  new Option('--http-addr <addr>', 'store Consul HTTP address (env CONSUL_HTTP_ADDR; also --consul-addr)'),
  new Option('--token <token>', 'ACL token for the store Consul (env CONSUL_HTTP_TOKEN)'),
  new Option('--token-file <file>', 'file holding the ACL token (env CONSUL_HTTP_TOKEN_FILE)'),
  new Option('--ca-file <file>', "CA file that signed Consul's certificate (env CONSUL_CACERT)"),
  new Option('--ca-path <dir>', 'folder of CA files (env CONSUL_CAPATH)'),
  new Option('--client-cert <file>', 'client certificate (env CONSUL_CLIENT_CERT)'),
  new Option('--client-key <file>', "client certificate's key (env CONSUL_CLIENT_KEY)"),
  new Option('--tls-server-name <name>', "name to check in Consul's certificate (env CONSUL_TLS_SERVER_NAME)"),
];

/**
 * The consul CLI's connection flags (-http-addr or --http-addr, value as the next word or after
 * "="). They are taken out of argv before commander sees it: `config set-context` has options of
 * the same names that describe a context, so after `config` they are left to it.
 */
const CONSUL_FLAGS: Record<string, keyof GlobalFlags> = {
  'http-addr': 'httpAddr',
  token: 'token',
  'token-file': 'tokenFile',
  'ca-file': 'caFile',
  'ca-path': 'caPath',
  'client-cert': 'clientCert',
  'client-key': 'clientKey',
  'tls-server-name': 'tlsServerName',
};
/** Root options that take a value (so their value is never mistaken for the command name). */
const ROOT_VALUE_OPTIONS = new Set(['--prefix', '--consul-addr', '--context', '--config-file']);

export function splitConsulFlags(argv: readonly string[]): { argv: string[]; flags: GlobalFlags } {
  const out: string[] = [];
  const flags: GlobalFlags = {};
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--?([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const key = m ? CONSUL_FLAGS[m[1]!] : undefined;
    if (key && command !== 'config') {
      let value = m![2];
      if (value === undefined) {
        value = argv[i + 1];
        if (value === undefined) throw new SwarmopError('Invalid', `option '--${m![1]}' needs a value`);
        i++;
      }
      flags[key] = value as never;
      continue;
    }
    out.push(arg);
    if (command === undefined && !arg.startsWith('-')) command = arg;
    else if (command === undefined && ROOT_VALUE_OPTIONS.has(arg) && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return { argv: out, flags };
}

/**
 * pflag's `-o=json` form of a one-letter option (kubectl users write `-o=jsonpath=...`,
 * `-p='{...}'`, `-l=k=v`): commander would take "=json" as the value, so the word is split in two.
 */
export function splitShortEquals(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(-[A-Za-z])=(.*)$/s.exec(arg);
    if (m) out.push(m[1]!, m[2]!);
    else out.push(arg);
  }
  return out;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('swarmop')
    .description('Keep a Consul cluster, a Docker Swarm and fixed container IPs converged on resources stored in Consul KV.')
    .addOption(new Option('--prefix <prefix>', `Consul KV prefix holding the resources (env SWARMOP_PREFIX, default "${DEFAULT_PREFIX}")`))
    .addOption(new Option('--consul-addr <addr>', 'another name of --http-addr'))
    .addOption(new Option('--context <name>', 'use this context of the config file instead of its current one'))
    .addOption(new Option('--config-file <file>', 'config file with named contexts (env SWARMOP_CONFIG)'))
    .configureHelp({
      // The root's help lists the consul-style flags next to its own options; subcommands' do not.
      visibleOptions(cmd) {
        const own = Help.prototype.visibleOptions.call(this, cmd);
        if (cmd.parent !== null) return own;
        const at = own.findIndex((o) => o.long === '--consul-addr');
        return [...own.slice(0, at + 1), ...CONSUL_FLAG_HELP, ...own.slice(at + 1)];
      },
    })
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `${examplesText([
        ['apply the sample topology and watch it converge', 'swarmop apply -f manifests/ && swarmop get all'],
        ['hosts built by hand: what would apply do to them? (writes nothing)', 'swarmop adopt --dry-run -f manifests/'],
        ['why is an attachment not Ready?', 'swarmop describe sia/ubuntu114'],
        ['another fleet from the config file', 'swarmop --context prod get dh'],
      ])}\n${ENV_HELP}\n\n${EXIT_CODES_HELP}\n`,
    );
  program.version(packageInfo().version, '--version', 'print the version');

  registerApply(program, ctx);
  registerGet(program, ctx);
  registerDescribe(program, ctx);
  registerDelete(program, ctx);
  registerDiff(program, ctx);
  registerAdopt(program, ctx);
  registerHistory(program, ctx);
  registerExplain(program, ctx);
  registerWait(program, ctx);
  registerEvents(program, ctx);
  registerOperator(program, ctx);
  registerEdit(program, ctx);
  registerPatch(program, ctx);
  registerLabel(program, ctx);
  registerAnnotate(program, ctx);
  registerValidate(program, ctx);
  registerApiResources(program, ctx);
  registerConfig(program, ctx);
  registerCompletion(program, ctx);
  registerUi(program, ctx);
  program
    .command('version')
    .description('print the swarmop version')
    .action(() => ctx.io.stdout(`swarmop ${packageInfo().version}\n`));
  for (const cmd of program.commands) {
    const examples = COMMAND_EXAMPLES[cmd.name()];
    if (examples) cmd.addHelpText('after', examplesText(examples));
  }
  return program;
}

function reportError(io: CliIo, err: unknown): void {
  if (isUserError(err) && isSwarmopError(err)) {
    io.stderr(`error: ${err.message}\n`);
    for (const d of err.details) io.stderr(`${d}\n`);
    return;
  }
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  io.stderr(`internal error: ${text}\n`);
}

export interface MainOptions {
  /** Replaces the Consul connection (unit tests use an in-memory KvStore). */
  openStore?: OpenStore;
}

/**
 * Runs one CLI invocation; resolves to the process exit code (never calls process.exit).
 * Without `io` it uses the real process and turns SIGINT/SIGTERM into an abort of watches.
 */
export async function main(argv: readonly string[], io?: CliIo, options: MainOptions = {}): Promise<number> {
  let cleanup = (): void => {};
  if (!io) {
    const controller = new AbortController();
    // Watches end cleanly on the first signal; anything still running gets a moment, then exits.
    const onSignal = (): void => {
      controller.abort();
      setTimeout(() => process.exit(130), 2000).unref();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    cleanup = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    io = processIo(controller.signal, cleanup, () => controller.abort());
  }
  let program: Command | undefined;
  let consulFlags: GlobalFlags = {};
  const ctx = createContext(io, () => ({ ...(program?.opts<GlobalFlags>() ?? {}), ...consulFlags }), options.openStore);
  program = buildProgram(ctx);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.Usage;
    }
    const split = splitConsulFlags(splitShortEquals(argv));
    consulFlags = split.flags;
    await program.parseAsync(split.argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (or the help/version text).
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    reportError(io, err);
    return exitCodeForError(err);
  } finally {
    ctx.close();
    cleanup();
  }
}
