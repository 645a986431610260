/**
 * The SwarmCluster reconciler: observe every listed engine and the managers' node list, plan the
 * smallest set of steps, run them, and observe again (a few passes, so a swarm forms from nothing
 * in one reconcile: init, then joins). Status is built from the last observation only.
 *
 * On delete it removes the Consul discovery list it published; the swarm itself is left running
 * (tearing down a live swarm because a document was deleted would be far more surprising).
 */
import { goDurationMs } from '../../go-duration.js';
import type { SwarmCluster, SwarmClusterSpec } from '../../crds/swarm-cluster.js';
import type { DockerHost } from '../../crds/docker-host.js';
import { describeViolations, insecureEngineProblem, POLICY_REASON, type PolicyViolation, type TrustPolicy } from '../trust-policy.js';
import type { KindName } from '../../crds/kind-info.js';
import type { KvStore } from '../../store/kv.js';
import type {
  FinalizeOutcome,
  HostEvent,
  HostHandle,
  HostWatchContext,
  KindReconciler,
  ObjectCache,
  KindReconcileContext,
  ReconcileOutcome,
} from '../kind-reconciler.js';
import { desiredSwarm, hostsOf } from './desired.js';
import { clearDiscovery, DEFAULT_ENGINE_PORT, desiredDiscoveryKeys, syncDiscovery } from './discovery.js';
import { executeStep } from './execute.js';
import type { Blocker, DesiredSwarm, SwarmStep, SwarmWorld } from './model.js';
import { observeSwarm } from './observe.js';
import { DEFAULT_DOWN_GRACE_MS, DEFAULT_PROMOTION_GRACE_MS, hostOfAddr, planSwarm } from './plan.js';
import { swarmStatus, type SwarmClusterObserved } from './status.js';
import { dockerSwarmApi, type SwarmApi } from './swarm-api.js';
import { watchSwarms } from './swarm-watch.js';
import { clusterCredentials, type ClusterCredentials, type ClusterTokenReader, type ReadSecret } from '../consul-credentials.js';
import { AGENT_HTTP_PORT, AGENT_HTTPS_PORT } from '../../consul/agent-http.js';

export const SWARMCLUSTER_FINALIZER = 'swarmop.io/swarmcluster';

export interface SwarmClusterReconcilerOptions {
  /** Deadline for one engine's info() (ms). Default 5000. */
  infoTimeoutMs?: number;
  /** How long a node may show Down while its engine claims membership before it is re-joined (ms). Default 15000. */
  downGraceMs?: number;
  /** How long a manager by spec may stay out of the raft member list before it is re-joined (ms). Default 40000. */
  promotionGraceMs?: number;
  /** Re-check interval while not converged (ms). Default 2000. */
  convergeRequeueMs?: number;
  /** Observe/plan/act rounds per reconcile. Default 4. */
  maxPasses?: number;
  /** Port of the Consul HTTP API on the ConsulCluster's server hosts. Default 8500. */
  consulPort?: number;
  /** Their HTTPS port, for a ConsulCluster that runs TLS. Default 8501. */
  consulHttpsPort?: number;
  /** Reads the ConsulCluster's ACL token and TLS material from the store (for `discovery`). */
  readSecret?: ReadSecret;
  /** Reads the discovery token of a ConsulCluster with ACLs (write on its discovery folder only). */
  clusterToken?: ClusterTokenReader;
  /** Engine port written into the discovery list. Default 2375. */
  enginePort?: number;
  /** KV client for one Consul agent address (`http://ip:port`, `https://ip:port` with TLS) and the cluster's credentials; required for `discovery`. */
  kvFor?: (address: string, credentials: ClusterCredentials) => KvStore;
  /** Swarm API of one host; default: dockerode through the host's client. */
  apiFor?: (host: HostHandle) => SwarmApi;
  /** How often the operator's swarm watch looks at every SwarmCluster (ms). Default 1000. */
  watchIntervalMs?: number;
  /** The operator's limits: join tokens go only to engines reached over TLS or a local socket (`swarmop operator` always gives one). */
  policy?: TrustPolicy;
}

/** Deadline of one engine's GET /info in the swarm watch (ms): a poll must not outlast its interval by much. */
const WATCH_INFO_TIMEOUT_MS = 800;

type Observed = SwarmClusterObserved;

