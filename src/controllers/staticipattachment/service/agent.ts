/**
 * The edge to a Consul agent's service endpoints (register, deregister, health by service ID),
 * behind an interface so the registration step is tested with a fake. Same port, timeouts and error
 * shape as the ConsulCluster controller's agent calls; the cluster's ACL token rides along as
 * X-Consul-Token and never appears in an error, over HTTPS when the cluster runs TLS.
 */
import { SwarmopError } from '../../../errors.js';
import { guardCall, type Fence } from '../../../runtime/fence.js';
import { AGENT_HTTP_PORT, AGENT_HTTPS_PORT, agentBody, agentRequest, type AgentTls } from '../../../consul/agent-http.js';
import type { ObservedService, Registration } from './registration.js';
import { engineText } from '../../../docker/engine-message.js';

export interface AgentCallOptions {
  token?: string;
  signal?: AbortSignal;
  /** The cluster runs TLS: HTTPS with its CA and the operator's client certificate, on the HTTPS port. */
  tls?: AgentTls;
}

export interface ServiceAgent {
  /** The service as the agent has it, or undefined when it has no such service. */
  read(agent: string, serviceId: string, o?: AgentCallOptions): Promise<ObservedService | undefined>;
  register(agent: string, registration: Registration, o?: AgentCallOptions): Promise<void>;
  /** Deregistering a service the agent does not have is not an error. */
  deregister(agent: string, serviceId: string, o?: AgentCallOptions): Promise<void>;
}

export interface HttpServiceAgentOptions {
  /** Port of the agents' HTTP API (8500). */
  port?: number;
  /** Port of their HTTPS API, for clusters that run TLS (8501). */
  httpsPort?: number;
  timeoutMs?: number;
  /** Registrations and deregistrations pass it (leader election). */
  fence?: Fence;
  /** Read at most this much of an answer (default AGENT_RESPONSE_LIMIT_BYTES); more fails the call. */
  maxResponseBytes?: number;
}

interface RawHealth {
  AggregatedStatus?: string;
  Service?: { ID: string; Service: string; Address?: string; Port?: number; Tags?: string[] | null; Meta?: Record<string, string> | null };
  Checks?: { CheckID: string }[] | null;
}

export class HttpServiceAgent implements ServiceAgent {
  private readonly port: number;
  private readonly httpsPort: number;
  private readonly timeoutMs: number;
  private readonly fence: Fence | undefined;
  private readonly maxResponseBytes: number | undefined;

  constructor(options: HttpServiceAgentOptions = {}) {
    this.port = options.port ?? AGENT_HTTP_PORT;
    this.httpsPort = options.httpsPort ?? AGENT_HTTPS_PORT;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.fence = options.fence;
    this.maxResponseBytes = options.maxResponseBytes;
  }

  async read(agent: string, serviceId: string, o: AgentCallOptions = {}): Promise<ObservedService | undefined> {
    const res = await this.call(agent, 'GET', `/v1/agent/health/service/id/${encodeURIComponent(serviceId)}`, o);
    // 200 passing, 429 warning, 503 critical: each with the service in the body; 404 none.
    if (res.status === 404) return undefined;
    if (![200, 429, 503].includes(res.status)) throw this.failed(agent, 'GET', '/v1/agent/health/service/id', res);
    const raw = JSON.parse(res.body) as RawHealth;
    if (!raw.Service) return undefined;
    const status = raw.AggregatedStatus;
    return {
      name: raw.Service.Service,
      address: raw.Service.Address ?? '',
      port: raw.Service.Port ?? 0,
      tags: raw.Service.Tags ?? [],
      meta: raw.Service.Meta ?? {},
      checkIds: (raw.Checks ?? []).map((c) => c.CheckID),
      health: status === 'passing' || status === 'warning' ? status : 'critical',
    };
  }

  async register(agent: string, registration: Registration, o: AgentCallOptions = {}): Promise<void> {
    const res = await this.call(agent, 'PUT', '/v1/agent/service/register', o, JSON.stringify(registration));
    if (res.status !== 200) throw this.failed(agent, 'PUT', '/v1/agent/service/register', res);
  }

  async deregister(agent: string, serviceId: string, o: AgentCallOptions = {}): Promise<void> {
    const path = `/v1/agent/service/deregister/${encodeURIComponent(serviceId)}`;
    const res = await this.call(agent, 'PUT', path, o);
    // Consul 1.8 answers 404 (older: 500 "Unknown service") for a service it does not have.
    if (res.status === 404 || (res.status === 500 && /unknown service/i.test(res.body))) return;
    if (res.status !== 200) throw this.failed(agent, 'PUT', path, res);
  }

  private async call(
    agent: string,
    method: string,
    path: string,
    o: AgentCallOptions,
    body?: string,
  ): Promise<{ status: number; body: string }> {
    const timeout = guardCall(this.fence, method, `consul agent ${agent}: ${method} ${path}`, AbortSignal.timeout(this.timeoutMs));
    const headers: Record<string, string> = {};
    if (o.token) headers['X-Consul-Token'] = o.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      const res = await agentRequest(agent, o.tls ? this.httpsPort : this.port, path, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(o.tls ? { tls: o.tls } : {}),
        signal: o.signal ? AbortSignal.any([timeout, o.signal]) : timeout,
      });
      return {
        status: res.status,
        body: await agentBody(agent, res, { ...(this.maxResponseBytes === undefined ? {} : { maxResponseBytes: this.maxResponseBytes }) }),
      };
    } catch (err) {
      if (err instanceof SwarmopError) throw err;
      throw new SwarmopError('Unavailable', `consul agent ${agent}: ${method} ${path} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private failed(agent: string, method: string, path: string, res: { status: number; body: string }): SwarmopError {
    return new SwarmopError('Unavailable', `consul agent ${agent}: ${method} ${path}: HTTP ${res.status} ${engineText(res.body, 200)}`);
  }
}
