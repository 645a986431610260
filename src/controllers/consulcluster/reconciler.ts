/**
 * The ConsulCluster reconciler: desired agents (pure) -> observe containers and agents -> analysis
 * -> at most one step -> observed status. Steps whose effect takes time are remembered per cluster
 * (in this instance's memory) so the next reconcile waits for them instead of stacking repairs.
 */
import type { Fence } from '../../runtime/fence.js';
import type { ConsulCluster, ConsulClusterSpec } from '../../crds/consul-cluster.js';
import type { KindName } from '../../crds/kind-info.js';
import type {
  FinalizeOutcome,
  HostEvent,
  HostWatchContext,
  KindReconciler,
  ObjectCache,
  KindReconcileContext,
  ReconcileOutcome,
} from '../kind-reconciler.js';
import { agentTokens } from './agent-config-file.js';
import { analyze, healthy, type ClusterAnalysis } from './analysis.js';
import { joinVia, readMembers, readWanMembers, type AgentHttpOptions, type AgentTls } from '../../consul/agent-http.js';
import { dialectFor } from './consul-version.js';
import { readClusterTls } from './tls-secrets.js';
import { keyringIsCurrent, readKeyring, rotateGossipKey, staleKeys } from './gossip-keyring.js';
import { watchMembers } from './member-watch.js';
import { desiredAgents, type AgentSecrets, type DesiredAgent } from './desired.js';
import { AGENT_HTTPS_PORT } from '../../consul/agent-http.js';
import { ImagePullError, REPAIR_REASON, execute, removeContainer, type ExecuteOptions } from './execute.js';
import { CLUSTER_LABEL, FINALIZER } from './labels.js';
import { observeCluster, observeWan, type ObserveOptions } from './observe.js';
import { DEFAULT_PLAN_OPTIONS, inflightFor, plan, type Step, type Inflight, type PlanOptions } from './plan.js';
import { conditions, observedStatus, type ConsulClusterObserved } from './status.js';
import {
  analyzeWan,
  planWan,
  wanCondition,
  wanInflightFor,
  wanStatus,
  type WanAnalysis,
  type WanInflight,
  type WanJoin,
} from './wan-analysis.js';
import { wanPeers, type WanPeers, type WanServer } from './wan-peers.js';
import { joinLandedLate, type UnansweredJoin } from './unanswered-join.js';
import { consulClusterViolations } from './policy.js';
import { describeViolations, POLICY_REASON, type TrustPolicy } from '../trust-policy.js';
import type { ConsulTokenStatus } from '../../crds/consul-cluster.js';
import { discoveryFoldersFor } from '../swarm-discovery-layout.js';
import type { TokenRecords } from './cluster-tokens.js';
import { agentTokenSecrets, ClusterTokenKeeper, type TokenKeeperOptions, type TokenPassResult } from './token-keeper.js';
import type { TokenRecord } from './token-plan.js';

export interface ConsulClusterReconcilerOptions {
  /** Reads a secret (gossip key, ACL token) from the store's KV; needed only when the spec refers to one. */
  readSecret?: (kvKey: string) => Promise<string | undefined>;
  plan?: Partial<PlanOptions>;
  /** Re-check a converged cluster this often (ms): serf failures raise no Docker event. */
  pollIntervalMs?: number;
  /** Re-check this often while a step settles or the cluster is not converged (ms). */
  busyRequeueMs?: number;
  /** Try a failed image pull again after this long (ms). */
  pullRetryMs?: number;
  dockerTimeoutMs?: number;
  httpTimeoutMs?: number;
  stopTimeoutSec?: number;
  pullTimeoutMs?: number;
  /** Agents' HTTP port (8500). */
  httpPort?: number;
  /** Agents' HTTPS port when the cluster runs TLS (8501). */
  httpsPort?: number;
  /**
   * The key of a cluster's config-hash HMAC, kept in the store (created on first use), so the
   * label on the containers cannot be used to test guesses of a secret.
   */
  hashKey?: (cluster: string) => Promise<string>;
  /** Every agent call that changes something passes it (leader election). */
  fence?: Fence;
  now?: () => number;
  /** The operator's limits on data dirs, images, secret keys and engines (`swarmop operator` always gives one). */
  policy?: TrustPolicy;
  /**
   * Where the tokens the operator makes in an ACL cluster are recorded (token-records.ts). Without
   * it an ACL cluster runs on its aclTokenRef alone, as before least privilege.
   */
  tokenRecords?: TokenRecords;
  /** The ACL calls of the token pass (tests give fakes); the real ones by default. */
  acl?: Omit<TokenKeeperOptions, 'records'>;
}