/** Every listed host reached over plain tcp, unless the operator allows insecure engines. */
export function swarmViolations(
  spec: SwarmCluster['spec'],
  policy: TrustPolicy | undefined,
  dockerHost: (name: string) => DockerHost | undefined,
): PolicyViolation[] {
  if (!policy) return [];
  const out: PolicyViolation[] = [];
  for (const list of ['managers', 'workers'] as const) {
    (spec[list] ?? []).forEach((h, i) => {
      const problem = insecureEngineProblem(dockerHost(h), 'swarm join tokens', policy);
      if (problem !== undefined) out.push({ field: `spec.${list}[${i}]`, message: problem });
    });
  }
  return out;
}

/** How long a node update whose call failed may still turn out to have been committed (ms). */
const UNCONFIRMED_WINDOW_MS = 30_000;

interface UnconfirmedUpdate {
  step: SwarmStep;
  /** The failure it was reported as in its own reconcile. */
  failure: Blocker;
  error: string;
  at: number;
}

export class SwarmClusterReconciler implements KindReconciler<SwarmCluster, Observed> {
  readonly kind = 'SwarmCluster' as const;
  readonly finalizer = SWARMCLUSTER_FINALIZER;
  /** Per cluster: node updates whose call failed, until a plan shows whether they landed. */
  private readonly unconfirmed = new Map<string, UnconfirmedUpdate[]>();
  private readonly infoTimeoutMs: number;
  private readonly downGraceMs: number;
  private readonly promotionGraceMs: number;
  private readonly convergeRequeueMs: number;
  private readonly maxPasses: number;
  private readonly consulPort: number;
  private readonly consulHttpsPort: number;
  private readonly readSecret: ReadSecret | undefined;
  private readonly clusterToken: ClusterTokenReader | undefined;
  private readonly enginePort: number;
  private readonly kvFor: ((address: string, credentials: ClusterCredentials) => KvStore) | undefined;
  private readonly apiFor: (host: HostHandle) => SwarmApi;
  private readonly watchIntervalMs: number;
  private readonly policy: TrustPolicy | undefined;

  constructor(options: SwarmClusterReconcilerOptions = {}) {
    this.infoTimeoutMs = options.infoTimeoutMs ?? 5000;
    this.downGraceMs = options.downGraceMs ?? DEFAULT_DOWN_GRACE_MS;
    this.promotionGraceMs = options.promotionGraceMs ?? DEFAULT_PROMOTION_GRACE_MS;
    this.convergeRequeueMs = options.convergeRequeueMs ?? 2000;
    this.maxPasses = options.maxPasses ?? 4;
    this.consulPort = options.consulPort ?? AGENT_HTTP_PORT;
    this.consulHttpsPort = options.consulHttpsPort ?? AGENT_HTTPS_PORT;
    this.readSecret = options.readSecret;
    this.clusterToken = options.clusterToken;
    this.enginePort = options.enginePort ?? DEFAULT_ENGINE_PORT;
    this.kvFor = options.kvFor;
    this.apiFor = options.apiFor ?? ((h) => dockerSwarmApi(h.docker, h.name));
    this.watchIntervalMs = options.watchIntervalMs ?? 1000;
    this.policy = options.policy;
  }

