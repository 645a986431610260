/**
 * The SwarmCluster's line in the adoption report: the reconciler's policy check, desiredSwarm,
 * observeSwarm and planSwarm (one pass, as its first), with every engine behind a SwarmApi that
 * can only read (info, inspect, node ls): init, join, leave, node update and remove are refused
 * before any call. What it says a node would do (leave and re-join, a role or availability set
 * back to the list) is what the first pass of `apply`'s reconcile does.
 */
import type { SwarmCluster } from '../../crds/swarm-cluster.js';
import { SwarmopError } from '../../errors.js';
import type { AdoptionFinding } from '../adoption-finding.js';
import type { HostHandle, Hosts, ObjectCache } from '../kind-reconciler.js';
import { describeViolations, POLICY_REASON, type TrustPolicy } from '../trust-policy.js';
import { desiredSwarm } from './desired.js';
import type { SwarmCall, SwarmWorld } from './model.js';
import { observeSwarm } from './observe.js';
import { DEFAULT_DOWN_GRACE_MS, DEFAULT_PROMOTION_GRACE_MS, planSwarm } from './plan.js';
import { swarmViolations } from './reconciler.js';
import { swarmStatus } from './status.js';
import { dockerSwarmApi, type SwarmApi } from './swarm-api.js';

export interface SwarmAdoptionContext {
  hosts: Hosts;
  cache: ObjectCache;
  /** The operator's limits the report assumes (join tokens only to TLS or local engines unless allowed). */
  policy: TrustPolicy;
  /** A host's swarm API; default: dockerode through its (read-only) client. Wrapped read-only either way. */
  apiFor?: (host: HostHandle) => SwarmApi;
  infoTimeoutMs?: number;
  now?: () => Date;
}

/** A SwarmApi whose changing calls fail before they reach the engine. */
export function readOnlySwarmApi(api: SwarmApi, host: string): SwarmApi {
  const refuse = (what: string) => (): Promise<never> =>
    Promise.reject(new SwarmopError('Forbidden', `read-only: refused swarm ${what} on ${host} (the adoption dry run changes nothing)`));
  return {
    info: () => api.info(),
    inspect: () => api.inspect(),
    listNodes: () => api.listNodes(),
    init: refuse('init'),
    join: refuse('join'),
    leave: refuse('leave'),
    updateNode: refuse('node update'),
    removeNode: refuse('node rm'),
  };
}

