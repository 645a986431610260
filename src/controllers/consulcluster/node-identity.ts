/**
 * A Consul agent's node identity against the catalog. An agent whose data dir was wiped comes back
 * under its old node name with a new node ID: serf and raft take it (the leader swaps the raft peer
 * with the same address), but the catalog keeps the old ID and refuses the new one for good
 * ("Node name X is reserved by node <old id>"), so the node never shows up healthy in the catalog.
 * `reclaimNodeName` ends that standoff through a server: the stale catalog entry is deregistered
 * and the node registered again under the ID its agent now has.
 */
import { SwarmopError } from '../../errors.js';
import { guardCall } from '../../runtime/fence.js';
import { AGENT_HTTP_PORT, agentBody, agentRequest, type AgentHttpOptions } from '../../consul/agent-http.js';
import { engineText } from '../../docker/engine-message.js';

export interface NodeIdentity {
  /** Node name of the agent. */
  node: string;
  /** The agent's own node ID (from its data dir, or -node-id). */
  nodeID: string;
  /** The ID the catalog holds for that node name; absent when the catalog has no such node. */
  catalogNodeID?: string;
}

async function request(address: string, path: string, o: AgentHttpOptions, method = 'GET', body?: unknown): Promise<unknown> {
  const token = o.token;
  const headers: Record<string, string> = {
    ...(token ? { 'X-Consul-Token': token } : {}),
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
  };
  const timeout = guardCall(o.fence, method, `consul agent ${address}: ${method} ${path}`, AbortSignal.timeout(o.timeoutMs ?? 3000));
  let res: Response;
  try {
    // Through agentRequest: HTTPS with the client certificate on a TLS cluster (the token never in clear).
    res = await agentRequest(address, o.port ?? AGENT_HTTP_PORT, path, {
      method,
      headers,
      signal: o.signal ? AbortSignal.any([timeout, o.signal]) : timeout,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(o.tls ? { tls: o.tls } : {}),
    });
  } catch (err) {
    throw new SwarmopError('Unavailable', `consul agent ${address}: ${method} ${path} failed: ${(err as Error).message}`, { cause: err });
  }
  const text = await agentBody(address, res, o);
  if (!res.ok)
    throw new SwarmopError('Unavailable', `consul agent ${address}: ${method} ${path}: HTTP ${res.status} ${engineText(text, 200)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/** The agent's node name and ID, and the catalog's ID for that name; undefined when it does not answer. */
export async function readNodeIdentity(address: string, o: AgentHttpOptions = {}): Promise<NodeIdentity | undefined> {
  try {
    const self = (await request(address, '/v1/agent/self', o)) as { Config?: { NodeName?: string; NodeID?: string } } | null;
    const node = self?.Config?.NodeName;
    const nodeID = self?.Config?.NodeID;
    if (!node || !nodeID) return undefined;
    // ?stale: answered without a leader too (the catalog is only compared, never trusted for more).
    const cat = (await request(address, `/v1/catalog/node/${encodeURIComponent(node)}?stale`, o)) as { Node?: { ID?: string } } | null;
    const catalogNodeID = cat?.Node?.ID;
    return { node, nodeID, ...(catalogNodeID ? { catalogNodeID } : {}) };
  } catch {
    return undefined;
  }
}

/** Deregisters the catalog's stale entry for `node` and registers it under `nodeID` at `address`, via a server agent. */
export async function reclaimNodeName(via: string, node: string, nodeID: string, address: string, o: AgentHttpOptions = {}): Promise<void> {
  await request(via, '/v1/catalog/deregister', o, 'PUT', { Node: node });
  await request(via, '/v1/catalog/register', o, 'PUT', { Node: node, ID: nodeID, Address: address });
}
