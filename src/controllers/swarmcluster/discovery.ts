/**
 * Classic Swarm's Consul discovery list, kept by the controller: `<path>/docker/swarm/nodes/<ip:port>`
 * = `ip:port` for every ready node. Each key is held by its own session (behavior delete, a TTL the
 * controller renews at every reconcile), so a key whose node is gone disappears even if the
 * operator is gone too. Sessions are found again through the keys themselves (KV `Session`), so no
 * state is kept between reconciles and a restarted operator adopts the keys it wrote before.
 */
import type { KvStore } from '../../store/kv.js';
import type { SwarmNode } from './model.js';
import { hostOfAddr } from './plan.js';
import { discoveryPrefix } from '../swarm-discovery-layout.js';

/** Classic Swarm registered each engine with its Docker API port. */
export const DEFAULT_ENGINE_PORT = 2375;

export { discoveryPrefix };

/** Ready nodes -> key -> value (pure). */
export function desiredDiscoveryKeys(path: string, nodes: readonly SwarmNode[], port = DEFAULT_ENGINE_PORT): Map<string, string> {
  const prefix = discoveryPrefix(path);
  const keys = new Map<string, string>();
  for (const n of nodes) {
    const ip = hostOfAddr(n.address);
    if (n.state !== 'ready' || !ip) continue;
    const entry = `${ip}:${port}`;
    keys.set(`${prefix}${entry}`, entry);
  }
  return keys;
}

export interface DiscoveryChange {
  /** Keys newly written (or re-acquired after their session expired). */
  added: string[];
  removed: string[];
  /** Keys whose session was renewed. */
  kept: string[];
}

export interface SyncOptions {
  kv: KvStore;
  path: string;
  desired: Map<string, string>;
  ttl: string;
  /** Session name prefix, e.g. `swarmop swarmcluster/swarm`. */
  owner: string;
}

export async function syncDiscovery(o: SyncOptions): Promise<DiscoveryChange> {
  const prefix = discoveryPrefix(o.path);
  const { pairs } = await o.kv.list(prefix);
  const existing = new Map(pairs.map((p) => [p.key, p]));
  const change: DiscoveryChange = { added: [], removed: [], kept: [] };

  for (const [key, value] of o.desired) {
    const cur = existing.get(key);
    if (cur?.session && cur.value === value && (await o.kv.renewSession(cur.session))) {
      change.kept.push(key);
      continue;
    }
    const session = await o.kv.createSession({ name: `${o.owner} ${value}`, ttl: o.ttl, lockDelay: '0s', behavior: 'delete' });
    if (!(await o.kv.acquire(key, value, session))) {
      // Held by a live session we did not renew (another writer): take the key over.
      await o.kv.delete(key);
      if (!(await o.kv.acquire(key, value, session))) {
        await o.kv.destroySession(session);
        continue;
      }
    }
    if (cur?.session && cur.session !== session) await o.kv.destroySession(cur.session).catch(() => undefined);
    change.added.push(key);
  }
  for (const [key, pair] of existing) {
    if (o.desired.has(key)) continue;
    await o.kv.delete(key);
    if (pair.session) await o.kv.destroySession(pair.session).catch(() => undefined);
    change.removed.push(key);
  }
  return change;
}

/** Removes the whole list (on delete of the SwarmCluster, or when discovery is switched off). */
export async function clearDiscovery(kv: KvStore, path: string): Promise<number> {
  return (await syncDiscovery({ kv, path, desired: new Map(), ttl: '10s', owner: '' })).removed.length;
}