const EMPTY_ANALYSIS: ClusterAnalysis = { members: [], leaderAddress: '', raft: [], strays: [], unreachableHosts: [] };

function membersOf(spec: ConsulClusterSpec | undefined): { host: string }[] {
  return spec ? [...(spec.servers ?? []), ...(spec.clients ?? [])] : [];
}

type AgentCall = Extract<Step, { type: 'join' | 'forceLeave' | 'removeRaftPeer' }>;

/** The steps that are one call to an agent's HTTP API: a failure is retried soon, not backed off. */
function isAgentCall(step: Step): step is AgentCall {
  return step.type === 'join' || step.type === 'forceLeave' || step.type === 'removeRaftPeer';
}

function failedCallKey(call: AgentCall): string {
  return `${call.type} ${call.via} ${'target' in call ? call.target : 'node' in call ? call.node : ''}`;
}

export class ConsulClusterReconciler implements KindReconciler<ConsulCluster, ConsulClusterObserved> {
  readonly kind = 'ConsulCluster' as const;
  readonly finalizer = FINALIZER;
  private readonly inflight = new Map<string, Inflight>();
  /** WAN joins settling, apart from the LAN steps so a slow WAN never holds a LAN repair back. */
  private readonly wanInflight = new Map<string, WanInflight>();
  /** The agent tokens each cluster's last reconcile used, so the member watch reads ACL clusters too. */
  private readonly tokensByCluster = new Map<string, Partial<AgentHttpOptions>>();
  /** Per cluster: the last join of a member whose call timed out (the agent may still finish it). */
  private readonly unansweredJoins = new Map<string, UnansweredJoin>();
  /** Consecutive failures of each agent call step, so a partition's retries are logged once. */
  private readonly failedCalls = new Map<string, number>();
  private readonly planOptions: PlanOptions;
  private readonly observeOptions: ObserveOptions;
  private readonly executeOptions: ExecuteOptions;
  private readonly pollIntervalMs: number;
  private readonly busyRequeueMs: number;
  private readonly pullRetryMs: number;
  private readonly now: () => number;
  private readonly readSecret?: (kvKey: string) => Promise<string | undefined>;
  private readonly policy: TrustPolicy | undefined;
  private readonly hashKey?: (cluster: string) => Promise<string>;
  private readonly httpsPort: number;
  /** Per cluster, the TLS identity of its calls: one object while the material stays, so its connections are kept alive. */
  private readonly tlsByCluster = new Map<string, AgentTls>();
  private readonly tokenKeeper: ClusterTokenKeeper | undefined;
  /** Per cluster: token passes failed in a row (the first failure is an event, the rest are not). */
  private readonly tokenPassFailures = new Map<string, number>();

  constructor(options: ConsulClusterReconcilerOptions = {}) {
    const http = {
      timeoutMs: options.httpTimeoutMs ?? 1500,
      ...(options.httpPort ? { port: options.httpPort } : {}),
      ...(options.fence ? { fence: options.fence } : {}),
    };
    this.planOptions = { ...DEFAULT_PLAN_OPTIONS, ...options.plan };
    this.observeOptions = { dockerTimeoutMs: options.dockerTimeoutMs ?? 4000, http };
    this.executeOptions = { stopTimeoutSec: options.stopTimeoutSec ?? 10, pullTimeoutMs: options.pullTimeoutMs ?? 300_000, http };
    this.pollIntervalMs = options.pollIntervalMs ?? 3000;
    this.busyRequeueMs = options.busyRequeueMs ?? 500;
    this.pullRetryMs = options.pullRetryMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.readSecret = options.readSecret;
    this.policy = options.policy;
    if (options.hashKey) this.hashKey = options.hashKey;
    this.httpsPort = options.httpsPort ?? AGENT_HTTPS_PORT;
    if (options.tokenRecords) this.tokenKeeper = new ClusterTokenKeeper({ ...options.acl, records: options.tokenRecords });
  }

