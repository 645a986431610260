/**
 * Moving a running cluster to a new gossip key. Restarting agents with a new `encrypt` value is not
 * enough: an agent that has a keyring file in its data dir keeps using that keyring and ignores the
 * configured key. So the key changes through Consul's keyring API first (install it on every
 * member, make it the primary, remove the old ones), while every member is alive to receive it;
 * the agents' config files then follow in the usual one-at-a-time roll.
 */
import { SwarmopError } from '../../errors.js';
import { guardCall } from '../../runtime/fence.js';
import { AGENT_HTTP_PORT, agentBody, agentRequest, type AgentHttpOptions } from '../../consul/agent-http.js';

/** One keyring pool (LAN or WAN) as /v1/operator/keyring lists it. */
export interface KeyringPool {
  wan: boolean;
  /** key -> number of members holding it */
  keys: Record<string, number>;
  numNodes: number;
}

/** True when every pool holds exactly `key` and nothing else (pure). */
export function keyringIsCurrent(pools: readonly KeyringPool[], key: string): boolean {
  return pools.length > 0 && pools.every((p) => Object.keys(p.keys).length === 1 && p.keys[key] !== undefined);
}

/** Keys other than `key` anywhere in the keyring (pure). */
export function staleKeys(pools: readonly KeyringPool[], key: string): string[] {
  return [...new Set(pools.flatMap((p) => Object.keys(p.keys)))].filter((k) => k !== key);
}

async function keyringCall(address: string, method: string, o: AgentHttpOptions, key?: string): Promise<unknown> {
  const signal = guardCall(
    o.fence,
    method,
    `consul agent ${address}: ${method} /v1/operator/keyring`,
    AbortSignal.timeout(o.timeoutMs ?? 10_000),
  );
  // Through agentRequest: HTTPS with the client certificate on a TLS cluster (the token never in clear).
  const res = await agentRequest(address, o.port ?? AGENT_HTTP_PORT, '/v1/operator/keyring', {
    method,
    signal,
    headers: { ...(o.token ? { 'X-Consul-Token': o.token } : {}), ...(key ? { 'Content-Type': 'application/json' } : {}) },
    ...(key ? { body: JSON.stringify({ Key: key }) } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
  }).catch((err: Error) => {
    throw new SwarmopError('Unavailable', `consul agent ${address}: ${method} /v1/operator/keyring failed: ${err.message}`, { cause: err });
  });
  const text = await agentBody(address, res, o);
  if (!res.ok) {
    // Consul's messages do not echo keys; redacted anyway, as this text reaches logs and events.
    const said = key ? text.split(key).join('<redacted>') : text;
    throw new SwarmopError(
      'Unavailable',
      `consul agent ${address}: ${method} /v1/operator/keyring: HTTP ${res.status} ${said.trim().slice(0, 200)}`,
    );
  }
  return text ? (JSON.parse(text) as unknown) : null;
}

export async function readKeyring(address: string, o: AgentHttpOptions): Promise<KeyringPool[]> {
  const raw = (await keyringCall(address, 'GET', o)) as { WAN: boolean; Keys: Record<string, number>; NumNodes: number }[] | null;
  return (raw ?? []).map((p) => ({ wan: p.WAN, keys: p.Keys ?? {}, numNodes: p.NumNodes }));
}

/** Install `key` on every member, make it primary, remove the others; returns how many were removed. */
export async function rotateGossipKey(address: string, key: string, stale: readonly string[], o: AgentHttpOptions): Promise<number> {
  await keyringCall(address, 'POST', o, key);
  await keyringCall(address, 'PUT', o, key);
  for (const k of stale) await keyringCall(address, 'DELETE', o, k);
  return stale.length;
}
