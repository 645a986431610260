/**
 * `swarmop operator`: builds the operator from its flags and runs it under the runtime Manager
 * until SIGTERM/SIGINT. The signal aborts one AbortSignal; controllers drain their in-flight
 * reconciles, a leader releases its lock at once, and the process exits 0. A leader that LOSES
 * its lock stops every change at once and exits 8 (or, with --on-leader-loss standby, campaigns again).
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { allReconcilers } from '../../controllers/index.js';
import { defaultTrustPolicy, type TrustPolicy } from '../../controllers/trust-policy.js';
import { HelperImageProvisioner, helperImagePinWarning } from '../../nethelper/helper-image.js';
import { Operator } from '../../operator/operator.js';
import { createLogger, type LogLevel } from '../../runtime/logger.js';
import { Manager } from '../../runtime/manager.js';
import { isLeadershipLost, LeaseFence } from '../../runtime/fence.js';
import { FencedKv } from '../../store/fenced-kv.js';
import { RuntimeMetrics } from '../../runtime/metrics.js';
import { ConsulKv, consulKvOptions } from '../../store/consul-kv.js';
import { ConsulSettingsError, consulConnection, unverifiedTlsWarning, type ConsulConnection } from '../../store/consul-connection.js';
import { ResourceStore } from '../../store/resource-store.js';
import { leaderKey } from '../../store/store-keys.js';
import { StatusPage } from '../../ui/status-page.js';
import { UiServer } from '../../ui/ui-server.js';
import { guardedRoute, localInterfaceAddresses, uiAccessPolicy, type UiAccessPolicy } from '../../ui/ui-access.js';
import type { HttpRoute } from '../../runtime/metrics-server.js';
import { metricsToken } from '../../runtime/metrics-access.js';
import { isSwarmopError } from '../../errors.js';
import type { Runnable } from '../../runtime/manager.js';
import type { KindName } from '../../crds/kind-info.js';
import type { Resource } from '../../crds/meta.js';
import type { ResolveConsulSettingsInput } from '../../store/consul-connection.js';

/** What `swarmop operator` resolved from its flags, globals and environment. */
export interface OperatorCommandOptions {
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
  /** The token the status page asks for; required for an address that is not loopback. */
  uiToken?: string;
  /** The token /metrics asks for (else the UI token off loopback); required for a metrics address that is not loopback. */
  metricsToken?: string;
  /** Further names the status page is reached by (Host header check). */
  uiHosts?: readonly string[];
  leaderElect: boolean;
  logFormat: 'json' | 'text' | 'auto';
  logLevel: string;
  resyncSeconds: number;
  maxConcurrentReconciles: number;
  /** Leader-election session TTL (s); undefined = the runtime's default (10). */
  leaseSeconds?: number;
  /** Consul lock-delay after a lost session (s); undefined = the runtime's default (1). */
  lockDelaySeconds?: number;
  /** TTL of the leader's health check in seconds (default 2). */
  leaderCheckTtlSeconds?: number;
  /** After a LOST leadership: exit (default, exit code 8) or campaign again as a standby. */
  onLeaderLoss?: 'exit' | 'standby';
  /** The StaticIPAttachment network helper image; undefined = swarmop/nethelper:<version>, imported by the operator. */
  helperImage?: string;
  /** ConsulCluster data dirs must be under this root (default /var/lib/swarmop). */
  dataDirRoot?: string;
  /** Registries/repositories agent images may come from; empty or undefined = any (said at start). */
  allowedImages?: string[];
  /** Secret references must be under this KV prefix (default `<prefix>secrets/`). */
  secretsPrefix?: string;
  /** Attach only containers carrying this label. */
  attachRequiresLabel?: string;
  /** Send join tokens and secrets to engines reached over plain tcp too. */
  allowInsecureEngines?: boolean;
}

/** The operator's TrustPolicy from its flags, on top of the secure defaults. */
export function trustPolicyOf(options: OperatorCommandOptions): TrustPolicy {
  const base = defaultTrustPolicy(options.prefix);
  return {
    ...base,
    ...(options.dataDirRoot !== undefined ? { dataDirRoot: options.dataDirRoot } : {}),
    ...(options.allowedImages !== undefined && options.allowedImages.length > 0 ? { allowedImages: options.allowedImages } : {}),
    ...(options.secretsPrefix !== undefined ? { secretsPrefix: options.secretsPrefix } : {}),
    ...(options.attachRequiresLabel !== undefined ? { attachRequiresLabel: options.attachRequiresLabel } : {}),
    allowInsecureEngines: options.allowInsecureEngines === true,
  };
}