  async reconcile(resource: ConsulCluster, ctx: KindReconcileContext): Promise<ReconcileOutcome<ConsulClusterObserved>> {
    const name = resource.metadata.name;
    const key = `${name}/${resource.metadata.uid ?? ''}`;
    const spec = resource.spec;
    // Before any secret is read or any host called: a field reaching further than it means refuses the cluster.
    const refused = consulClusterViolations(spec, this.policy, (h) => ctx.cache.get('DockerHost', h));
    if (refused.length > 0) {
      const message = describeViolations(refused);
      this.tokensByCluster.delete(name);
      return {
        observed: {},
        conditions: [
          { type: 'Ready', status: 'False', reason: POLICY_REASON, message },
          { type: 'Degraded', status: 'Unknown', reason: POLICY_REASON, message },
        ],
      };
    }
    const refuse = (reason: string, message: string): ReconcileOutcome<ConsulClusterObserved> => ({
      observed: {},
      conditions: [
        { type: 'Ready', status: 'False', reason, message },
        { type: 'Degraded', status: 'Unknown', reason, message },
      ],
      requeueAfter: 10_000,
    });
    const secrets = await this.secrets(spec);
    if (typeof secrets === 'string') return refuse('SecretNotFound', secrets);
    const dialect = dialectFor(spec.image);
    if ('unsupported' in dialect) return refuse('UnsupportedConsulVersion', dialect.unsupported);
    const hostAddress = (h: string) => ctx.hosts.get(h)?.address;
    let tls: AgentTls | undefined;
    let expiring: string[] = [];
    if (spec.tls?.enabled) {
      const read = this.readSecret ?? (async () => undefined);
      const t = await readClusterTls(spec, read, (m) => m.bindAddress ?? hostAddress(m.host) ?? '', this.now());
      if (typeof t === 'string') return refuse('SecretNotFound', t);
      if (t.problems.length > 0) return refuse('TlsCertificateInvalid', t.problems.join('; '));
      secrets.tls = t.agents;
      expiring = t.expiring;
      tls = this.tlsIdentity(name, t.operator);
    } else this.tlsByCluster.delete(name);
    const aclEnabled = spec.acl?.enabled ?? false;
    const keeper = aclEnabled && secrets.aclToken ? this.tokenKeeper : undefined;
    let records: Map<string, TokenRecord> = keeper ? await keeper.records(name) : new Map();
    if (records.size > 0) secrets.agentTokens = agentTokenSecrets(records);
    const hashKey = this.hashKey ? await this.hashKey(name) : undefined;
    const federation = wanPeers(name, spec, ctx.cache.list('ConsulCluster'), hostAddress);
    const { agents, missingHosts } = desiredAgents(name, spec, hostAddress, secrets, federation.retryJoinWan, {
      dialect: dialect.dialect,
      ...(hashKey ? { hashKey } : {}),
    });
    if (missingHosts.length > 0) {
      return { observed: {}, conditions: conditions(EMPTY_ANALYSIS, { missingHosts }), requeueAfter: 10_000 };
    }

    // Every call to this cluster's agents carries its token (and its client certificate), so an
    // ACL default-deny or TLS cluster is observed and repaired like an open one.
    // After the token pass that is the operator token; the initial management token only before it.
    const operatorToken = records.get('operator')?.secretID;
    const callTokens = (withOperatorToken: boolean): Partial<AgentHttpOptions> => ({
      ...agentTokens(secrets.aclToken, aclEnabled, withOperatorToken ? operatorToken : undefined),
      ...(tls ? { tls, port: this.httpsPort } : {}),
    });
    let tokens = callTokens(true);
    let observation = await observeCluster(name, agents, ctx.hosts.list(), {
      ...this.observeOptions,
      http: { ...this.observeOptions.http, ...tokens },
    });
    if (operatorToken && observation.views.some((v) => v.raftDenied)) {
      // The servers refuse the recorded operator token (their ACL data is new, or its policy was
      // changed): back to the management token, whose token pass makes or mends it.
      ctx.log.info('consul operator token refused; using the initial management token', { kind: this.kind, name });
      keeper?.forget(name);
      tokens = callTokens(false);
      observation = await observeCluster(name, agents, ctx.hosts.list(), {
        ...this.observeOptions,
        http: { ...this.observeOptions.http, ...tokens },
      });
    }
    this.tokensByCluster.set(name, tokens);
    const observeOptions = { ...this.observeOptions, http: { ...this.observeOptions.http, ...tokens } };
    const executeOptions = { ...this.executeOptions, http: { ...this.executeOptions.http, ...tokens } };
    const analysis = analyze(agents, observation);
    const denied = observation.views.filter((v) => v.denied).map((v) => v.address);
    if (denied.length > 0) {
      // Acting on agents whose answers we cannot read would restart healthy ones: stop instead.
      const message = `agents at ${denied.join(', ')} refuse the token from ${spec.aclTokenRef?.kvKey ?? 'the store'} (changed in the store, or in Consul?); nothing is done until they accept it`;
      return {
        observed: observedStatus(analysis),
        conditions: [
          { type: 'Ready', status: 'False', reason: 'AgentTokenRejected', message },
          { type: 'Degraded', status: 'Unknown', reason: 'AgentTokenRejected', message },
        ],
        requeueAfter: 10_000,
      };
    }
    let tokenStatus: ConsulTokenStatus[] | undefined;
    let tokensJustMade = false;
    if (keeper) {
      const pass = await this.tokenPass(
        keeper,
        name,
        spec,
        agents,
        analysis,
        records,
        { ...this.executeOptions.http, ...callTokens(false) },
        ctx,
      );
      if (pass) records = pass.records;
      tokenStatus = keeper.status(name, records);
      // Tokens just made: no step this pass, so an agent is created only once its file renders its token.
      tokensJustMade = pass !== undefined && pass.done.length > 0;
    }
    if (secrets.gossipKey && !this.inflight.has(key) && (await this.rotateKeyring(secrets.gossipKey, analysis, observeOptions.http, ctx))) {
      return {
        observed: { ...observedStatus(analysis), ...(tokenStatus && tokenStatus.length > 0 ? { tokens: tokenStatus } : {}) },
        conditions: conditions(analysis, { missingHosts: [], progress: 'gossip key rotated; rolling the agents' }),
        requeueAfter: this.busyRequeueMs,
      };
    }
    await this.settleUnansweredJoin(key, analysis, ctx);
    const wan =
      federation.peers.length > 0 || federation.problems.length > 0
        ? await this.observeWan(name, spec.datacenter, agents, analysis, federation, observeOptions.http)
        : undefined;
    const now = this.now();
    const p = plan(analysis, this.inflight.get(key), now, this.planOptions);
    if (p.inflightDone) {
      this.inflight.delete(key);
      if (!p.inflightDone.settled) {
        await ctx.event(
          'Warning',
          'RepairNotSettled',
          `${p.inflightDone.inflight.description} did not make the member healthy (timed out or broke again); acting again`,
        );
      }
    }
    let progress = p.waiting;
    let pullFailed: ImagePullError | undefined;
    if (p.step && !tokensJustMade) {
      const ran = await this.run(key, p.step, analysis, ctx, executeOptions, now);
      if (ran instanceof ImagePullError) {
        pullFailed = ran;
        progress = undefined;
      } else if (ran) {
        const inflight = inflightFor(p.step, now, this.planOptions);
        if (inflight) this.inflight.set(key, inflight);
        progress = inflight ? `waiting for ${inflight.description}` : undefined;
      } else {
        progress = `${p.step.type} failed; retrying`;
      }
    }
    // One step per reconcile: the WAN join waits while a LAN step runs.
    const wanProgress = wan ? await this.wanStep(key, wan, !p.step, agents, ctx, executeOptions.http, now) : undefined;
    let conds = conditions(analysis, { missingHosts: [], progress });
    const wanCond = wan ? wanCondition(wan, wanProgress) : undefined;
    const observed: ConsulClusterObserved = {
      ...observedStatus(analysis),
      ...(wan ? { wan: wanStatus(wan, analysis.reference?.address) } : {}),
      ...(tokenStatus && tokenStatus.length > 0 ? { tokens: tokenStatus } : {}),
    };
    if (pullFailed) {
      // No container to crash-loop: the agent is not created until its image is there; try again slowly.
      const failed = pullFailed;
      conds = conds.map((c) =>
        c.type === 'Ready' ? { type: 'Ready', status: 'False', reason: 'ImagePullFailed', message: failed.message } : c,
      );
      return { observed, conditions: [...conds, ...(wanCond ? [wanCond] : [])], requeueAfter: this.pullRetryMs };
    }
    const converged = !p.step && !p.waiting && conds.find((c) => c.type === 'Ready')?.status === 'True';
    let requeueAfter = converged ? this.pollIntervalMs : p.step || p.waiting ? this.busyRequeueMs : Math.max(this.busyRequeueMs, 1000);
    // A WAN gap is re-checked like a LAN one; a peer that does not exist yet at the usual pace.
    if (wanCond && wanCond.status !== 'True' && federation.problems.length === 0)
      requeueAfter = Math.min(requeueAfter, wanProgress ? this.busyRequeueMs : Math.max(this.busyRequeueMs, 1000));
    const certCond = spec.tls?.enabled
      ? [
          expiring.length > 0
            ? { type: 'CertificateExpiring', status: 'True' as const, reason: 'CertificateExpiring', message: expiring.join('; ') }
            : {
                type: 'CertificateExpiring',
                status: 'False' as const,
                reason: 'CertificatesValid',
                message: 'every certificate is valid for 7 days or more',
              },
        ]
      : [];
    return { observed, conditions: [...conds, ...(wanCond ? [wanCond] : []), ...certCond], requeueAfter };
  }