  async reconcile(resource: SwarmCluster, ctx: KindReconcileContext): Promise<ReconcileOutcome<Observed>> {
    const spec = resource.spec;
    // Join tokens are read from a manager and sent to every joining engine: none of them over plain tcp.
    const refused = swarmViolations(spec, this.policy, (h) => ctx.cache.get('DockerHost', h));
    if (refused.length > 0) {
      const message = describeViolations(refused);
      return {
        observed: {},
        conditions: [
          { type: 'Ready', status: 'False', reason: POLICY_REASON, message },
          { type: 'Degraded', status: 'Unknown', reason: POLICY_REASON, message },
        ],
      };
    }
    const { desired, missingHosts } = desiredSwarm(spec, (h) => ctx.hosts.get(h)?.address);
    const apis = new Map<string, SwarmApi>();
    const apiOf = (host: string): SwarmApi | undefined => {
      if (!apis.has(host)) {
        const h = ctx.hosts.get(host);
        if (h) apis.set(host, this.apiFor(h));
      }
      return apis.get(host);
    };
    const extra: Blocker[] = missingHosts.map((h) => ({
      reason: 'HostNotFound',
      message: `${h}: no DockerHost of that name`,
      severity: 'degraded',
    }));

    const name = resource.metadata.name;
    let world: SwarmWorld = await observeSwarm(desired, apiOf, { infoTimeoutMs: this.infoTimeoutMs });
    let plan = this.plan(desired, world, ctx);
    await this.confirmLanded(name, plan, world, ctx);
    let failures: Blocker[] = [];
    for (let pass = 0; pass < this.maxPasses && plan.steps.length > 0 && !ctx.signal.aborted; pass++) {
      const failed = await this.act(name, plan.steps, desired, world, apiOf, ctx);
      failures.push(...failed);
      world = await observeSwarm(desired, apiOf, { infoTimeoutMs: this.infoTimeoutMs });
      plan = this.plan(desired, world, ctx);
      const landed = await this.confirmLanded(name, plan, world, ctx);
      failures = failures.filter((f) => !landed.includes(f));
      if (failed.length) break;
    }
    extra.push(...failures);
    const stepFailures = failures.map((f) => f.message);

    const status = swarmStatus(desired, world, [...extra, ...plan.blockers]);
    let requeueAfter = status.ready && plan.steps.length === 0 ? undefined : this.convergeRequeueMs;
    const conditions = status.conditions;

    if (spec.discovery && world.cluster.kind === 'ok') {
      const ttlMs = goDurationMs(spec.discovery.ttl ?? '20s') ?? 20_000;
      requeueAfter = Math.min(requeueAfter ?? Infinity, Math.max(1000, Math.floor(ttlMs / 2)));
      const problem = await this.publish(resource, spec, world, ctx).catch((err: Error) => err.message);
      if (problem) {
        const degraded = conditions.find((c) => c.type === 'Degraded')!;
        const msg = `discovery: ${problem}`;
        if (degraded.status === 'True') degraded.message += `; ${msg}`;
        else Object.assign(degraded, { status: 'True', reason: 'DiscoveryFailed', message: msg });
      }
    }
    const outcome: ReconcileOutcome<Observed> = { observed: status.observed, conditions };
    if (requeueAfter !== undefined) outcome.requeueAfter = requeueAfter;
    // A failed step is retried with backoff (the operator counts attempts), not every convergeRequeueMs.
    if (stepFailures.length > 0) outcome.repairFailed = stepFailures.join('; ');
    return outcome;
  }

  async finalize(resource: SwarmCluster, ctx: KindReconcileContext): Promise<FinalizeOutcome> {
    this.unconfirmed.delete(resource.metadata.name);
    const d = resource.spec.discovery;
    if (!d) return { done: true };
    try {
      const kv = await this.discoveryKv(d.consulCluster, ctx);
      if (!kv) return { done: true };
      const n = await clearDiscovery(kv, d.path ?? 'swarm');
      if (n) await ctx.event('Normal', 'DiscoveryCleared', `removed ${n} node keys under ${d.path ?? 'swarm'}/docker/swarm/nodes/`);
      return { done: true };
    } catch (err) {
      ctx.log.warn('discovery cleanup failed', { error: (err as Error).message });
      return { done: false, requeueAfter: this.convergeRequeueMs * 5 };
    }
  }

  /**
   * A worker leaving by hand, or a hand-promoted worker joining the raft, queues its cluster within
   * a second (see swarm-watch.ts). Hosts whose event stream is down are not asked.
   */
  watchHosts(ctx: HostWatchContext, signal: AbortSignal): Promise<void> {
    return watchSwarms(ctx, signal, {
      intervalMs: this.watchIntervalMs,
      observe: (cluster, c) => {
        const { desired } = desiredSwarm(cluster.spec, (h) => c.hosts.get(h)?.address);
        const apis = new Map<string, SwarmApi>();
        const apiOf = (host: string): SwarmApi | undefined => {
          const h = c.hosts.get(host);
          if (!h?.ready) return undefined;
          if (!apis.has(host)) apis.set(host, this.apiFor(h));
          return apis.get(host);
        };
        return observeSwarm(desired, apiOf, { infoTimeoutMs: Math.min(this.infoTimeoutMs, WATCH_INFO_TIMEOUT_MS) });
      },
    });
  }

