/**
 * `swarmop operator`: flag parsing only. The operator itself lives in ../operator/run-operator.ts,
 * imported lazily so the other commands never load the runtime and controllers.
 */
import { Option, type Command } from 'commander';
import { action, consulInput, type CliContext } from '../program/cli-context.js';
import { SwarmopError } from '../../errors.js';
import type { OperatorCommandOptions } from '../operator/run-operator.js';
import { uiAccessPolicy } from '../../ui/ui-access.js';
import { metricsToken } from '../../runtime/metrics-access.js';

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
    if (!Number.isInteger(n) || n < min || n > max)
      throw new SwarmopError('Invalid', `${flag} must be an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };
}

/** An image reference as the engine takes it: [registry[:port]/]name[:tag][@digest], lower-case name. */
const IMAGE_RE =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

function imageRef(v: string): string {
  if (!IMAGE_RE.test(v))
    throw new SwarmopError('Invalid', `--helper-image must be an image reference like [registry/]name[:tag][@sha256:DIGEST], got "${v}"`);
  return v;
}

function collect(v: string, previous: string[]): string[] {
  return [...previous, v];
}

function absPath(flag: string): (v: string) => string {
  return (v) => {
    if (!v.startsWith('/') || v.split('/').includes('..'))
      throw new SwarmopError('Invalid', `${flag} must be an absolute path without "..", got "${v}"`);
    return v;
  };
}

export function registerOperator(program: Command, ctx: CliContext): void {
  program
    .command('operator')
    .description('run the controllers that reconcile the stored resources (until SIGTERM/SIGINT)')
    .option('--metrics-addr <addr>', 'serve /healthz, /readyz and /metrics on this address ("0" disables)', '127.0.0.1:9464')
    .option(
      '--ui-addr <addr>',
      'also serve the read-only status page on this address (it is also under /ui on a loopback --metrics-addr); an address that is not loopback needs --ui-token',
    )
    .option(
      '--ui-token <token>',
      'token the status page asks for (at least 16 characters; open /ui/?token=TOKEN once, or send Authorization: Bearer TOKEN); default $SWARMOP_UI_TOKEN',
    )
    .option(
      '--metrics-token <token>',
      'token /metrics asks for as Authorization: Bearer TOKEN (at least 16 characters); required, or --ui-token, when --metrics-addr is not loopback; default $SWARMOP_METRICS_TOKEN',
    )
    .option(
      '--ui-host <name>',
      'a further host name the status page is reached by (its Host header is checked; repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--no-ui', 'do not serve the status page')
    .option('--leader-elect', 'take a Consul session lock so only one replica reconciles', false)
    .addOption(new Option('--log-format <format>', 'log format').choices(['auto', 'json', 'text']).default('auto'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .option('--resync-seconds <n>', 'periodic resync of every key, in seconds', positiveInt('--resync-seconds'), 30)
    .option('--max-concurrent-reconciles <n>', 'reconciles run at once per controller', positiveInt('--max-concurrent-reconciles'), 4)
    // Consul accepts session TTLs of 10 s to 24 h; it invalidates a dead leader's session up to 2x TTL late.
    .option(
      '--lease-seconds <n>',
      'leader-election session TTL in seconds (10-86400), the backstop: the session is also bound to a 2 s TTL check, so a killed leader is replaced about 2 s plus the lock delay later',
      intInRange('--lease-seconds', 10, 86_400),
      10,
    )
    .option(
      '--helper-image <image>',
      'network helper image for StaticIPAttachments: any Linux image with iproute2 `ip` (JSON output), `nsenter`, `sh`, `cat` and `sleep`, best pinned as NAME@sha256:DIGEST; pulled by a host that lacks it (default: swarmop/nethelper:<version>, imported into each host by the operator, no registry needed)',
      imageRef,
    )
    .option(
      '--data-dir-root <dir>',
      'ConsulCluster data directories must be this directory or under it',
      absPath('--data-dir-root'),
      '/var/lib/swarmop',
    )
    .option(
      '--allowed-image <ref>',
      'registry (registry.example.com), namespace (docker.io/hashicorp) or repository (hashicorp/consul) agent images may come from; repeatable; an image pinned by digest is always allowed (default: every image, with a warning at start)',
      collect,
      [] as string[],
    )
    .option('--secrets-prefix <prefix>', 'gossipKeyRef / aclTokenRef keys must be under this KV prefix (default: <prefix>secrets/)')
    .option('--attach-requires-label <key>', 'attach only containers that carry this label')
    .option(
      '--allow-insecure-engines',
      'also send swarm join tokens and Consul secrets to engines reached over plain tcp (no tls); unix sockets are local and always allowed',
      false,
    )
    .addOption(
      new Option(
        '--on-leader-loss <action>',
        'with --leader-elect, what a replica does after it LOST the lock (not after a clean stop): "exit" (exit code 8; the container or systemd restarts it as a standby, as controller-runtime does) or "standby" (campaign again in this process, from a fresh listing of the store). Either way it stops changing anything the moment it must assume the lock is gone',
      )
        .choices(['exit', 'standby'])
        .default('exit'),
    )
    .option(
      '--lock-delay-seconds <n>',
      "Consul lock-delay after a leader's session is lost, in seconds (0-60)",
      intInRange('--lock-delay-seconds', 0, 60),
      1,
    )
    .option(
      '--leader-check-ttl-seconds <n>',
      'TTL of the health check a leader passes every 500 ms (2-60 s): a leader that could not pass it for 3/4 of this time stops changing anything, and a killed leader is replaced about this plus the lock-delay later. Raise it on hosts where the process can stall for seconds',
      intInRange('--leader-check-ttl-seconds', 2, 60),
      2,
    )
    .action(
      action(
        ctx,
        async (opts: {
          dataDirRoot: string;
          allowedImage: string[];
          secretsPrefix?: string;
          attachRequiresLabel?: string;
          allowInsecureEngines: boolean;
          helperImage?: string;
          metricsAddr: string;
          ui: boolean;
          uiAddr?: string;
          uiToken?: string;
          metricsToken?: string;
          uiHost?: string[];
          leaderElect: boolean;
          logFormat: OperatorCommandOptions['logFormat'];
          logLevel: string;
          resyncSeconds: number;
          maxConcurrentReconciles: number;
          leaseSeconds: number;
          lockDelaySeconds: number;
          leaderCheckTtlSeconds: number;
          onLeaderLoss: 'exit' | 'standby';
        }) => {
          const uiToken = opts.uiToken ?? (ctx.io.env.SWARMOP_UI_TOKEN || undefined);
          // Refused here, before the store is opened: a page on a non-loopback address needs a token.
          if (opts.ui && opts.uiAddr !== undefined)
            uiAccessPolicy({ addr: opts.uiAddr, ...(uiToken === undefined ? {} : { token: uiToken }), localAddresses: [] });
          // So are metrics on a non-loopback address without a token.
          const metricsTok = opts.metricsToken ?? (ctx.io.env.SWARMOP_METRICS_TOKEN || undefined);
          if (opts.metricsAddr !== '0')
            metricsToken({
              addr: opts.metricsAddr,
              ...(metricsTok === undefined ? {} : { metricsToken: metricsTok }),
              ...(uiToken === undefined ? {} : { uiToken }),
            });
          const g = ctx.globals();
          // The operator handles SIGTERM/SIGINT itself (drain, release the lock, exit 0).
          ctx.io.releaseSignals?.();
          const { runOperator } = await import('../operator/run-operator.js');
          return runOperator({
            prefix: g.prefix,
            ...(g.consulAddr === undefined ? {} : { consulAddr: g.consulAddr }),
            consul: consulInput(g, ctx.io.env),
            metricsAddr: opts.metricsAddr,
            ui: opts.ui,
            ...(opts.uiAddr === undefined ? {} : { uiAddr: opts.uiAddr }),
            ...(uiToken === undefined ? {} : { uiToken }),
            ...(metricsTok === undefined ? {} : { metricsToken: metricsTok }),
            ...(opts.uiHost === undefined ? {} : { uiHosts: opts.uiHost }),
            leaderElect: opts.leaderElect,
            logFormat: opts.logFormat,
            logLevel: opts.logLevel,
            resyncSeconds: opts.resyncSeconds,
            maxConcurrentReconciles: opts.maxConcurrentReconciles,
            leaseSeconds: opts.leaseSeconds,
            lockDelaySeconds: opts.lockDelaySeconds,
            leaderCheckTtlSeconds: opts.leaderCheckTtlSeconds,
            onLeaderLoss: opts.onLeaderLoss,
            ...(opts.helperImage === undefined ? {} : { helperImage: opts.helperImage }),
            dataDirRoot: opts.dataDirRoot,
            allowedImages: opts.allowedImage,
            ...(opts.secretsPrefix === undefined ? {} : { secretsPrefix: opts.secretsPrefix }),
            ...(opts.attachRequiresLabel === undefined ? {} : { attachRequiresLabel: opts.attachRequiresLabel }),
            allowInsecureEngines: opts.allowInsecureEngines,
          });
        },
      ),
    );
}