  /**
   * Once a leader exists: the token pass (token-keeper.ts), with the initial management token, when
   * something is new or an agent still waits for its token. Undefined when no pass ran or it failed
   * (the cluster keeps running on the tokens it has; the next reconcile tries again).
   */
  private async tokenPass(
    keeper: ClusterTokenKeeper,
    name: string,
    spec: ConsulClusterSpec,
    agents: readonly DesiredAgent[],
    a: ClusterAnalysis,
    records: ReadonlyMap<string, TokenRecord>,
    management: AgentHttpOptions,
    ctx: KindReconcileContext,
  ): Promise<TokenPassResult | undefined> {
    const via = a.reference?.address;
    if (!via || a.leaderAddress === '') return undefined;
    const wanted = {
      cluster: name,
      datacenter: spec.datacenter,
      nodes: agents.map((x) => x.node),
      discoveryFolders: discoveryFoldersFor(name, ctx.cache.list('SwarmCluster')),
    };
    if (!keeper.needsPass(wanted, records)) return undefined;
    try {
      const pass = await keeper.pass({
        ...wanted,
        via,
        agents: a.members.map((m) => ({ node: m.agent.node, address: m.agent.address, answering: m.answering })),
        management,
      });
      this.tokenPassFailures.delete(name);
      if (pass.done.length > 0) {
        await ctx.event('Normal', 'AclTokensCreated', pass.done.join('; '));
        ctx.log.info('consul acl tokens made', { kind: this.kind, name, done: pass.done });
      }
      return pass;
    } catch (err) {
      // Right after the first election the management token may not exist yet: tried again soon.
      const tries = (this.tokenPassFailures.get(name) ?? 0) + 1;
      this.tokenPassFailures.set(name, tries);
      if (tries === 1) await ctx.event('Warning', 'AclTokensFailed', (err as Error).message);
      ctx.log[tries === 1 ? 'info' : 'debug']('consul acl token pass failed', {
        kind: this.kind,
        name,
        tries,
        err: (err as Error).message,
      });
      return undefined;
    }
  }

