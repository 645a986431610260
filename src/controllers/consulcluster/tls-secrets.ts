/**
 * A TLS ConsulCluster's certificates read from the store and checked (tls-material.ts): each
 * member's certificate and key, the CA, and the operator's client certificate.
 */
import type { ConsulClusterSpec, ConsulMember } from '../../crds/consul-cluster.js';
import type { AgentTlsPems } from './agent-config-file.js';
import type { AgentTls } from '../../consul/agent-http.js';
import { checkCa, checkCert } from './tls-material.js';

export type ReadSecret = (kvKey: string) => Promise<string | undefined>;

export interface ClusterTls {
  /** Per node. */
  agents: Map<string, AgentTlsPems>;
  /** What the operator's calls present. */
  operator: AgentTls;
  /** Certificates that fail a check: the cluster is not touched. */
  problems: string[];
  /** Certificates that expire within 7 days. */
  expiring: string[];
}

/** The KV keys of one member's certificate and key. */
export function memberCertKeys(prefix: string, node: string): { cert: string; key: string } {
  const p = prefix.replace(/\/+$/, '');
  return { cert: `${p}/${node}/cert.pem`, key: `${p}/${node}/key.pem` };
}

/**
 * Reads and checks everything; a string names the first key missing from the store.
 * `addressOf` gives a member's address (its certificate must name it).
 */
export async function readClusterTls(
  spec: ConsulClusterSpec,
  read: ReadSecret,
  addressOf: (m: ConsulMember) => string,
  now: number,
): Promise<ClusterTls | string> {
  const tls = spec.tls!;
  const get = async (key: string, what: string): Promise<string> => {
    const v = await read(key);
    if (v === undefined || v.trim() === '') throw new MissingSecret(`secret ${key} (${what}) not found in the store`);
    return v;
  };
  try {
    const caPem = await get(tls.caCertRef.kvKey, 'tls.caCertRef');
    const operator = {
      ca: caPem,
      cert: await get(tls.operatorCertRef.kvKey, 'tls.operatorCertRef'),
      key: await get(tls.operatorKeyRef.kvKey, 'tls.operatorKeyRef'),
    };
    const agents = new Map<string, AgentTlsPems>();
    const members = [...spec.servers.map((m) => ({ m, server: true })), ...(spec.clients ?? []).map((m) => ({ m, server: false }))];
    for (const { m } of members) {
      const k = memberCertKeys(tls.agentCertsKvPrefix, m.node);
      agents.set(m.node, {
        ca: caPem,
        cert: await get(k.cert, `tls certificate of ${m.node}`),
        key: await get(k.key, `tls key of ${m.node}`),
      });
    }
    const { ca, problems } = checkCa(caPem, now);
    const expiring: string[] = [];
    if (ca) {
      const checks = [
        checkCert(ca, { what: "the operator's client certificate", cert: operator.cert, key: operator.key }, now),
        ...members.map(({ m, server }) =>
          checkCert(
            ca,
            {
              what: `the certificate of node ${m.node}`,
              ...agents.get(m.node)!,
              address: addressOf(m),
              ...(server ? { serverName: `server.${spec.datacenter}.consul` } : {}),
            },
            now,
          ),
        ),
      ];
      for (const c of checks) {
        problems.push(...c.problems);
        if (c.expiring) expiring.push(c.expiring);
      }
    }
    return { agents, operator, problems, expiring };
  } catch (err) {
    if (err instanceof MissingSecret) return err.message;
    throw err;
  }
}

class MissingSecret extends Error {}
