/**
 * `swarmop operator`: flag parsing only. The operator itself lives in ../operator-command.ts
 * (imported lazily so the other commands never load the runtime and controllers).
 */
import { Option, type Command } from 'commander';
import { action, consulInput, type CliContext } from '../cli-context.js';
import type { ResolveConsulSettingsInput } from '../../store/consul-connection.js';
import { SwarmopError } from '../../errors.js';

export interface OperatorOptions {
  prefix: string;
  /** Consul address (CONSUL_HTTP_ADDR form); undefined = the environment's / Consul's default. */
  consulAddr?: string;
  /** Store Consul settings by layer (flags, environment, context), resolved as the consul CLI does. */
  consul?: ResolveConsulSettingsInput;
  metricsAddr: string;
  /** Serve the status page under /ui on the metrics address (and on uiAddr when given). */
  ui: boolean;
  /** The status page's own address; undefined = only under /ui on the metrics address. */
  uiAddr?: string;
  leaderElect: boolean;
  logFormat: 'json' | 'text' | 'auto';
  logLevel: string;
  resyncSeconds: number;
  maxConcurrentReconciles: number;
  /** Leader-election session TTL (s); undefined = the runtime's default (10). */
  leaseSeconds?: number;
  /** Consul lock-delay after a lost session (s); undefined = the runtime's default (1). */
  lockDelaySeconds?: number;
}

function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new SwarmopError('Invalid', `${flag} must be a positive integer, got "${v}"`);
    return n;
  };
}

function intInRange(flag: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new SwarmopError('Invalid', `${flag} must be an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };
}

export function registerOperator(program: Command, ctx: CliContext): void {
  program
    .command('operator')
    .description('run the controllers that reconcile the stored resources (until SIGTERM/SIGINT)')
    .option('--metrics-addr <addr>', 'serve /healthz, /readyz and /metrics on this address ("0" disables)', '127.0.0.1:9464')
    .option('--ui-addr <addr>', 'also serve the read-only status page on this address (it is always under /ui on --metrics-addr)')
    .option('--no-ui', 'do not serve the status page')
    .option('--leader-elect', 'take a Consul session lock so only one replica reconciles', false)
    .addOption(new Option('--log-format <format>', 'log format').choices(['auto', 'json', 'text']).default('auto'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .option('--resync-seconds <n>', 'periodic resync of every key, in seconds', positiveInt('--resync-seconds'), 30)
    .option('--max-concurrent-reconciles <n>', 'reconciles run at once per controller', positiveInt('--max-concurrent-reconciles'), 4)
    // Consul accepts session TTLs of 10 s to 24 h; it invalidates a dead leader's session up to 2x TTL late.
    .option('--lease-seconds <n>', 'leader-election session TTL in seconds (10-86400); a killed leader is replaced within about 2x this plus the lock delay', intInRange('--lease-seconds', 10, 86_400), 10)
    .option('--lock-delay-seconds <n>', 'Consul lock-delay after a leader\'s session is lost, in seconds (0-60)', intInRange('--lock-delay-seconds', 0, 60), 1)
    .action(
      action(ctx, async (opts: { metricsAddr: string; ui: boolean; uiAddr?: string; leaderElect: boolean; logFormat: OperatorOptions['logFormat']; logLevel: string; resyncSeconds: number; maxConcurrentReconciles: number; leaseSeconds: number; lockDelaySeconds: number }) => {
        const g = ctx.globals();
        // The operator handles SIGTERM/SIGINT itself (drain, release the lock, exit 0).
        ctx.io.releaseSignals?.();
        // The module path is a variable so this file compiles before the lead's module exists.
        const modulePath = '../operator-command.js';
        const mod = (await import(modulePath)) as { runOperator(options: OperatorOptions): Promise<number> };
        return mod.runOperator({
          prefix: g.prefix,
          ...(g.consulAddr === undefined ? {} : { consulAddr: g.consulAddr }),
          consul: consulInput(g, ctx.io.env),
          metricsAddr: opts.metricsAddr,
          ui: opts.ui,
          ...(opts.uiAddr === undefined ? {} : { uiAddr: opts.uiAddr }),
          leaderElect: opts.leaderElect,
          logFormat: opts.logFormat,
          logLevel: opts.logLevel,
          resyncSeconds: opts.resyncSeconds,
          maxConcurrentReconciles: opts.maxConcurrentReconciles,
          leaseSeconds: opts.leaseSeconds,
          lockDelaySeconds: opts.lockDelaySeconds,
        });
      }),
    );
}
