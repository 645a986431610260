/**
 * The few calls the controller makes to each agent's own HTTP API (:8500, or HTTPS with a client
 * certificate when the cluster runs TLS), with short timeouts: an agent that does not answer
 * quickly is treated as not answering, never waited for.
 */
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { SwarmopError } from '../errors.js';
import { guardCall, type Fence } from '../runtime/fence.js';
import {
  serfStatus,
  type AgentView,
  type AutopilotServer,
  type RaftServer,
  type SerfMember,
  type WanMember,
  type WanView,
} from './agent-model.js';
import { engineText } from '../docker/engine-message.js';
import { readBoundedText } from '../runtime/output-limits.js';

export const AGENT_HTTP_PORT = 8500;
/** The agents' HTTPS port when a cluster runs TLS. */
export const AGENT_HTTPS_PORT = 8501;

/**
 * The most of one agent answer that is read: an agent's address comes from a document, and what
 * answers there may send without end. `/v1/agent/members` of a few thousand nodes is a few MB.
 */
export const AGENT_RESPONSE_LIMIT_BYTES = 16 * 1024 * 1024;

export interface AgentHttpOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Port of the agents' HTTP API (8500). */
  port?: number;
  /** ACL token sent on every call (X-Consul-Token); never logged. */
  token?: string;
  /** Sent instead of `token` on the agent's own endpoints (members, join, leave): see agentTokens. */
  localToken?: string;
  /** Calls that change an agent (join, leave, force-leave, raft, keyring, tokens) pass it (leader election). */
  fence?: Fence;
  /** Read at most this much of an answer (default AGENT_RESPONSE_LIMIT_BYTES); more fails the call. */
  maxResponseBytes?: number;
  /** HTTPS: the CA the agents' certificates chain to and the client certificate they ask for. */
  tls?: AgentTls;
}

/** PEM texts. The agent's certificate must name the address it is called at (an IP SAN). */
export interface AgentTls {
  ca: string;
  cert: string;
  key: string;
}

/** One keep-alive pool per TLS identity (the reconciler keeps one object per cluster and material). */
const httpsAgents = new WeakMap<AgentTls, HttpsAgent>();

function httpsAgentFor(tls: AgentTls): HttpsAgent {
  let a = httpsAgents.get(tls);
  if (!a) {
    a = new HttpsAgent({ ca: tls.ca, cert: tls.cert, key: tls.key, keepAlive: true, maxSockets: 8 });
    httpsAgents.set(tls, a);
  }
  return a;
}

/** Statuses whose Response may not carry a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** fetch() over node's https with the client certificate (fetch has no client-certificate option). */
function httpsFetch(
  u: string,
  method: string,
  signal: AbortSignal,
  headers: Record<string, string>,
  tls: AgentTls,
  body?: string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(u, { method, headers, agent: httpsAgentFor(tls), signal }, (res) => {
      const status = res.statusCode ?? 502;
      if (NULL_BODY.has(status)) {
        res.resume();
        resolve(new Response(null, { status }));
      } else resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status }));
    });
    // As fetch does: an aborted call fails with the signal's reason (a TimeoutError on timeout).
    req.on('error', (err) => reject(signal.aborted ? (signal.reason as Error) : err));
    req.end(body);
  });
}

/**
 * One request to an agent's HTTP API: plain HTTP, or HTTPS with the cluster's CA and the
 * operator's client certificate when `tls` is given. Other edges that call agents (the service
 * registration) use it so they follow the cluster's TLS setting the same way.
 */
export function agentRequest(
  address: string,
  port: number,
  path: string,
  o: { method: string; headers: Record<string, string>; signal: AbortSignal; body?: string; tls?: AgentTls },
): Promise<Response> {
  const u = url(address, path, port, o.tls !== undefined);
  return o.tls
    ? httpsFetch(u, o.method, o.signal, o.headers, o.tls, o.body)
    : fetch(u, { method: o.method, headers: o.headers, signal: o.signal, ...(o.body !== undefined ? { body: o.body } : {}) });
}

/** An agent's answer, read up to the cap (OutputLimitError past it). */
export function agentBody(address: string, res: Response, o: Pick<AgentHttpOptions, 'maxResponseBytes'>): Promise<string> {
  return readBoundedText(res, o.maxResponseBytes ?? AGENT_RESPONSE_LIMIT_BYTES, `consul agent ${address}: answer`);
}

