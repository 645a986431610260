/**
 * Registration of an attachment's Consul service, run after the network step of each reconcile:
 * looks at what the agent on the attachment's host has, registers when that differs from the
 * desired registration (service-registration.ts), deregisters where it no longer belongs, and
 * reports the `ServiceRegistered` condition and `status.service`. Ready stays the network's.
 */
import type { ConsulServiceStatus, ServiceHealth } from '../../crds/index.js';
import { AGENT_HTTP_PORT } from '../consulcluster/agent-http.js';
import type { ConditionInput, KindReconcileContext, ReconcileOutcome } from '../kind-reconciler.js';
import type { AttachmentObserved } from './status.js';
import type { ServiceAgent } from './service-agent.js';
import { type AgentTarget, agentOnHost, desiredRegistration, diffRegistration } from './service-registration.js';
import { goDurationMs } from '../../go-duration.js';
import type { AttachmentResource } from './spec.js';

export const SERVICE_CONDITION = 'ServiceRegistered';

export interface ServiceStepOptions {
  agent: ServiceAgent;
  /** Reads a ConsulCluster's ACL token from the store's KV. */
  readSecret?: (kvKey: string) => Promise<string | undefined>;
  /** Look at a registered service again after this long (ms): a hand deregistration is repaired within it. Default 10 000. */
  recheckMs?: number;
}

export interface ServiceStepResult {
  service?: ConsulServiceStatus;
  condition?: ConditionInput;
  requeueAfter?: number;
}

const cond = (status: ConditionInput['status'], reason: string, message: string): ConditionInput => ({ type: SERVICE_CONDITION, status, reason, message });
const agentAddress = (t: AgentTarget): string => `${t.address}:${AGENT_HTTP_PORT}`;
const hostOf = (agentAddr: string): string => agentAddr.replace(/:\d+$/, '');

export class ServiceRegistrationStep {
  private readonly agent: ServiceAgent;
  private readonly readSecret: ((kvKey: string) => Promise<string | undefined>) | undefined;
  private readonly recheckMs: number;

  constructor(options: ServiceStepOptions) {
    this.agent = options.agent;
    this.readSecret = options.readSecret;
    this.recheckMs = options.recheckMs ?? 10_000;
  }

  async reconcile(res: AttachmentResource, net: ReconcileOutcome<AttachmentObserved>, ctx: KindReconcileContext): Promise<ServiceStepResult> {
    const want = res.spec.service;
    const prev = res.status?.service;
    if (!want) {
      if (prev) {
        await this.agent.deregister(hostOf(prev.agentAddress), prev.serviceID, { ...(await this.tokenOf(prev.consulCluster, ctx)), signal: ctx.signal });
        await ctx.event('Normal', 'ServiceDeregistered', `deregistered service ${prev.serviceID} from agent ${prev.agent} (service block removed)`);
      }
      return {};
    }
    const ready = net.conditions.find((c) => c.type === 'Ready');
    if (ready?.reason === 'AddressConflict') return { condition: cond('False', 'AddressConflict', 'not registered: another attachment claims the address') };

    const lookup = agentOnHost(want.consulCluster, ctx.cache.get('ConsulCluster', want.consulCluster), res.spec.host, ctx.cache.get('DockerHost', res.spec.host));
    if ('blocked' in lookup) return { condition: cond('False', lookup.blocked.reason, lookup.blocked.message), requeueAfter: this.recheckMs };
    const target = lookup.target;
    const token = await this.tokenOf(want.consulCluster, ctx);
    const call = { ...token, signal: ctx.signal };
    const ip = res.spec.address.split('/')[0]!;
    const reg = desiredRegistration(res.metadata.name, want, ip);

    try {
      if (prev && (prev.agentAddress !== agentAddress(target) || prev.serviceID !== reg.ID)) {
        // Moved to another agent (host or cluster changed): the old node must not keep answering for it.
        await this.agent.deregister(hostOf(prev.agentAddress), prev.serviceID, { ...(await this.tokenOf(prev.consulCluster, ctx)), signal: ctx.signal });
        await ctx.event('Normal', 'ServiceDeregistered', `deregistered service ${prev.serviceID} from agent ${prev.agent} (moved to ${target.node})`);
      }
      let seen = await this.agent.read(target.address, reg.ID, call);
      const diff = diffRegistration(reg, seen, target.node);
      if (diff.register) {
        await this.agent.register(target.address, reg, call);
        const action = `registered ${reg.Name} at ${ip}${reg.Port ? `:${reg.Port}` : ''} on agent ${target.node}`;
        const prevCond = res.status?.conditions?.find((c) => c.type === SERVICE_CONDITION);
        const samePlace = prev !== undefined && prev.agentAddress === agentAddress(target) && prev.serviceID === reg.ID;
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
      const service: ConsulServiceStatus = { serviceID: reg.ID, agent: target.node, agentAddress: agentAddress(target), consulCluster: target.consulCluster, health };
      const where = `${reg.Name}.service.${target.datacenter}.consul on agent ${target.node}`;
      return {
        service,
        condition: seen ? cond('True', 'Registered', `${where}, ${health}`) : cond('False', 'NotRegistered', `${where} did not stick`),
        requeueAfter: this.nextLook(want.check?.interval, ready?.status === 'True', health),
      };
    } catch (err) {
      // Keep pointing at where it was registered so a later pass (or delete) still finds it.
      return {
        ...(prev ? { service: prev } : {}),
        condition: cond('False', 'AgentUnavailable', (err as Error).message),
        requeueAfter: this.recheckMs,
      };
    }
  }

  /** Removes the registration wherever it is (desired agent and, if different, the one in status). */
  async finalize(res: AttachmentResource, ctx: KindReconcileContext): Promise<void> {
    const places = new Map<string, { cluster: string; node: string; id: string }>();
    const prev = res.status?.service;
    if (prev) places.set(prev.agentAddress, { cluster: prev.consulCluster, node: prev.agent, id: prev.serviceID });
    const want = res.spec.service;
    if (want) {
      const lookup = agentOnHost(want.consulCluster, ctx.cache.get('ConsulCluster', want.consulCluster), res.spec.host, ctx.cache.get('DockerHost', res.spec.host));
      if ('target' in lookup) places.set(agentAddress(lookup.target), { cluster: want.consulCluster, node: lookup.target.node, id: res.metadata.name });
    }
    for (const [addr, p] of places) {
      await this.agent.deregister(hostOf(addr), p.id, { ...(await this.tokenOf(p.cluster, ctx)), signal: ctx.signal });
      await ctx.event('Normal', 'ServiceDeregistered', `deregistered service ${p.id} from agent ${p.node}`);
    }
  }

  /** Health moves only when the agent runs the check: look again one interval after it should have. */
  private nextLook(interval: string | undefined, containerUp: boolean, health: ServiceHealth): number {
    const expected = containerUp ? 'passing' : 'critical';
    const ms = interval !== undefined ? goDurationMs(interval) : undefined;
    if (ms !== undefined && health !== expected) return Math.max(500, Math.min(this.recheckMs, Math.round(ms) + 500));
    return this.recheckMs;
  }

  private async tokenOf(clusterName: string, ctx: KindReconcileContext): Promise<{ token?: string }> {
    const key = ctx.cache.get('ConsulCluster', clusterName)?.spec.aclTokenRef?.kvKey;
    if (!key || !this.readSecret) return {};
    const token = await this.readSecret(key);
    return token ? { token } : {};
  }
}