  mapHostEvent(host: string, event: HostEvent, cache: ObjectCache): string[] {
    // Managers report every node's state changes (a worker leaving, going down, a hand-made demote).
    if (event.Type !== 'node') return [];
    return clustersUsing(cache, host);
  }

  mapHostConnectivity(host: string, _connected: boolean, cache: ObjectCache): string[] {
    return clustersUsing(cache, host);
  }

  mapObjectChange(kind: KindName, name: string, cache: ObjectCache): string[] {
    if (kind === 'DockerHost') return clustersUsing(cache, name);
    if (kind === 'ConsulCluster')
      return cache
        .list('SwarmCluster')
        .filter((r) => r.spec.discovery?.consulCluster === name)
        .map((r) => r.metadata.name);
    return [];
  }

  private plan(desired: DesiredSwarm, world: SwarmWorld, ctx: KindReconcileContext) {
    return planSwarm(desired, world, { now: ctx.now().getTime(), downGraceMs: this.downGraceMs, promotionGraceMs: this.promotionGraceMs });
  }

  /**
   * A node update whose call failed may still be committed by swarmkit (under load it answers after
   * the client gave up). Once the observed nodes show the change (and the plan no longer asks for
   * it), it is the repair it was; the failure it was reported as is returned so it is not counted.
   * A plan that asks for nothing because the swarm could not be seen confirms nothing.
   * Past UNCONFIRMED_WINDOW_MS it is forgotten.
   */
  private async confirmLanded(
    name: string,
    plan: ReturnType<typeof planSwarm>,
    world: SwarmWorld,
    ctx: KindReconcileContext,
  ): Promise<Blocker[]> {
    const list = this.unconfirmed.get(name);
    if (!list?.length) return [];
    const now = ctx.now().getTime();
    const landed: Blocker[] = [];
    const keep = [];
    for (const u of list) {
      if (now - u.at > UNCONFIRMED_WINDOW_MS) continue;
      if (plan.steps.some((x) => x.host === u.step.host && x.cause.reason === u.step.cause.reason) || !seenLanded(u.step, world)) {
        keep.push(u);
        continue;
      }
      landed.push(u.failure);
      await ctx.repaired({
        reason: u.step.cause.reason,
        found: u.step.cause.found,
        action: `${u.step.summary} (the call failed: ${u.error}; the change took effect)`,
        host: u.step.host,
      });
    }
    this.unconfirmed.set(name, keep);
    return landed;
  }

  private forgetUnconfirmed(name: string, a: SwarmStep): void {
    const list = this.unconfirmed.get(name);
    if (list?.length)
      this.unconfirmed.set(
        name,
        list.filter((u) => !(u.step.host === a.host && u.step.cause.reason === a.cause.reason)),
      );
  }

  /** Runs the steps one by one; each success is recorded (repair or event), each failure returned. */
  private async act(
    name: string,
    steps: ReturnType<typeof planSwarm>['steps'],
    desired: DesiredSwarm,
    world: SwarmWorld,
    apiOf: (host: string) => SwarmApi | undefined,
    ctx: KindReconcileContext,
  ): Promise<Blocker[]> {
    const failed: Blocker[] = [];
    let managerHost = world.cluster.kind === 'ok' ? world.cluster.managerHost : undefined;
    for (const a of steps) {
      if (ctx.signal.aborted) break;
      // A fresh init makes its host the manager everything else goes through.
      const init = a.calls.find((s) => s.op === 'init');
      if (init) managerHost = init.host;
      const managerAddresses = managerAddressesOf(desired, world, managerHost);
      try {
        await executeStep(a, managerHost === undefined ? { apiOf, managerAddresses } : { apiOf, managerHost, managerAddresses });
      } catch (err) {
        // The operator logs one warning per failed run and an event when the error changes.
        const message = `${a.host}: ${a.summary} failed: ${(err as Error).message}`;
        ctx.log.debug('swarm action failed', { host: a.host, reason: a.cause.reason, error: (err as Error).message });
        const failure: Blocker = { reason: 'ActionFailed', message, severity: 'degraded' };
        failed.push(failure);
        if (a.cause.repair && a.calls.every((st) => st.op === 'set-role' || st.op === 'set-availability')) {
          const list = this.unconfirmed.get(name) ?? [];
          this.unconfirmed.set(name, [
            ...list.filter((u) => u.step.host !== a.host),
            { step: a, failure, error: (err as Error).message, at: ctx.now().getTime() },
          ]);
        }
        continue;
      }
      // A retry that succeeded is the repair; the earlier failed call must not be counted again later.
      this.forgetUnconfirmed(name, a);
      if (a.cause.repair) await ctx.repaired({ reason: a.cause.reason, found: a.cause.found, action: a.summary, host: a.host });
      else await ctx.event('Normal', a.cause.reason, `${a.host}: ${a.summary} (${a.cause.found})`);
    }
    return failed;
  }