  /** The cluster's TLS identity, the same object while its material is unchanged. */
  private tlsIdentity(cluster: string, t: AgentTls): AgentTls {
    const had = this.tlsByCluster.get(cluster);
    if (had && had.ca === t.ca && had.cert === t.cert && had.key === t.key) return had;
    this.tlsByCluster.set(cluster, t);
    return t;
  }

  /**
   * The WAN views this cluster is judged by: its own servers (one whose agent does not answer is
   * not asked: it counts as silent) and, for the peers it keeps joined, theirs, with their tokens.
   */
  private async observeWan(
    name: string,
    datacenter: string,
    agents: readonly DesiredAgent[],
    a: ClusterAnalysis,
    federation: WanPeers,
    http: AgentHttpOptions,
  ): Promise<WanAnalysis> {
    const own: WanServer[] = agents
      .filter((x) => x.role === 'server')
      .map((x) => ({ cluster: name, datacenter, node: x.node, name: `${x.node}.${datacenter}`, address: x.address }));
    const answering = (s: WanServer) => a.members.some((m) => m.agent.node === s.node && m.answering);
    const peerServers = federation.peers
      .filter((p) => p.repairs)
      .flatMap((p) =>
        p.servers.map((s) => ({ address: s.address, http: { ...this.observeOptions.http, ...this.tokensByCluster.get(p.cluster) } })),
      );
    const views = await observeWan([...own.filter(answering).map((s) => ({ address: s.address, http })), ...peerServers]);
    const silent = own.filter((s) => !answering(s)).map((s) => ({ address: s.address, reachable: false, members: [] }));
    return analyzeWan(own, federation, [...views, ...silent]);
  }