function url(address: string, path: string, port: number, secure: boolean): string {
  return `${secure ? 'https' : 'http'}://${address}:${port}${path}`;
}

function signalFor(o: AgentHttpOptions): AbortSignal {
  const t = AbortSignal.timeout(o.timeoutMs ?? 1500);
  return o.signal ? AbortSignal.any([t, o.signal]) : t;
}

/** The agent answers these itself; the others go to the servers. */
function tokenFor(path: string, o: AgentHttpOptions): string | undefined {
  return path.startsWith('/v1/agent/') && !path.startsWith('/v1/agent/force-leave/') ? (o.localToken ?? o.token) : o.token;
}

async function call(address: string, path: string, o: AgentHttpOptions, method = 'GET'): Promise<unknown> {
  let res: Response;
  const token = tokenFor(path, o);
  const signal = guardCall(o.fence, method, `consul agent ${address}: ${method} ${path}`, signalFor(o));
  try {
    const headers: Record<string, string> = token ? { 'X-Consul-Token': token } : {};
    const u = url(address, path, o.port ?? AGENT_HTTP_PORT, o.tls !== undefined);
    res = o.tls ? await httpsFetch(u, method, signal, headers, o.tls) : await fetch(u, { method, signal, headers });
  } catch (err) {
    // A timeout is told apart: the agent may still be doing what was asked (a join does).
    const code = (err as Error).name === 'TimeoutError' ? 'Timeout' : 'Unavailable';
    throw new SwarmopError(code, `consul agent ${address}: ${method} ${path} failed: ${(err as Error).message}`, { cause: err });
  }
  const body = await agentBody(address, res, o);
  if (!res.ok) {
    throw new SwarmopError(
      res.status === 403 ? 'Forbidden' : 'Unavailable',
      `consul agent ${address}: ${method} ${path}: HTTP ${res.status} ${engineText(body, 200)}`,
    );
  }
  return body ? (JSON.parse(body) as unknown) : null;
}

interface RawMember {
  Name: string;
  Addr: string;
  Port?: number;
  Status: number;
  Tags?: Record<string, string>;
}

interface RawHealth {
  Servers?: { Name: string; Healthy: boolean; Voter: boolean }[];
}

interface RawRaft {
  Servers?: { ID: string; Node: string; Address: string; Leader: boolean; Voter: boolean }[];
}

/**
 * One agent's view from what it answers itself; never throws: an agent that does not answer gives
 * `reachable: false`. Autopilot's health is not part of it (see readAutopilotHealth).
 */
export async function readAgentView(address: string, o: AgentHttpOptions = {}): Promise<AgentView> {
  const [leader, members, raft] = await Promise.allSettled([
    call(address, '/v1/status/leader', o),
    call(address, '/v1/agent/members', o),
    // ?stale: a follower answers from its own copy, so this works without a leader too.
    call(address, '/v1/operator/raft/configuration?stale', o),
  ]);
  if (members.status === 'rejected') {
    const denied = (members.reason as { code?: string }).code === 'Forbidden';
    return { address, reachable: false, leader: '', members: [], raft: [], ...(denied ? { denied } : {}) };
  }
  const list: SerfMember[] = ((members.value as RawMember[] | null) ?? []).map((m) => ({
    name: m.Name,
    address: m.Addr,
    status: serfStatus(m.Status),
    role: m.Tags?.role === 'consul' ? 'server' : 'client',
  }));
  const servers: RaftServer[] =
    raft.status === 'fulfilled'
      ? ((raft.value as RawRaft | null)?.Servers ?? []).map((s) => ({
          id: s.ID,
          node: s.Node,
          address: s.Address,
          leader: s.Leader,
          voter: s.Voter,
        }))
      : [];
  const raftDenied = raft.status === 'rejected' && (raft.reason as { code?: string }).code === 'Forbidden';
  return {
    address,
    reachable: true,
    leader: leader.status === 'fulfilled' && typeof leader.value === 'string' ? leader.value : '',
    members: list,
    raft: servers,
    ...(raftDenied ? { raftDenied } : {}),
  };
}

/**
 * Autopilot's verdict on each server. Every agent forwards this to the leader, so it is asked of one
 * agent only: a server cut off from the leader would hold the caller until its timeout.
 * Undefined when it does not answer.
 */