  private async publish(
    resource: SwarmCluster,
    spec: SwarmClusterSpec,
    world: SwarmWorld,
    ctx: KindReconcileContext,
  ): Promise<string | undefined> {
    const d = spec.discovery!;
    if (world.cluster.kind !== 'ok') return undefined;
    let kv: KvStore | undefined;
    try {
      kv = await this.discoveryKv(d.consulCluster, ctx);
    } catch (err) {
      return (err as Error).message;
    }
    if (!kv) return `ConsulCluster ${d.consulCluster} not found or has no reachable server host`;
    const path = d.path ?? 'swarm';
    const change = await syncDiscovery({
      kv,
      path,
      desired: desiredDiscoveryKeys(path, world.cluster.nodes, this.enginePort),
      ttl: d.ttl ?? '20s',
      owner: `swarmop swarmcluster/${resource.metadata.name}`,
    });
    if (change.added.length || change.removed.length) {
      const parts = [
        change.added.length ? `published ${change.added.map(last).join(', ')}` : '',
        change.removed.length ? `removed ${change.removed.map(last).join(', ')}` : '',
      ].filter(Boolean);
      await ctx.event('Normal', 'DiscoveryUpdated', `${parts.join('; ')} under ${path}/docker/swarm/nodes/`);
    }
    return undefined;
  }

  /**
   * The first server host of the ConsulCluster that has a DockerHost; its agent serves the KV,
   * called with the cluster's own token, over HTTPS when the cluster runs TLS.
   */
  private async discoveryKv(consulCluster: string, ctx: KindReconcileContext): Promise<KvStore | undefined> {
    if (!this.kvFor) {
      ctx.log.warn('discovery requested but the reconciler has no Consul client factory');
      return undefined;
    }
    const cc = ctx.cache.get('ConsulCluster', consulCluster);
    const servers = cc?.spec.servers ?? [];
    const hosts = servers.map((s) => ctx.hosts.get(s.host)).filter((h): h is HostHandle => h !== undefined);
    const host = hosts.find((h) => h.ready) ?? hosts[0];
    if (!host) return undefined;
    const credentials = await clusterCredentials(consulCluster, cc?.spec, this.readSecret, {
      job: 'discovery',
      clusterToken: this.clusterToken,
    });
    const address = credentials.tls ? `https://${host.address}:${this.consulHttpsPort}` : `http://${host.address}:${this.consulPort}`;
    return this.kvFor(address, credentials);
  }
}

function last(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Addresses to join through: the manager we talk to first, then every other ready manager. */
function managerAddressesOf(desired: DesiredSwarm, world: SwarmWorld, managerHost: string | undefined): string[] {
  const out: string[] = [];
  const first = desired.nodes.find((d) => d.host === managerHost)?.address;
  if (first) out.push(first);
  if (world.cluster.kind === 'ok') {
    for (const n of world.cluster.nodes) {
      const ip = hostOfAddr(n.address);
      if (n.role === 'manager' && n.state === 'ready' && ip && !out.includes(ip)) out.push(ip);
    }
  }
  return out;
}

function clustersUsing(cache: ObjectCache, host: string): string[] {
  return cache
    .list('SwarmCluster')
    .filter((r) => hostsOf(r.spec).includes(host))
    .map((r) => r.metadata.name);
}

/** True when the observed nodes show every node update of `step` in effect. */
function seenLanded(step: SwarmStep, world: SwarmWorld): boolean {
  if (world.cluster.kind !== 'ok') return false;
  const nodes = world.cluster.nodes;
  return step.calls.every((st) => {
    const n = 'nodeID' in st ? nodes.find((x) => x.id === st.nodeID) : undefined;
    if (st.op === 'set-role') return n?.role === st.role;
    if (st.op === 'set-availability') return n?.availability === st.availability;
    return false;
  });
}
