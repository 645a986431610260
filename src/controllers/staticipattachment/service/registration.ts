/**
 * The Consul service of an attachment, as pure values: which agent holds it (the ConsulCluster
 * member on the attachment's host, so the service lives and dies with that node), the registration
 * body the agent is sent, and the difference between that and what the agent reports.
 */
import { createHash } from 'node:crypto';
import type { ConsulCluster, ConsulServiceSpec, DockerHost, ServiceHealth } from '../../../crds/index.js';
import { bindAddressProblem, POLICY_REASON } from '../../trust-policy.js';

/** Marks on every registration: which attachment owns it and a digest of what was registered. */
export const OWNER_META = 'swarmop-attachment';
export const HASH_META = 'swarmop-hash';

export interface AgentTarget {
  consulCluster: string;
  datacenter: string;
  /** Consul node name of the agent. */
  node: string;
  /** Address of the agent's HTTP API (its bind address). */
  address: string;
  /** KV key of the cluster's ACL token, when it has one. */
  tokenKvKey?: string;
}

export type AgentLookup = { target: AgentTarget } | { blocked: { reason: string; message: string } };

/** The member of `cluster` that runs on `host`; its bind address, or else the DockerHost's. */
export function agentOnHost(
  clusterName: string,
  cluster: ConsulCluster | undefined,
  host: string,
  dockerHost: DockerHost | undefined,
): AgentLookup {
  if (!cluster) return { blocked: { reason: 'ConsulClusterNotFound', message: `ConsulCluster ${clusterName} does not exist` } };
  const member = [...cluster.spec.servers, ...(cluster.spec.clients ?? [])].find((m) => m.host === host);
  if (!member)
    return {
      blocked: {
        reason: 'NoAgentOnHost',
        message: `ConsulCluster ${clusterName} has no server or client on host ${host}; add one so the service lives on its node`,
      },
    };
  return memberAgent(clusterName, cluster, member, dockerHost);
}

/**
 * The agent of the member named `node` (a node name as status records it), found again from the
 * ConsulCluster and DockerHost specs: the status only says which member, never where it is.
 */
export function agentOfNode(
  clusterName: string,
  cluster: ConsulCluster | undefined,
  node: string,
  dockerHostOf: (name: string) => DockerHost | undefined,
): AgentTarget | undefined {
  const member = cluster ? [...cluster.spec.servers, ...(cluster.spec.clients ?? [])].find((m) => m.node === node) : undefined;
  if (!cluster || !member) return undefined;
  const lookup = memberAgent(clusterName, cluster, member, dockerHostOf(member.host));
  return 'target' in lookup ? lookup.target : undefined;
}

function memberAgent(
  clusterName: string,
  cluster: ConsulCluster,
  member: ConsulCluster['spec']['servers'][number],
  dockerHost: DockerHost | undefined,
): AgentLookup {
  // The cluster's token goes to this address: only ever one the member's DockerHost declares.
  if (!dockerHost) return { blocked: { reason: 'HostNotFound', message: `DockerHost ${member.host} does not exist` } };
  const problem = member.bindAddress !== undefined ? bindAddressProblem(member.bindAddress, dockerHost) : undefined;
  if (problem !== undefined)
    return { blocked: { reason: POLICY_REASON, message: `ConsulCluster ${clusterName} member ${member.node}: bindAddress ${problem}` } };
  const address = member.bindAddress ?? dockerHost.spec.address;
  return {
    target: {
      consulCluster: clusterName,
      datacenter: cluster.spec.datacenter,
      node: member.node,
      address,
      ...(cluster.spec.aclTokenRef ? { tokenKvKey: cluster.spec.aclTokenRef.kvKey } : {}),
    },
  };
}

/** The check as the agent's register API takes it. */
export interface RegistrationCheck {
  CheckID: string;
  Name: string;
  TCP?: string;
  HTTP?: string;
  Interval: string;
  Timeout: string;
}

/** Body of PUT /v1/agent/service/register. */
export interface Registration {
  ID: string;
  Name: string;
  Address: string;
  Port?: number;
  Tags: string[];
  Meta: Record<string, string>;
  Check?: RegistrationCheck;
}

/** One service per attachment: its ID is the attachment's name, so a person finds it by that. */
export function serviceIdFor(attachmentName: string): string {
  return attachmentName;
}

export function desiredRegistration(attachmentName: string, service: ConsulServiceSpec, ip: string): Registration {
  const id = serviceIdFor(attachmentName);
  const c = service.check;
  const check: RegistrationCheck | undefined =
    c && (c.tcp !== undefined || c.http !== undefined)
      ? {
          CheckID: `service:${id}`,
          Name: c.tcp !== undefined ? `tcp ${ip}:${c.tcp}` : `http ${c.http}`,
          ...(c.tcp !== undefined ? { TCP: `${ip}:${c.tcp}` } : { HTTP: c.http! }),
          Interval: c.interval,
          Timeout: c.timeout,
        }
      : undefined;
  const body = {
    ID: id,
    Name: service.name,
    Address: ip,
    ...(service.port !== undefined ? { Port: service.port } : {}),
    Tags: [...(service.tags ?? [])],
    ...(check ? { Check: check } : {}),
  };
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...body, Meta: service.meta ?? {} }))
    .digest('hex')
    .slice(0, 16);
  return { ...body, Meta: { ...(service.meta ?? {}), [OWNER_META]: attachmentName, [HASH_META]: hash } };
}

/** What the agent reports for the service ID (GET /v1/agent/health/service/id/<id>). */
export interface ObservedService {
  name: string;
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
  checkIds: string[];
  health: Exclude<ServiceHealth, 'unregistered'>;
}

export type RegistrationDiff = { register: false } | { register: true; reason: 'ServiceMissing' | 'ServiceChanged'; found: string };

export function diffRegistration(want: Registration, seen: ObservedService | undefined, agent: string): RegistrationDiff {
  if (!seen) return { register: true, reason: 'ServiceMissing', found: `service ${want.ID} is not registered on agent ${agent}` };
  const differs: string[] = [];
  if (seen.name !== want.Name) differs.push(`name ${seen.name}`);
  if (seen.address !== want.Address) differs.push(`address ${seen.address || '<none>'}`);
  if ((seen.port || undefined) !== want.Port) differs.push(`port ${seen.port || '<none>'}`);
  if (JSON.stringify(seen.tags) !== JSON.stringify(want.Tags)) differs.push(`tags [${seen.tags.join(',')}]`);
  if (JSON.stringify(sorted(seen.meta)) !== JSON.stringify(sorted(want.Meta))) differs.push('meta');
  const checkWanted = want.Check?.CheckID;
  if (checkWanted && !seen.checkIds.includes(checkWanted)) differs.push(`check ${checkWanted} missing`);
  if (!checkWanted && seen.checkIds.length > 0) differs.push(`unexpected checks ${seen.checkIds.join(',')}`);
  if (differs.length === 0) return { register: false };
  return { register: true, reason: 'ServiceChanged', found: `service ${want.ID} on agent ${agent} differs: ${differs.join(', ')}` };
}

function sorted(m: Record<string, string>): [string, string][] {
  return Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