export async function runOperator(options: OperatorCommandOptions): Promise<number> {
  // One stop signal is shared by every watcher, controller and host stream (a dozen or more with
  // a few hosts): that is by design, not a leak, so Node's default warning at 10 is raised.
  EventEmitter.defaultMaxListeners = Math.max(EventEmitter.defaultMaxListeners, 100);
  const log = createLogger({ format: options.logFormat, level: options.logLevel as LogLevel });
  const connection = storeConnection(options, log);
  const consul = consulKvOptions(connection);
  const kv = new ConsulKv(consul);
  await checkStore(kv, leaderKey(options.prefix), log);
  // Under leader election every change the operator makes passes one fence: Docker calls (the
  // host registry's clients), Consul agent calls and helper programs (the reconcilers), and store
  // writes, which also prove the lock inside their transaction (FencedKv). The elector alone holds
  // the unfenced store, for its session and lock.
  let refusals = 0;
  const fence = options.leaderElect
    ? new LeaseFence({
        onRefuse: (action, reason) => {
          refusals += 1;
          // The first refusal of a term says why; the rest are counted (a busy leader refuses many).
          if (refusals === 1) log.warn('call refused: not leading', { action, reason });
          else log.debug('call refused: not leading', { action, reason, refusals });
        },
      })
    : undefined;
  const writeKv = fence ? new FencedKv({ kv, fence }) : kv;
  const store = new ResourceStore({ kv: writeKv, prefix: options.prefix });
  const metrics = new RuntimeMetrics();
  const identity = `${hostname()}/${process.pid}`;
  const helperImages = new HelperImageProvisioner({ ...(options.helperImage ? { image: options.helperImage } : {}), log });
  const policy = trustPolicyOf(options);
  if (!policy.allowedImages) log.warn('every agent image is allowed; limit them with --allowed-image', { flag: '--allowed-image' });
  if (policy.allowInsecureEngines)
    log.warn('join tokens and secrets may go to engines over plain tcp', { flag: '--allow-insecure-engines' });
  const unpinned = helperImagePinWarning(options.helperImage);
  if (unpinned) log.warn('helper image not pinned by digest', { helperImage: options.helperImage, why: unpinned });

  const operator = new Operator({
    kv: writeKv,
    store,
    reconcilers: allReconcilers({ kv: writeKv, prefix: store.prefix, helperImages, policy, ...(fence ? { fence } : {}) }),
    ...(fence ? { fence } : {}),
    log,
    metrics,
    resyncMs: options.resyncSeconds * 1000,
    concurrency: options.maxConcurrentReconciles,
  });
  // The status page reads the operator's cache and metrics; it never writes to the store.
  const page =
    options.ui && (options.metricsAddr !== '0' || options.uiAddr !== undefined)
      ? new StatusPage({
          objects: (kind: KindName) => operator.cache.list(kind) as unknown as Resource[],
          kv,
          prefix: store.prefix,
          metrics,
          ...(options.leaderElect
            ? {
                leader: async () => {
                  const lock = await kv.get(leaderKey(store.prefix));
                  const holder = lock?.session ? lock.value : undefined;
                  return { holder, self: holder === identity };
                },
              }
            : {}),
          log,
        })
      : undefined;
  const runnables: Runnable[] = page ? [{ name: 'status page', start: (signal) => page.start(signal) }] : [];
  const uiAccess = {
    ...(options.uiToken === undefined ? {} : { token: options.uiToken }),
    ...(options.uiHosts ? { hostNames: options.uiHosts } : {}),
  };
  if (page && options.uiAddr !== undefined) {
    // Listens in start(): an address in use fails that runnable, and the manager stops everything.
    const server = new UiServer({ addr: options.uiAddr, page, log, ...uiAccess });
    runnables.push({ name: 'status page server', start: (signal) => server.start(signal) });
  }
  const pageRoute = page && options.metricsAddr !== '0' ? metricsPageRoute(page, options.metricsAddr, uiAccess, log) : undefined;
  const manager = new Manager({
    sources: operator.sources,
    runnables,
    ...(pageRoute ? { httpRoutes: [pageRoute] } : {}),
    leaderRunnables: operator.leaderRunnables,
    ...(options.leaderElect
      ? {
          leaderElection: {
            kv,
            key: leaderKey(store.prefix),
            identity,
            ttlSeconds: options.leaseSeconds,
            // A killed leader's check turns critical after its TTL (2 s) and frees the lock (not 2x the session TTL).
            checks: kv,
            ...(options.leaderCheckTtlSeconds === undefined ? {} : { checkTtlSeconds: options.leaderCheckTtlSeconds }),
            lockDelaySeconds: options.lockDelaySeconds,
            ...(fence ? { fence } : {}),
            onLoss: options.onLeaderLoss ?? 'exit',
          },
        }
      : {}),
    ...(options.metricsAddr !== '0' ? metricsServing(options) : {}),
    metrics,
    log,
  });
  log.info('operator starting', {
    prefix: store.prefix,
    consul: consul.address,
    leaderElect: options.leaderElect,
    identity,
    helperImage: helperImages.image,
    dataDirRoot: policy.dataDirRoot,
    secretsPrefix: policy.secretsPrefix,
    allowedImages: policy.allowedImages ?? 'any',
    ...(policy.attachRequiresLabel !== undefined ? { attachRequiresLabel: policy.attachRequiresLabel } : {}),
    allowInsecureEngines: policy.allowInsecureEngines,
  });
  try {
    await manager.run();
  } catch (err) {
    if (isLeadershipLost(err)) {
      log.warn('operator exiting: the leader lock was lost', { reason: (err as Error).message, refusedCalls: refusals });
      kv.close();
    }
    throw err;
  }
  log.info('operator stopped');
  return 0;
}