  /** Settles or runs the WAN join of this reconcile; returns what is in progress, for the condition. */
  private async wanStep(
    key: string,
    wan: WanAnalysis,
    mayAct: boolean,
    agents: readonly DesiredAgent[],
    ctx: KindReconcileContext,
    http: AgentHttpOptions,
    now: number,
  ): Promise<string | undefined> {
    const step = planWan(wan, this.wanInflight.get(key), now);
    if (step.inflightDone) {
      this.wanInflight.delete(key);
      if (!step.inflightDone.settled)
        await ctx.event(
          'Warning',
          'RepairNotSettled',
          `${step.inflightDone.inflight.description} did not bring the WAN members back within ${this.planOptions.joinTimeoutMs} ms; acting again`,
        );
    }
    if (step.waiting) return step.waiting;
    if (!step.join || !mayAct) return undefined;
    if (!(await this.runWanJoin(step.join, agents, ctx, http))) return 'WAN join failed; retrying';
    const inflight = wanInflightFor(step.join, now, this.planOptions.joinTimeoutMs);
    this.wanInflight.set(key, inflight);
    return `waiting for ${inflight.description}`;
  }

  /**
   * `consul join -wan` through the agent of one of this cluster's servers. A server never seen in
   * the pool is joined (an event); one that dropped out of it is drift: one repair line.
   */
  private async runWanJoin(
    action: WanJoin,
    agents: readonly DesiredAgent[],
    ctx: KindReconcileContext,
    http: AgentHttpOptions,
  ): Promise<boolean> {
    try {
      await joinVia(action.via, action.target, http, true);
    } catch (err) {
      // While a partition lasts the join keeps failing; the first try after it heals must come soon.
      ctx.log.info('consul agent call failed', { kind: this.kind, step: 'wanJoin', via: action.via, err: (err as Error).message });
      return false;
    }
    const done = `joined ${action.target} over the WAN from ${action.via}`;
    if (action.status === 'none') {
      await ctx.event('Normal', 'WanJoined', `${action.found}: ${done}`);
      ctx.log.info('consul servers joined over the WAN', { kind: this.kind, action: done });
      return true;
    }
    const host = agents.find((x) => x.address === action.via)?.host;
    await ctx.repaired({ reason: 'WanMemberRejoined', found: action.found, action: done, ...(host ? { host } : {}) });
    return true;
  }

  /** Reports a timed-out join that the agent finished (the member is alive again) as the repair it was. */
  private async settleUnansweredJoin(key: string, a: ClusterAnalysis, ctx: KindReconcileContext): Promise<void> {
    const pending = this.unansweredJoins.get(key);
    if (!pending) return;
    const landed = joinLandedLate(pending, a, this.now());
    if (landed === 'pending') return;
    this.unansweredJoins.delete(key);
    if (landed === 'expired') return;
    this.failedCalls.delete(failedCallKey(pending.step));
    await ctx.repaired(landed);
  }