export async function assessSwarmAdoption(res: SwarmCluster, ctx: SwarmAdoptionContext): Promise<AdoptionFinding> {
  const base = { kind: 'SwarmCluster' as const, name: res.metadata.name };
  const refused = swarmViolations(res.spec, ctx.policy, (h) => ctx.cache.get('DockerHost', h));
  if (refused.length > 0)
    return { ...base, verdict: 'blocked', reason: POLICY_REASON, message: describeViolations(refused), found: [], steps: [] };
  const { desired, missingHosts } = desiredSwarm(res.spec, (h) => ctx.hosts.get(h)?.address);
  if (missingHosts.length > 0)
    return {
      ...base,
      verdict: 'blocked',
      reason: 'HostNotFound',
      message: `${missingHosts.join(', ')}: no DockerHost of that name in the manifests`,
      found: [],
      steps: [],
    };

  const apiFor = ctx.apiFor ?? ((h: HostHandle) => dockerSwarmApi(h.docker, h.name));
  const apis = new Map<string, SwarmApi>();
  const apiOf = (host: string): SwarmApi | undefined => {
    const h = ctx.hosts.get(host);
    if (!h) return undefined;
    // A host that did not answer its probe is not asked again (it would only wait out the deadline).
    if (!apis.has(host)) apis.set(host, readOnlySwarmApi(h.ready ? apiFor(h) : unanswered(host), host));
    return apis.get(host);
  };
  const world = await observeSwarm(desired, apiOf, { infoTimeoutMs: ctx.infoTimeoutMs ?? 5000 });
  const now = (ctx.now ?? (() => new Date()))().getTime();
  const plan = planSwarm(desired, world, { now, downGraceMs: DEFAULT_DOWN_GRACE_MS, promotionGraceMs: DEFAULT_PROMOTION_GRACE_MS });
  const status = swarmStatus(desired, world, plan.blockers);
  const found = [...worldFacts(world), ...plan.blockers.map((b) => `${b.reason}: ${b.message}`)];
  const ready = status.conditions.find((c) => c.type === 'Ready')!;

  const blocking = plan.blockers.find((b) => b.severity === 'blocking');
  const unreachable = plan.blockers.filter((b) => b.reason === 'HostUnreachable');
  // Without a swarm seen through a manager, what blocks may be only what could not be seen.
  if (blocking && (unreachable.length === 0 || world.cluster.kind !== 'none'))
    return { ...base, verdict: 'blocked', reason: blocking.reason, message: blocking.message, found, steps: [] };
  if (unreachable.length > 0)
    return {
      ...base,
      verdict: 'unreachable',
      reason: 'HostUnreachable',
      message: unreachable.map((b) => b.message).join('; '),
      found,
      steps: [],
    };
  if (plan.steps.length > 0) {
    const steps = plan.steps.map((s) => `${s.host}: ${s.calls.map(describeCall).join(', then ')} (${s.cause.reason}: ${s.cause.found})`);
    if (plan.steps.some((s) => s.calls.some((c) => c.op === 'init')))
      steps.push("then join the other listed nodes (planned by the controller's next pass, once the swarm exists)");
    return { ...base, verdict: 'would-change', found, steps };
  }
  if (status.ready) return { ...base, verdict: 'adopt-as-is', found: [ready.message, ...found], steps: [] };
  return { ...base, verdict: 'blocked', reason: ready.reason, message: ready.message, found, steps: [] };
}

function unanswered(host: string): SwarmApi {
  const fail = (): Promise<never> => Promise.reject(new SwarmopError('Unavailable', `DockerHost ${host} did not answer its probe`));
  return { info: fail, inspect: fail, listNodes: fail, init: fail, join: fail, leave: fail, updateNode: fail, removeNode: fail };
}

function worldFacts(world: SwarmWorld): string[] {
  const out: string[] = [];
  for (const e of world.engines.values()) {
    if (!e.reachable) out.push(`${e.host}: engine not answering (${e.error})`);
    else {
      const s = e.swarm;
      out.push(
        `${e.host}: swarm ${s.localNodeState}${s.controlAvailable ? ' (manager)' : ''}${s.nodeID ? `, node ${s.nodeID.slice(0, 12)}` : ''}${s.clusterID ? `, swarm ${s.clusterID.slice(0, 12)}` : ''}`,
      );
    }
  }
  const c = world.cluster;
  if (c.kind === 'ok') {
    const nodes = c.nodes.map((n) => `${n.hostname} ${n.role}${n.leader ? ' (leader)' : ''} ${n.state} ${n.availability}`);
    out.push(`swarm ${c.clusterID.slice(0, 12)} seen through ${c.managerHost}: ${nodes.join('; ')}`);
  } else if (c.kind === 'none') out.push('no listed manager is in a swarm');
  return out;
}

/** One engine call of a plan step, as the report says it. */
export function describeCall(c: SwarmCall): string {
  switch (c.op) {
    case 'init':
      return `docker swarm init --advertise-addr ${c.advertise}${c.forceNewCluster ? ' --force-new-cluster' : ''} on ${c.host}`;
    case 'leave':
      return `leave its swarm (its tasks are rescheduled)`;
    case 'join':
      return `join as ${c.role} advertising ${c.advertise}`;
    case 'set-role':
      return `set node ${c.nodeID.slice(0, 12)} role ${c.role}`;
    case 'set-availability':
      return `set node ${c.nodeID.slice(0, 12)} availability ${c.availability}`;
    case 'remove-node':
      return `remove node ${c.nodeID.slice(0, 12)}${c.force ? ' with force' : ''}`;
  }
}