/**
 * The page under /ui on the metrics address, behind the same checks as on --ui-addr (Host header,
 * and the token when there is one). A metrics address that is not loopback and no --ui-token: the
 * metrics stay there (for a scraper), the page does not.
 */
export function metricsPageRoute(
  page: StatusPage,
  metricsAddr: string,
  access: { token?: string; hostNames?: readonly string[] },
  log: { warn(message: string, fields?: Record<string, unknown>): void },
): HttpRoute | undefined {
  let policy: UiAccessPolicy;
  try {
    policy = uiAccessPolicy({ addr: metricsAddr, ...access, localAddresses: localInterfaceAddresses() });
  } catch (err) {
    if (!isSwarmopError(err, 'Invalid')) throw err;
    log.warn('status page not served on the metrics address', { metricsAddr, why: 'not a loopback address and no --ui-token' });
    return undefined;
  }
  return guardedRoute(page, policy);
}

/** The metrics address and the token /metrics asks for there (throws off loopback without one). */
function metricsServing(options: Pick<OperatorCommandOptions, 'metricsAddr' | 'metricsToken' | 'uiToken'>): {
  metricsAddr: string;
  metricsToken?: string;
} {
  const token = metricsToken({
    addr: options.metricsAddr,
    ...(options.metricsToken === undefined ? {} : { metricsToken: options.metricsToken }),
    ...(options.uiToken === undefined ? {} : { uiToken: options.uiToken }),
  });
  return { metricsAddr: options.metricsAddr, ...(token === undefined ? {} : { metricsToken: token }) };
}

/** The store Consul's connection; one that skips the certificate check is logged as a warning. */
export function storeConnection(
  options: Pick<OperatorCommandOptions, 'consul' | 'consulAddr'>,
  log: { warn(message: string, fields?: Record<string, unknown>): void },
): ConsulConnection {
  const connection = consulConnection(
    options.consul ?? { flags: options.consulAddr ? { address: options.consulAddr } : {}, env: process.env },
  );
  if (unverifiedTlsWarning(connection) !== undefined) {
    log.warn('store Consul certificate not verified', {
      consul: connection.address,
      setting: connection.origins.sslVerify ?? 'CONSUL_HTTP_SSL_VERIFY',
      why: 'anyone on the path can read and change the store and the token',
    });
  }
  return connection;
}

/**
 * One read before anything starts: settings that can never work (wrong CA, no client certificate,
 * plain HTTP to an HTTPS port) end the operator with their one-line error; a store that is merely
 * down is waited for by the watchers as usual.
 */
async function checkStore(kv: ConsulKv, key: string, log: ReturnType<typeof createLogger>): Promise<void> {
  try {
    await kv.get(key);
  } catch (err) {
    if (err instanceof ConsulSettingsError) {
      kv.close();
      throw err;
    }
    log.warn('store Consul not reachable yet; waiting for it', { consul: kv.address, error: (err as Error).message });
  }
}