export async function readAutopilotHealth(address: string, o: AgentHttpOptions = {}): Promise<AutopilotServer[] | undefined> {
  try {
    return (((await call(address, '/v1/operator/autopilot/health', o)) as RawHealth | null)?.Servers ?? []).map((x) => ({
      name: x.Name,
      healthy: x.Healthy,
      voter: x.Voter,
    }));
  } catch {
    return undefined;
  }
}

/** The serf member list as the agent at `address` sees it (throws when it does not answer). */
export async function readMembers(address: string, o: AgentHttpOptions = {}): Promise<SerfMember[]> {
  return (((await call(address, '/v1/agent/members', o)) as RawMember[] | null) ?? []).map((m) => ({
    name: m.Name,
    address: m.Addr,
    status: serfStatus(m.Status),
    role: m.Tags?.role === 'consul' ? 'server' : 'client',
  }));
}

/**
 * How long a LAN join is waited for. A join answers in milliseconds when the target is reachable;
 * while a partition drops its packets the agent's TCP connect hangs (up to 10 s) and a join sent
 * before the heal only lands at the next SYN retransmission (1 s, 3 s, 7 s after it). Giving up
 * early lets the next try go out on a fresh connection right after the heal; the agent finishes
 * an abandoned join on its own, so giving up never undoes one.
 */
export const LAN_JOIN_WAIT_MS = 750;
/** A WAN join may cross slow links: it is waited for longer. */
export const WAN_JOIN_WAIT_MS = 5000;

/** PUT /v1/agent/join/<target> on the agent at `via`; `wan`: join the WAN pool (`consul join -wan`, target's :8302). */
export async function joinVia(via: string, target: string, o: AgentHttpOptions = {}, wan = false): Promise<void> {
  await call(
    via,
    `/v1/agent/join/${encodeURIComponent(target)}${wan ? '?wan=1' : ''}`,
    { ...o, timeoutMs: wan ? WAN_JOIN_WAIT_MS : LAN_JOIN_WAIT_MS },
    'PUT',
  );
}

/**
 * A server's view of the WAN pool (/v1/agent/members?wan=1) and the datacenters it knows
 * (/v1/catalog/datacenters); never throws: a server that does not answer gives `reachable: false`.
 */
export async function readWanView(address: string, o: AgentHttpOptions = {}): Promise<WanView> {
  const [members, datacenters] = await Promise.allSettled([readWanMembers(address, o), call(address, '/v1/catalog/datacenters', o)]);
  if (members.status === 'rejected') return { address, reachable: false, members: [] };
  const dcs =
    datacenters.status === 'fulfilled' && Array.isArray(datacenters.value)
      ? (datacenters.value as unknown[]).filter((d): d is string => typeof d === 'string')
      : undefined;
  return { address, reachable: true, members: members.value, ...(dcs ? { datacenters: dcs } : {}) };
}

/** The WAN pool as the server at `address` sees it (throws when it does not answer). */
export async function readWanMembers(address: string, o: AgentHttpOptions = {}): Promise<WanMember[]> {
  return (((await call(address, '/v1/agent/members?wan=1', o)) as RawMember[] | null) ?? []).map((m) => ({
    name: m.Name,
    datacenter: m.Tags?.dc ?? m.Name.slice(m.Name.lastIndexOf('.') + 1),
    address: m.Port ? `${m.Addr}:${m.Port}` : m.Addr,
    status: serfStatus(m.Status),
  }));
}

/** PUT /v1/agent/leave: graceful leave; the agent shuts down afterwards. */
export async function leave(address: string, o: AgentHttpOptions = {}): Promise<void> {
  // A server's graceful leave takes ~13 s (raft removal, then serf leave propagation).
  await call(address, '/v1/agent/leave', { ...o, timeoutMs: 45_000 }, 'PUT');
}

/** PUT /v1/agent/force-leave/<node> on the agent at `via`. */
export async function forceLeave(via: string, node: string, o: AgentHttpOptions = {}): Promise<void> {
  await call(via, `/v1/agent/force-leave/${encodeURIComponent(node)}`, { ...o, timeoutMs: 15_000 }, 'PUT');
}

/** DELETE /v1/operator/raft/peer?id=<id> (forwarded to the leader by the agent). */
export async function removeRaftPeer(via: string, id: string, o: AgentHttpOptions = {}): Promise<void> {
  await call(via, `/v1/operator/raft/peer?id=${encodeURIComponent(id)}`, { ...o, timeoutMs: 10_000 }, 'DELETE');
}
