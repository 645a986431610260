/**
 * Registration of an attachment's Consul service, run after the network step of each reconcile:
 * looks at what the agent on the attachment's host has, registers when that differs from the
 * desired registration (registration.ts), deregisters where it no longer belongs, and
 * reports the `ServiceRegistered` condition and `status.service`. Ready stays the network's.
 */
import type { ConsulServiceStatus, ServiceHealth } from '../../../crds/index.js';
import { AGENT_HTTP_PORT, AGENT_HTTPS_PORT } from '../../../consul/agent-http.js';
import { clusterCredentials, type ClusterCredentials, type ClusterTokenReader } from '../../consul-credentials.js';
import type { ConditionInput, KindReconcileContext, ReconcileOutcome } from '../../kind-reconciler.js';
import type { AttachmentObserved } from '../status.js';
import type { ServiceAgent } from './agent.js';
import { type AgentTarget, agentOfNode, agentOnHost, desiredRegistration, diffRegistration, serviceIdFor } from './registration.js';
import { goDurationMs } from '../../../go-duration.js';
import type { AttachmentResource } from '../desired.js';

export const SERVICE_CONDITION = 'ServiceRegistered';

export interface ServiceStepOptions {
  agent: ServiceAgent;
  /** Reads a ConsulCluster's ACL token from the store's KV. */
  readSecret?: (kvKey: string) => Promise<string | undefined>;
  /** Reads the operator token a ConsulCluster with ACLs was given (its registrations use it). */
  clusterToken?: ClusterTokenReader;
  /** Look at a registered service again after this long (ms): a hand deregistration is repaired within it. Default 10 000. */
  recheckMs?: number;
}

export interface ServiceStepResult {
  service?: ConsulServiceStatus;
  condition?: ConditionInput;
  requeueAfter?: number;
}

const cond = (status: ConditionInput['status'], reason: string, message: string): ConditionInput => ({
  type: SERVICE_CONDITION,
  status,
  reason,
  message,
});
const agentAddress = (t: AgentTarget, secure: boolean): string => `${t.address}:${secure ? AGENT_HTTPS_PORT : AGENT_HTTP_PORT}`;

/**
 * Where the registration recorded in status lives, found again from the specs: status names the
 * ConsulCluster and the member's node, and the member's address comes from the ConsulCluster and
 * DockerHost specs, never from status (whose key anyone who can write the prefix can write).
 * Undefined when no spec has that member any more (its agent went with it).
 */
function previousAgent(prev: ConsulServiceStatus | undefined, ctx: KindReconcileContext): AgentTarget | undefined {
  if (!prev) return undefined;
  return agentOfNode(prev.consulCluster, ctx.cache.get('ConsulCluster', prev.consulCluster), prev.agent, (h) =>
    ctx.cache.get('DockerHost', h),
  );
}

export class ServiceRegistrationStep {
  private readonly agent: ServiceAgent;
  private readonly readSecret: ((kvKey: string) => Promise<string | undefined>) | undefined;
  private readonly recheckMs: number;
  private readonly clusterToken: ClusterTokenReader | undefined;

  constructor(options: ServiceStepOptions) {
    this.agent = options.agent;
    this.readSecret = options.readSecret;
    this.clusterToken = options.clusterToken;
    this.recheckMs = options.recheckMs ?? 10_000;
  }