  /**
   * Runs one step; false when an agent call (join, force-leave, raft peer removal) failed: retried soon,
   * not backed off; the ImagePullError when a host could not pull the image (reported, retried slowly).
   */
  private async run(
    key: string,
    step: Step,
    a: ClusterAnalysis,
    ctx: KindReconcileContext,
    o: ExecuteOptions,
    now: number,
  ): Promise<boolean | ImagePullError> {
    let done: string;
    try {
      done = await execute(step, (h) => ctx.hosts.get(h), o);
    } catch (err) {
      if (err instanceof ImagePullError) {
        await ctx.event('Warning', 'ImagePullFailed', err.message);
        ctx.log.warn('consul image pull failed', { kind: this.kind, host: err.host, image: err.image, err: err.message });
        return err;
      }
      // While a partition lasts the join keeps failing; the first try after it heals must come
      // within a second, not after the operator's error backoff.
      // The same holds for the clean-up calls, which fail while a leader election is under way.
      if (isAgentCall(step)) {
        // Tried again about every second while a partition lasts: the first failure is news, the rest are not.
        const callKey = failedCallKey(step);
        const tries = (this.failedCalls.get(callKey) ?? 0) + 1;
        this.failedCalls.set(callKey, tries);
        if (step.type === 'join' && (err as { code?: string }).code === 'Timeout')
          this.unansweredJoins.set(key, { step: step, sentAt: now });
        ctx.log[tries === 1 ? 'info' : 'debug']('consul agent call failed', {
          kind: this.kind,
          step: step.type,
          via: step.via,
          tries,
          err: (err as Error).message,
        });
        return false;
      }
      await ctx.event('Warning', 'RepairFailed', `${step.type}: ${(err as Error).message}`);
      throw err;
    }
    if (isAgentCall(step)) this.failedCalls.delete(failedCallKey(step));
    if (step.type === 'join') this.unansweredJoins.delete(key);
    if (step.type === 'create') {
      await ctx.event('Normal', step.reason === 'Bootstrap' ? 'ClusterCreated' : 'MembersAdded', done);
      ctx.log.info('consul agents created', { kind: this.kind, reason: step.reason, action: done });
      return true;
    }
    const host =
      step.type === 'removeStray'
        ? step.container.host
        : step.type === 'reclaimNodeName'
          ? a.members.find((m) => m.agent.node === step.node)?.agent.host
          : 'agent' in step
            ? step.agent.host
            : a.members.find((m) => m.agent.address === step.via)?.agent.host;
    await ctx.repaired({ reason: REPAIR_REASON[step.type], found: step.found, action: done, ...(host ? { host } : {}) });
    return true;
  }

  /**
   * A new gossip key goes through the keyring API while every member is alive to receive it (see
   * gossip-keyring.ts); true when it was rotated now. Never says the key, only that it changed.
   */
  private async rotateKeyring(gossipKey: string, a: ClusterAnalysis, http: AgentHttpOptions, ctx: KindReconcileContext): Promise<boolean> {
    const ref = a.reference;
    if (!ref || a.leaderAddress === '' || !a.members.every((m) => healthy(m, a))) return false;
    let pools;
    try {
      pools = await readKeyring(ref.address, http);
    } catch (err) {
      ctx.log.debug('consul keyring not readable', { kind: this.kind, via: ref.address, err: (err as Error).message });
      return false;
    }
    if (keyringIsCurrent(pools, gossipKey)) return false;
    const removed = await rotateGossipKey(ref.address, gossipKey, staleKeys(pools, gossipKey), http);
    const host = a.members.find((m) => m.agent.address === ref.address)?.agent.host;
    await ctx.repaired({
      reason: 'GossipKeyRotated',
      found: "the cluster's gossip keyring differs from the key in the store",
      action: `installed the store's key on every member, made it primary, removed ${removed} old key(s)`,
      ...(host ? { host } : {}),
    });
    return true;
  }

  private async secrets(spec: ConsulClusterSpec): Promise<AgentSecrets | string> {
    const out: AgentSecrets = {};
    for (const [field, ref] of [
      ['gossipKey', spec.gossipKeyRef],
      ['aclToken', spec.aclTokenRef],
    ] as const) {
      if (!ref) continue;
      const value = this.readSecret ? await this.readSecret(ref.kvKey) : undefined;
      if (value === undefined || value === '') return `secret ${ref.kvKey} (${field}) not found in the store`;
      out[field] = value.trim();
    }
    return out;
  }

