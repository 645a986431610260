/**
 * The few ACL calls the operator makes to a managed cluster (Consul 1.8+ token and policy API), and
 * the one agent call that hands an agent its token. Plain HTTP or HTTPS like every agent call
 * (agentRequest). A SecretID travels only in request bodies and in the answer of readTokenSecret:
 * error messages carry the path and Consul's answer, never a body that was sent.
 */
import { SwarmopError } from '../errors.js';
import { guardCall } from '../runtime/fence.js';
import { engineText } from '../docker/engine-message.js';
import { AGENT_HTTP_PORT, agentBody, agentRequest, type AgentHttpOptions } from './agent-http.js';

export interface AclPolicy {
  id: string;
  name: string;
  rules: string;
}

export interface AclTokenSummary {
  accessorID: string;
  description: string;
}

export interface NewAclToken {
  accessorID: string;
  secretID: string;
  description: string;
  /** Policies linked by name. */
  policies?: string[];
  nodeIdentity?: { node: string; datacenter: string };
}

async function aclCall(address: string, method: string, path: string, o: AgentHttpOptions, body?: unknown): Promise<unknown> {
  const signal = guardCall(o.fence, method, `consul agent ${address}: ${method} ${path}`, AbortSignal.timeout(o.timeoutMs ?? 5000));
  const headers: Record<string, string> = {
    ...(o.token ? { 'X-Consul-Token': o.token } : {}),
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
  };
  let res: Response;
  try {
    res = await agentRequest(address, o.port ?? AGENT_HTTP_PORT, path, {
      method,
      headers,
      signal: o.signal ? AbortSignal.any([signal, o.signal]) : signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(o.tls ? { tls: o.tls } : {}),
    });
  } catch (err) {
    const code = (err as Error).name === 'TimeoutError' ? 'Timeout' : 'Unavailable';
    throw new SwarmopError(code, `consul agent ${address}: ${method} ${path} failed: ${(err as Error).message}`, { cause: err });
  }
  const text = await agentBody(address, res, o);
  if (res.status === 404) return undefined;
  if (!res.ok)
    throw new SwarmopError(
      res.status === 403 ? 'Forbidden' : 'Unavailable',
      `consul agent ${address}: ${method} ${path}: HTTP ${res.status} ${engineText(text, 200)}`,
    );
  return text ? (JSON.parse(text) as unknown) : null;
}

/**
 * The policy called `name`, or undefined when there is none. Found in the policy list and read by
 * ID: Consul 1.8 answers a read of a missing policy with 403 "ACL not found", which would look like
 * a refused token.
 */
export async function readPolicyByName(address: string, name: string, o: AgentHttpOptions): Promise<AclPolicy | undefined> {
  const list = ((await aclCall(address, 'GET', '/v1/acl/policies', o)) ?? []) as { ID?: string; Name?: string }[];
  const id = list.find((p) => p.Name === name)?.ID;
  if (!id) return undefined;
  const p = (await aclCall(address, 'GET', `/v1/acl/policy/${encodeURIComponent(id)}`, o)) as { Rules?: string } | undefined | null;
  return p ? { id, name, rules: p.Rules ?? '' } : undefined;
}

export async function createPolicy(
  address: string,
  p: Omit<AclPolicy, 'id'> & { description: string },
  o: AgentHttpOptions,
): Promise<string> {
  const made = (await aclCall(address, 'PUT', '/v1/acl/policy', o, { Name: p.name, Description: p.description, Rules: p.rules })) as {
    ID?: string;
  } | null;
  if (!made?.ID) throw new SwarmopError('Unavailable', `consul agent ${address}: PUT /v1/acl/policy: no policy ID in the answer`);
  return made.ID;
}

export async function updatePolicy(address: string, p: AclPolicy & { description: string }, o: AgentHttpOptions): Promise<void> {
  await aclCall(address, 'PUT', `/v1/acl/policy/${encodeURIComponent(p.id)}`, o, {
    ID: p.id,
    Name: p.name,
    Description: p.description,
    Rules: p.rules,
  });
}

/** Every token's accessor and description (no secrets are kept from the answer). */
export async function listTokens(address: string, o: AgentHttpOptions): Promise<AclTokenSummary[]> {
  const list = ((await aclCall(address, 'GET', '/v1/acl/tokens', o)) ?? []) as { AccessorID?: string; Description?: string }[];
  return list.filter((t) => t.AccessorID).map((t) => ({ accessorID: t.AccessorID!, description: t.Description ?? '' }));
}

/** The SecretID of an existing token (needs acl:write), undefined when it does not exist. */
export async function readTokenSecret(address: string, accessorID: string, o: AgentHttpOptions): Promise<string | undefined> {
  const t = (await aclCall(address, 'GET', `/v1/acl/token/${encodeURIComponent(accessorID)}`, o)) as { SecretID?: string } | undefined;
  return t?.SecretID;
}

/** Creates a token with the accessor and secret the caller chose (Consul 1.5+), so the caller can record them first. */
export async function createToken(address: string, t: NewAclToken, o: AgentHttpOptions): Promise<void> {
  await aclCall(address, 'PUT', '/v1/acl/token', o, {
    AccessorID: t.accessorID,
    SecretID: t.secretID,
    Description: t.description,
    ...(t.policies ? { Policies: t.policies.map((Name) => ({ Name })) } : {}),
    ...(t.nodeIdentity ? { NodeIdentities: [{ NodeName: t.nodeIdentity.node, Datacenter: t.nodeIdentity.datacenter }] } : {}),
  });
}

/** PUT /v1/agent/token/agent on the agent at `address`: the token it uses for its own node (needs acl:write). */
export async function setAgentToken(address: string, secretID: string, o: AgentHttpOptions): Promise<void> {
  const done = await aclCall(address, 'PUT', '/v1/agent/token/agent', o, { Token: secretID });
  if (done === undefined) throw new SwarmopError('Unavailable', `consul agent ${address}: PUT /v1/agent/token/agent: not found`);
}

/** The accessor ID of the token the call carries (GET /v1/acl/token/self). */
export async function readSelfAccessor(address: string, o: AgentHttpOptions): Promise<string | undefined> {
  const t = (await aclCall(address, 'GET', '/v1/acl/token/self', o)) as { AccessorID?: string } | undefined;
  return t?.AccessorID;
}