  async reconcile(
    res: AttachmentResource,
    net: ReconcileOutcome<AttachmentObserved>,
    ctx: KindReconcileContext,
  ): Promise<ServiceStepResult> {
    const want = res.spec.service;
    // The service ID is the attachment's name (never status's serviceID), the old agent is found from the specs.
    const id = serviceIdFor(res.metadata.name);
    const prev = previousAgent(res.status?.service, ctx);
    if (!want) {
      if (prev) {
        await this.agent.deregister(prev.address, id, { ...(await this.credentialsOf(prev.consulCluster, ctx)), signal: ctx.signal });
        await ctx.event('Normal', 'ServiceDeregistered', `deregistered service ${id} from agent ${prev.node} (service block removed)`);
      }
      return {};
    }
    const ready = net.conditions.find((c) => c.type === 'Ready');
    if (ready?.reason === 'AddressConflict')
      return { condition: cond('False', 'AddressConflict', 'not registered: another attachment claims the address') };

    const lookup = agentOnHost(
      want.consulCluster,
      ctx.cache.get('ConsulCluster', want.consulCluster),
      res.spec.host,
      ctx.cache.get('DockerHost', res.spec.host),
    );
    if ('blocked' in lookup)
      return { condition: cond('False', lookup.blocked.reason, lookup.blocked.message), requeueAfter: this.recheckMs };
    const target = lookup.target;
    const ip = res.spec.address.split('/')[0]!;
    const reg = desiredRegistration(res.metadata.name, want, ip);
    const samePlace = prev !== undefined && prev.address === target.address && prev.consulCluster === target.consulCluster;
    const secure = ctx.cache.get('ConsulCluster', target.consulCluster)?.spec.tls?.enabled === true;

    try {
      const call = { ...(await this.credentialsOf(want.consulCluster, ctx)), signal: ctx.signal };
      if (prev && !samePlace) {
        // Moved to another agent (host or cluster changed): the old node must not keep answering for it.
        await this.agent.deregister(prev.address, id, { ...(await this.credentialsOf(prev.consulCluster, ctx)), signal: ctx.signal });
        await ctx.event('Normal', 'ServiceDeregistered', `deregistered service ${id} from agent ${prev.node} (moved to ${target.node})`);
      }
      let seen = await this.agent.read(target.address, reg.ID, call);
      const diff = diffRegistration(reg, seen, target.node);
      if (diff.register) {
        await this.agent.register(target.address, reg, call);
        const action = `registered ${reg.Name} at ${ip}${reg.Port ? `:${reg.Port}` : ''} on agent ${target.node}`;
        const prevCond = res.status?.conditions?.find((c) => c.type === SERVICE_CONDITION);
        if (!samePlace || prevCond?.status !== 'True') {
          await ctx.event('Normal', 'ServiceRegistered', `${action} of ConsulCluster ${target.consulCluster}`);
        } else if (prevCond.observedGeneration !== undefined && prevCond.observedGeneration !== res.metadata.generation) {
          await ctx.event('Normal', 'ServiceUpdated', `${action}: ${diff.found}`);
        } else {
          await ctx.repaired({ reason: diff.reason, found: diff.found, action, host: res.spec.host });
        }
        seen = await this.agent.read(target.address, reg.ID, call);
      }
      const health: ServiceHealth = seen?.health ?? 'unregistered';
      const service: ConsulServiceStatus = {
        serviceID: reg.ID,
        agent: target.node,
        agentAddress: agentAddress(target, secure),
        consulCluster: target.consulCluster,
        health,
      };
      const where = `${reg.Name}.service.${target.datacenter}.consul on agent ${target.node}`;
      return {
        service,
        condition: seen ? cond('True', 'Registered', `${where}, ${health}`) : cond('False', 'NotRegistered', `${where} did not stick`),
        requeueAfter: this.nextLook(want.check?.interval, ready?.status === 'True', health),
      };
    } catch (err) {
      // Keep pointing at where it was registered so a later pass (or delete) still finds it.
      const kept: ConsulServiceStatus | undefined = prev
        ? {
            serviceID: id,
            agent: prev.node,
            agentAddress: agentAddress(prev, ctx.cache.get('ConsulCluster', prev.consulCluster)?.spec.tls?.enabled === true),
            consulCluster: prev.consulCluster,
            health: res.status?.service?.health ?? 'unregistered',
          }
        : undefined;
      return {
        ...(kept ? { service: kept } : {}),
        condition: cond('False', 'AgentUnavailable', (err as Error).message),
        requeueAfter: this.recheckMs,
      };
    }
  }

  /** Removes the registration wherever it is (desired agent and, if different, the one status names), at addresses from the specs. */
  async finalize(res: AttachmentResource, ctx: KindReconcileContext): Promise<void> {
    const id = serviceIdFor(res.metadata.name);
    const places = new Map<string, { cluster: string; node: string }>();
    const prev = previousAgent(res.status?.service, ctx);
    if (prev) places.set(prev.address, { cluster: prev.consulCluster, node: prev.node });
    const want = res.spec.service;
    if (want) {
      const lookup = agentOnHost(
        want.consulCluster,
        ctx.cache.get('ConsulCluster', want.consulCluster),
        res.spec.host,
        ctx.cache.get('DockerHost', res.spec.host),
      );
      if ('target' in lookup) places.set(lookup.target.address, { cluster: want.consulCluster, node: lookup.target.node });
    }
    for (const [addr, p] of places) {
      await this.agent.deregister(addr, id, { ...(await this.credentialsOf(p.cluster, ctx)), signal: ctx.signal });
      await ctx.event('Normal', 'ServiceDeregistered', `deregistered service ${id} from agent ${p.node}`);
    }
  }

  /** Health moves only when the agent runs the check: look again one interval after it should have. */
  private nextLook(interval: string | undefined, containerUp: boolean, health: ServiceHealth): number {
    const expected = containerUp ? 'passing' : 'critical';
    const ms = interval !== undefined ? goDurationMs(interval) : undefined;
    if (ms !== undefined && health !== expected) return Math.max(500, Math.min(this.recheckMs, Math.round(ms) + 500));
    return this.recheckMs;
  }

  private credentialsOf(clusterName: string, ctx: KindReconcileContext): Promise<ClusterCredentials> {
    return clusterCredentials(clusterName, ctx.cache.get('ConsulCluster', clusterName)?.spec, this.readSecret, {
      job: 'operator',
      clusterToken: this.clusterToken,
    });
  }
}
