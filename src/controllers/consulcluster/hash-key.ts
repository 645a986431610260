/**
 * The per-cluster key of the config-hash HMAC: 32 random bytes made once and kept in the store,
 * where the secrets are. Anyone who reads a container's labels through the Docker API but cannot
 * read the store learns nothing about the gossip key, tokens or certificates from the label.
 */
import { randomBytes } from 'node:crypto';
import { SwarmopError } from '../../errors.js';
import type { KvStore } from '../../store/kv.js';

export function storeHashKey(kv: Pick<KvStore, 'get' | 'cas'>, keyOf: (cluster: string) => string): (cluster: string) => Promise<string> {
  const known = new Map<string, string>();
  return async (cluster) => {
    const had = known.get(cluster);
    if (had) return had;
    const key = keyOf(cluster);
    let value = (await kv.get(key))?.value;
    if (!value) {
      const fresh = randomBytes(32).toString('base64');
      // Create-only: another operator instance that made one first wins, and both use that one.
      value = (await kv.cas(key, fresh, 0)) ? fresh : (await kv.get(key))?.value;
    }
    if (!value) throw new SwarmopError('Unavailable', `the config-hash key ${key} could be neither read nor created in the store`);
    known.set(cluster, value);
    return value;
  };
}
