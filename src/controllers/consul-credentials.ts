/**
 * What a call from another kind to a ConsulCluster's agents carries: the cluster's own ACL token
 * (its `aclTokenRef`, never the operator's store token) and, when the cluster runs TLS, its CA and
 * the operator's client certificate (its agents then answer on HTTPS only). Read from the store
 * like every secret, through the operator's readSecret (which keeps to the secrets prefix).
 */
import type { ConsulClusterSpec } from '../crds/index.js';
import type { AgentTls } from '../consul/agent-http.js';
import { SwarmopError } from '../errors.js';

export type ReadSecret = (kvKey: string) => Promise<string | undefined>;

export interface ClusterCredentials {
  token?: string;
  tls?: AgentTls;
}

/** Throws Unavailable naming the key when a TLS cluster's material is not in the store. */
export async function clusterCredentials(
  clusterName: string,
  spec: ConsulClusterSpec | undefined,
  readSecret: ReadSecret | undefined,
): Promise<ClusterCredentials> {
  const out: ClusterCredentials = {};
  const key = spec?.aclTokenRef?.kvKey;
  if (key && readSecret) {
    const token = await readSecret(key);
    if (token) out.token = token;
  }
  if (spec?.tls?.enabled) {
    const t = spec.tls;
    const read = async (kvKey: string, what: string): Promise<string> => {
      const v = readSecret ? await readSecret(kvKey) : undefined;
      if (v === undefined || v.trim() === '')
        throw new SwarmopError('Unavailable', `ConsulCluster ${clusterName} runs TLS and ${what} (${kvKey}) is not in the store`);
      return v;
    };
    out.tls = {
      ca: await read(t.caCertRef.kvKey, 'its CA certificate'),
      cert: await read(t.operatorCertRef.kvKey, "the operator's client certificate"),
      key: await read(t.operatorKeyRef.kvKey, "the operator's client key"),
    };
  }
  return out;
}
