/**
 * What a call from another kind to a ConsulCluster's agents carries: a token of the cluster itself
 * (never the operator's store token) and, when the cluster runs TLS, its CA and the operator's
 * client certificate (its agents then answer on HTTPS only). With ACLs the token is the one the
 * operator made for the job (`operator` for service registrations, `discovery` for a SwarmCluster's
 * discovery list: consulcluster/token-policies.ts); before those exist, and without ACLs, the
 * cluster's `aclTokenRef`. Secrets are read through the operator's readSecret (which keeps to the
 * secrets prefix), token records through clusterToken (the store's token records).
 */
import type { ConsulClusterSpec } from '../crds/index.js';
import type { AgentTls } from '../consul/agent-http.js';
import { SwarmopError } from '../errors.js';

export type ReadSecret = (kvKey: string) => Promise<string | undefined>;
/** The secret of one of a cluster's token records (`operator`, `discovery`); undefined when not made yet. */
export type ClusterTokenReader = (cluster: string, key: 'operator' | 'discovery') => Promise<string | undefined>;

export interface ClusterCredentials {
  token?: string;
  tls?: AgentTls;
}

/** Throws Unavailable naming the key when a TLS cluster's material is not in the store. */
export async function clusterCredentials(
  clusterName: string,
  spec: ConsulClusterSpec | undefined,
  readSecret: ReadSecret | undefined,
  purpose: { job: 'operator' | 'discovery'; clusterToken?: ClusterTokenReader | undefined } = { job: 'operator' },
): Promise<ClusterCredentials> {
  const out: ClusterCredentials = {};
  const made = spec?.acl?.enabled && purpose.clusterToken ? await purpose.clusterToken(clusterName, purpose.job) : undefined;
  const key = spec?.aclTokenRef?.kvKey;
  if (made) out.token = made;
  else if (key && readSecret) {
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
