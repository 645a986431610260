/**
 * The store's records of the tokens the operator made in a managed cluster, one key each under
 * `<prefix>tokens/consulclusters/<cluster>/` (store-keys.ts): `operator`, `discovery`,
 * `agents/<node>`, each JSON {accessorID, secretID, delivered?}. They hold secrets: the operator
 * never logs them, and the viewer policy (deploy/consul-acl/viewer.hcl) denies the folder.
 */
import { SwarmopError } from '../../errors.js';
import type { KvStore } from '../../store/kv.js';
import { clusterTokensPrefix } from '../../store/store-keys.js';
import type { TokenRecords } from './cluster-tokens.js';
import type { TokenRecord } from './token-plan.js';

function parseRecord(key: string, value: string): TokenRecord {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new SwarmopError('Invalid', `token record ${key} is not JSON`);
  }
  const r = v as Partial<TokenRecord> | null;
  if (!r || typeof r.accessorID !== 'string' || typeof r.secretID !== 'string')
    throw new SwarmopError('Invalid', `token record ${key} lacks accessorID or secretID`);
  return { accessorID: r.accessorID, secretID: r.secretID, ...(r.delivered ? { delivered: true } : {}) };
}

export class KvTokenRecords implements TokenRecords {
  constructor(
    private readonly kv: Pick<KvStore, 'get' | 'cas' | 'list' | 'delete'>,
    private readonly prefix: string,
  ) {}

  private key(cluster: string, key: string): string {
    return `${clusterTokensPrefix(this.prefix, cluster)}${key}`;
  }

  async list(cluster: string): Promise<Map<string, TokenRecord>> {
    const folder = clusterTokensPrefix(this.prefix, cluster);
    const { pairs } = await this.kv.list(folder);
    return new Map(pairs.map((p) => [p.key.slice(folder.length), parseRecord(p.key, p.value)]));
  }

  /** The secret of one record (`operator`, `discovery`, `agents/<node>`); undefined when there is none. */
  async secret(cluster: string, key: string): Promise<string | undefined> {
    const k = this.key(cluster, key);
    const pair = await this.kv.get(k);
    return pair ? parseRecord(k, pair.value).secretID : undefined;
  }

  async create(cluster: string, key: string, record: TokenRecord): Promise<TokenRecord> {
    const k = this.key(cluster, key);
    if (await this.kv.cas(k, JSON.stringify(record), 0)) return record;
    const pair = await this.kv.get(k);
    if (!pair) throw new SwarmopError('Conflict', `token record ${k} could be neither created nor read`);
    return parseRecord(k, pair.value);
  }

  async update(cluster: string, key: string, record: TokenRecord): Promise<void> {
    const k = this.key(cluster, key);
    const pair = await this.kv.get(k);
    if (!pair || !(await this.kv.cas(k, JSON.stringify(record), pair.modifyIndex)))
      throw new SwarmopError('Conflict', `token record ${k} changed while it was updated`);
  }

  async deleteAll(cluster: string): Promise<void> {
    await this.kv.delete(clusterTokensPrefix(this.prefix, cluster), { recurse: true });
  }
}
