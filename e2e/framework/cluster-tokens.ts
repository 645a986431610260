/**
 * The secrets of the ACL tokens the operator made in a managed Consul cluster (operator, discovery,
 * one per agent), read from the store as the operator keeps them: the e2e specs check that none of
 * them shows up where a secret must not (docker inspect, logs, events, status, the network).
 */
import { clusterTokensPrefix } from '../../src/store/store-keys.js';
import type { Framework } from './framework.js';

/** purpose ("operator", "agents/consul01", ...) -> secret ID; empty until the operator made them. */
export async function clusterTokenSecrets(f: Framework, cluster: string): Promise<Record<string, string>> {
  const folder = clusterTokensPrefix(f.prefix, cluster);
  const res = await fetch(`http://${f.lab.storeAddr}/v1/kv/${folder}?recurse`);
  if (res.status === 404) return {};
  if (!res.ok) throw new Error(`store: GET ${folder}?recurse: HTTP ${res.status}`);
  const pairs = (await res.json()) as { Key: string; Value: string | null }[];
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const record = JSON.parse(Buffer.from(p.Value ?? '', 'base64').toString('utf8')) as { secretID: string };
    out[`${p.Key.slice(folder.length)} token`] = record.secretID;
  }
  return out;
}
