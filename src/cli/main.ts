/**
 * `swarmop`: kubectl's habits for swarmop's resources in Consul KV. main() builds a fresh
 * commander program per call (no singletons, so tests can run it in-process) and turns every
 * outcome into an exit code through exit-codes.ts.
 */
import { Command, CommanderError, Option } from 'commander';
import { processIo, type CliIo } from './cli-io.js';
import { createContext, DEFAULT_PREFIX, type CliContext, type GlobalFlags, type OpenStore } from './cli-context.js';
import { EXIT_CODES_HELP, ExitCode, exitCodeForError, isUserError } from './exit-codes.js';
import { isSwarmopError } from '../errors.js';
import { packageVersion } from './version.js';
import { registerApply } from './commands/apply.js';
import { registerGet } from './commands/get.js';
import { registerDescribe } from './commands/describe.js';
import { registerDelete } from './commands/delete.js';
import { registerDiff } from './commands/diff.js';
import { registerExplain } from './commands/explain.js';
import { registerWait } from './commands/wait.js';
import { registerEvents } from './commands/events.js';
import { registerOperator } from './commands/operator.js';

const ENV_HELP = `Environment (as the consul CLI reads it; the flag of the same name wins):
  CONSUL_HTTP_ADDR        store Consul: host:port, http(s)://host:port or unix:///path (default 127.0.0.1:8500)
  CONSUL_HTTP_TOKEN       ACL token (never printed); CONSUL_HTTP_TOKEN_FILE: a file holding it, wins when set
  CONSUL_HTTP_SSL         true: TLS for a host:port address
  CONSUL_HTTP_SSL_VERIFY  false: do not verify the server certificate
  CONSUL_CACERT, CONSUL_CAPATH            CA file / folder of CA files that signed Consul's certificate
  CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY   client certificate and key (Consul's verify_incoming)
  CONSUL_TLS_SERVER_NAME  name to check in Consul's certificate (SNI)
  SWARMOP_PREFIX          KV prefix (default ${DEFAULT_PREFIX}); --prefix overrides it
Consul's single-dash spellings (-http-addr, -token, -ca-file, ...) are accepted too.`;

/** The consul CLI's connection flags; commander wants two dashes, consul users type one. */
const CONSUL_FLAGS = ['http-addr', 'token', 'token-file', 'ca-file', 'ca-path', 'client-cert', 'client-key', 'tls-server-name'];

export function normalizeConsulFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (rest || arg === '--') {
      rest = true;
      out.push(arg);
      continue;
    }
    const m = /^-([a-z-]+)(=.*)?$/.exec(arg);
    out.push(m && CONSUL_FLAGS.includes(m[1]!) ? `-${arg}` : arg);
  }
  return out;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('swarmop')
    .description('Keep a Consul cluster, a Docker Swarm and fixed container IPs converged on resources stored in Consul KV.')
    .addOption(new Option('--prefix <prefix>', `Consul KV prefix holding the resources (env SWARMOP_PREFIX, default "${DEFAULT_PREFIX}")`))
    .addOption(new Option('--http-addr <addr>', 'store Consul HTTP address (env CONSUL_HTTP_ADDR)'))
    .addOption(new Option('--consul-addr <addr>', 'another name of --http-addr').hideHelp())
    .addOption(new Option('--token <token>', 'Consul ACL token (env CONSUL_HTTP_TOKEN)'))
    .addOption(new Option('--token-file <file>', 'file holding the Consul ACL token (env CONSUL_HTTP_TOKEN_FILE)'))
    .addOption(new Option('--ca-file <file>', 'CA certificate for Consul\'s TLS (env CONSUL_CACERT)'))
    .addOption(new Option('--ca-path <dir>', 'folder of CA certificates (env CONSUL_CAPATH)'))
    .addOption(new Option('--client-cert <file>', 'client certificate for Consul (env CONSUL_CLIENT_CERT)'))
    .addOption(new Option('--client-key <file>', 'client key for Consul (env CONSUL_CLIENT_KEY)'))
    .addOption(new Option('--tls-server-name <name>', 'name to check in Consul\'s certificate (env CONSUL_TLS_SERVER_NAME)'))
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\n${ENV_HELP}\n\n${EXIT_CODES_HELP}\n`);
  program.version(packageVersion(), '--version', 'print the version');

  registerApply(program, ctx);
  registerGet(program, ctx);
  registerDescribe(program, ctx);
  registerDelete(program, ctx);
  registerDiff(program, ctx);
  registerExplain(program, ctx);
  registerWait(program, ctx);
  registerEvents(program, ctx);
  registerOperator(program, ctx);
  program
    .command('version')
    .description('print the swarmop version')
    .action(() => ctx.io.stdout(`swarmop ${packageVersion()}\n`));
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
    io = processIo(controller.signal, cleanup);
  }
  let program: Command | undefined;
  const ctx = createContext(io, () => program?.opts<GlobalFlags>() ?? {}, options.openStore);
  program = buildProgram(ctx);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return ExitCode.Usage;
    }
    await program.parseAsync(normalizeConsulFlags(argv), { from: 'user' });
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