  /** Stops and removes every agent container of the cluster; data dirs stay on the hosts. */
  async finalize(resource: ConsulCluster, ctx: KindReconcileContext): Promise<FinalizeOutcome> {
    const name = resource.metadata.name;
    let done = true;
    for (const h of ctx.hosts.list()) {
      try {
        const list = await h.docker.listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=${name}`] } });
        for (const c of list) await removeContainer(h.docker, c.Id, this.executeOptions.stopTimeoutSec);
        if (list.length > 0) await ctx.event('Normal', 'AgentsRemoved', `removed ${list.length} agent container(s) on ${h.name}`);
      } catch (err) {
        // A host the spec names must be cleaned; an unrelated unreachable host cannot hold our agents.
        if (membersOf(resource.spec).some((m) => m.host === h.name)) {
          done = false;
          ctx.log.warn('consul agent cleanup failed', { kind: this.kind, name, host: h.name, err: (err as Error).message });
        }
      }
    }
    for (const k of this.inflight.keys()) if (k.startsWith(`${name}/`)) this.inflight.delete(k);
    for (const k of this.wanInflight.keys()) if (k.startsWith(`${name}/`)) this.wanInflight.delete(k);
    for (const k of this.unansweredJoins.keys()) if (k.startsWith(`${name}/`)) this.unansweredJoins.delete(k);
    if (done) {
      this.tokensByCluster.delete(name);
      this.tlsByCluster.delete(name);
      this.tokenPassFailures.delete(name);
      // The token records hold secrets of a cluster that is gone; its data dirs keep the tokens,
      // and a cluster applied again over them adopts them by description.
      await this.tokenKeeper
        ?.remove(name)
        .catch((err: unknown) => ctx.log.warn('consul token records not removed', { kind: this.kind, name, err: (err as Error).message }));
    }
    return done ? { done } : { done, requeueAfter: 5000 };
  }

  /** A member turning `failed` (or any change of the agents' member views) queues its cluster within a second. */
  watchHosts(ctx: HostWatchContext, signal: AbortSignal): Promise<void> {
    const http = this.observeOptions.http;
    // The watch polls each cluster's agents: never those of a cluster the policy refuses (its
    // bindAddress may name any address, and a token from an earlier pass would ride along).
    const cache = ctx.cache;
    const allowed = (c: ConsulCluster) => consulClusterViolations(c.spec, this.policy, (h) => cache.get('DockerHost', h)).length === 0;
    const watched: ObjectCache = {
      get: cache.get.bind(cache),
      byIndex: cache.byIndex.bind(cache),
      list: ((kind: KindName) =>
        kind === 'ConsulCluster' ? cache.list('ConsulCluster').filter(allowed) : cache.list(kind)) as ObjectCache['list'],
    };
    return watchMembers({ ...ctx, cache: watched }, signal, {
      readMembers: (address, s, cluster) =>
        readMembers(address, { ...http, ...this.tokensByCluster.get(cluster), timeoutMs: Math.min(http.timeoutMs ?? 800, 800), signal: s }),
      readWanMembers: (address, s, cluster) =>
        readWanMembers(address, {
          ...http,
          ...this.tokensByCluster.get(cluster),
          timeoutMs: Math.min(http.timeoutMs ?? 800, 800),
          signal: s,
        }),
    });
  }

  mapHostEvent(_host: string, event: HostEvent): string[] {
    if (event.Type !== 'container' || event.Action.startsWith('exec_')) return [];
    const cluster = event.Actor.Attributes?.[CLUSTER_LABEL];
    return cluster ? [cluster] : [];
  }

  mapHostConnectivity(host: string, _connected: boolean, cache: ObjectCache): string[] {
    return this.clustersOn(host, cache);
  }

  mapObjectChange(kind: KindName, name: string, cache: ObjectCache): string[] {
    if (kind === 'SwarmCluster') {
      // Its discovery folder is in the cluster's discovery policy.
      const target = cache.get('SwarmCluster', name)?.spec.discovery?.consulCluster;
      return target ? [target] : [];
    }
    return kind === 'DockerHost' ? this.clustersOn(name, cache) : [];
  }

  private clustersOn(host: string, cache: ObjectCache): string[] {
    return cache
      .list('ConsulCluster')
      .filter((r) => membersOf(r.spec).some((m) => m.host === host))
      .map((r) => r.metadata.name);
  }
}
