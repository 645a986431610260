/**
 * What a ConsulCluster may ask of the hosts under the operator's policy (trust-policy.ts): its data
 * directory, its image, where its secrets come from and where they go. A violation refuses the
 * whole cluster before any secret is read or any host is called.
 */
import type { ConsulClusterSpec, DockerHost } from '../../crds/index.js';
import {
  bindAddressProblem,
  dataDirProblem,
  imageProblem,
  insecureEngineProblem,
  secretKeyProblem,
  type PolicyViolation,
  type TrustPolicy,
} from '../trust-policy.js';

export function consulClusterViolations(
  spec: ConsulClusterSpec,
  policy: TrustPolicy | undefined,
  dockerHost: (name: string) => DockerHost | undefined,
): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const add = (field: string, problem: string | undefined) => {
    if (problem !== undefined) out.push({ field, message: problem });
  };
  const hasSecrets = spec.gossipKeyRef !== undefined || spec.aclTokenRef !== undefined;
  for (const list of ['servers', 'clients'] as const) {
    (spec[list] ?? []).forEach((m, i) => {
      const host = dockerHost(m.host);
      // Always, whatever the policy: the operator's calls to this agent carry the cluster's token.
      if (m.bindAddress !== undefined && host) add(`spec.${list}[${i}].bindAddress`, bindAddressProblem(m.bindAddress, host));
      if (policy && hasSecrets)
        add(`spec.${list}[${i}].host`, insecureEngineProblem(host, "the cluster's gossip key and ACL token", policy));
    });
  }
  if (!policy) return out;
  add('spec.dataDir', dataDirProblem(spec.dataDir, policy.dataDirRoot));
  add('spec.image', imageProblem(spec.image, policy.allowedImages));
  if (spec.gossipKeyRef) add('spec.gossipKeyRef.kvKey', secretKeyProblem(spec.gossipKeyRef.kvKey, policy.secretsPrefix));
  if (spec.aclTokenRef) add('spec.aclTokenRef.kvKey', secretKeyProblem(spec.aclTokenRef.kvKey, policy.secretsPrefix));
  if (spec.tls?.enabled) {
    for (const f of ['caCertRef', 'operatorCertRef', 'operatorKeyRef'] as const)
      add(`spec.tls.${f}.kvKey`, secretKeyProblem(spec.tls[f].kvKey, policy.secretsPrefix));
    // Every member's keys are under the prefix: checking the folder covers them all.
    add('spec.tls.agentCertsKvPrefix', secretKeyProblem(`${spec.tls.agentCertsKvPrefix.replace(/\/+$/, '')}/`, policy.secretsPrefix));
  }
  return out;
}
