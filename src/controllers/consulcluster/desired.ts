/**
 * The desired agents of a ConsulCluster, as pure data: one per member, with the container's
 * command line and the hash that detects a configuration change.
 */
import { createHash, createHmac } from 'node:crypto';
import type { ConsulClusterSpec, ConsulMember } from '../../crds/consul-cluster.js';
import { agentConfigFile, TLS_FILES, type AgentConfigFile, type AgentTlsPems } from './agent-config-file.js';
import type { ConsulDialect } from './consul-version.js';
import { CLUSTER_LABEL, CONFIG_HASH_LABEL, MEMBER_LABEL, ROLE_LABEL, containerName } from './labels.js';
import { AGENT_HTTPS_PORT } from '../../consul/agent-http.js';

export type AgentRole = 'server' | 'client';

/** Where the data dir is mounted inside the agent container. */
export const CONTAINER_DATA_DIR = '/consul/data';

export interface DesiredAgent {
  cluster: string;
  node: string;
  host: string;
  /** Bind/advertise address (spec bindAddress, else the DockerHost's address). */
  address: string;
  role: AgentRole;
  container: string;
  image: string;
  /** Full command line after the image's entrypoint (`agent ...`); never holds a secret. */
  args: string[];
  /** The gossip key and ACL tokens, put into the container before it starts. */
  configFile?: AgentConfigFile;
  /** Host folder bind-mounted at CONTAINER_DATA_DIR. */
  dataDir: string;
  configHash: string;
  labels: Record<string, string>;
}

/** Secrets resolved from the store's KV (never part of the spec itself). */
export interface AgentSecrets {
  gossipKey?: string;
  aclToken?: string;
  /** Per node: its TLS material (spec.tls). */
  tls?: ReadonlyMap<string, AgentTlsPems>;
  /** Per node: its agent token, once the operator made it (ACL clusters). */
  agentTokens?: ReadonlyMap<string, string>;
}

/** How the agents' configuration is rendered, besides the spec. */
export interface RenderOptions {
  /** The image's Consul names (consul-version.ts); legacy when absent. */
  dialect?: ConsulDialect;
  /**
   * Key of the config-hash HMAC, held in the store: the label then tells nothing about the secrets
   * to anyone who can read it but not the store. Plain sha256 when absent (no secrets in the spec).
   */
  hashKey?: string;
}

export interface AgentArgsInput {
  role: AgentRole;
  node: string;
  address: string;
  datacenter: string;
  ui: boolean;
  bootstrapExpect: number;
  /** Addresses of the other servers (never the agent itself). */
  retryJoin: readonly string[];
  /** Servers only: addresses of the servers of the clusters this one federates with (-retry-join-wan). */
  retryJoinWan?: readonly string[];
  retryInterval?: string;
  /** Consul's ACL system: on, with this default policy. */
  acl?: { defaultPolicy: 'allow' | 'deny' };
  /** Path of the secrets config file inside the container, when there is one. */
  configFile?: string;
  dialect?: ConsulDialect;
  /** -client: the bind address and 127.0.0.1 (default), or every address. */
  clientAddress?: 'bind' | 'any';
  /** TLS on: where the plain-HTTP API stays (disabled, or 127.0.0.1 only). */
  tls?: { http: 'disabled' | 'localhost' };
}

/** The TLS settings (no secret: file paths and switches) in the dialect's names. */
export function tlsHcl(dialect: ConsulDialect, http: 'disabled' | 'localhost'): string[] {
  const ports = http === 'disabled' ? `ports { http = -1 https = ${AGENT_HTTPS_PORT} }` : `ports { https = ${AGENT_HTTPS_PORT} }`;
  const files = `ca_file = "${TLS_FILES.ca}" cert_file = "${TLS_FILES.cert}" key_file = "${TLS_FILES.key}"`;
  const out = [ports];
  if (http === 'localhost') out.push('addresses { http = "127.0.0.1" }');
  if (dialect === 'current') {
    out.push(`tls { defaults { ${files} verify_incoming = true verify_outgoing = true } internal_rpc { verify_server_hostname = true } }`);
  } else {
    out.push(`${files} verify_incoming = true verify_outgoing = true verify_server_hostname = true`);
  }
  return out;
}

/**
 * `agent -server -bootstrap-expect N -retry-join A -retry-join B [-retry-join-wan W...] -bind X -advertise X -client 'X 127.0.0.1'
 * -datacenter DC -node N -data-dir /consul/data [-ui] -hcl 'disable_update_check = true' [-hcl 'acl {...}']
 * [-config-file F]`. Secrets are never arguments: they are in the config file.
 * Membership flags come first so `stableArgs` can drop them for the hash.
 */
export function agentArgs(i: AgentArgsInput): string[] {
  const args = ['agent'];
  if (i.role === 'server') args.push('-server', '-bootstrap-expect', String(i.bootstrapExpect));
  for (const a of i.retryJoin) args.push('-retry-join', a);
  if (i.role === 'server') for (const a of i.retryJoinWan ?? []) args.push('-retry-join-wan', a);
  if (i.retryInterval) args.push('-retry-interval', i.retryInterval);
  // Not 0.0.0.0 unless asked: the API (and its token header) stays off the host's other networks.
  const client = i.clientAddress === 'any' ? '0.0.0.0' : [...new Set([i.address, '127.0.0.1'])].join(' ');
  args.push('-bind', i.address, '-advertise', i.address, '-client', client);
  args.push('-datacenter', i.datacenter, '-node', i.node, '-data-dir', CONTAINER_DATA_DIR);
  const current = i.dialect === 'current';
  if (i.ui && !current) args.push('-ui');
  // Consul 1.8 has no flag for it; no agent may ever try to reach the internet.
  args.push('-hcl', 'disable_update_check = true');
  if (i.ui && current) args.push('-hcl', 'ui_config { enabled = true }');
  if (i.acl) args.push('-hcl', `acl { enabled = true default_policy = ${JSON.stringify(i.acl.defaultPolicy)} }`);
  if (i.tls) for (const h of tlsHcl(i.dialect ?? 'legacy', i.tls.http)) args.push('-hcl', h);
  if (i.configFile) args.push('-config-file', i.configFile);
  return args;
}

/** Flags that only say how to find the others; they change whenever membership changes. */
const MEMBERSHIP_FLAGS = new Set(['-bootstrap-expect', '-retry-join', '-retry-join-wan']);

/**
 * The args minus the membership flags. The hash covers only these: -retry-join, -retry-join-wan and
 * -bootstrap-expect are read at an agent's start only, and hashing them would roll every agent
 * whenever a server is added or removed (and with two servers left, a roll loses quorum); running
 * agents are joined through their HTTP API instead.
 */
export function stableArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (MEMBERSHIP_FLAGS.has(a)) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * `secretsDigest` is the config file's digest: a changed secret rolls the agents like any change.
 * With `hashKey` it is an HMAC, so the label cannot be used to test guesses of a secret.
 */
export function configHash(image: string, args: readonly string[], dataDir: string, secretsDigest?: string, hashKey?: string): string {
  const h = hashKey ? createHmac('sha256', hashKey) : createHash('sha256');
  h.update(JSON.stringify({ image, args: stableArgs(args), dataDir, ...(secretsDigest ? { secretsDigest } : {}) }));
  return h.digest('hex');
}

export type HostAddressResolver = (host: string) => string | undefined;

export interface DesiredResult {
  agents: DesiredAgent[];
  /** Hosts named in the spec that are not known DockerHosts. */
  missingHosts: string[];
}

/**
 * Every member of the spec as a DesiredAgent (servers first, in spec order). `wanJoin`: addresses of
 * the servers of the clusters it federates with, given to its servers as -retry-join-wan.
 */
export function desiredAgents(
  cluster: string,
  spec: ConsulClusterSpec,
  hostAddress: HostAddressResolver,
  secrets: AgentSecrets = {},
  wanJoin: readonly string[] = [],
  render: RenderOptions = {},
): DesiredResult {
  const missingHosts: string[] = [];
  const addr = (m: ConsulMember): string => {
    if (m.bindAddress) return m.bindAddress;
    const a = hostAddress(m.host);
    if (a === undefined) missingHosts.push(m.host);
    return a ?? '';
  };
  const servers = spec.servers.map((m) => ({ m, role: 'server' as const, address: addr(m) }));
  const clients = (spec.clients ?? []).map((m) => ({ m, role: 'client' as const, address: addr(m) }));
  const serverAddrs = servers.map((s) => s.address);
  const bootstrapExpect = spec.bootstrapExpect ?? spec.servers.length;
  const ui = spec.ui ?? false;
  const dataDir = spec.dataDir ?? `/var/lib/swarmop/consul/${cluster}`;
  const aclEnabled = spec.acl?.enabled ?? false;
  const agents = [...servers, ...clients].map(({ m, role, address }): DesiredAgent => {
    const tlsPems = spec.tls?.enabled ? secrets.tls?.get(m.node) : undefined;
    const agentToken = secrets.agentTokens?.get(m.node);
    const configFile = agentConfigFile({
      role,
      aclEnabled,
      ...(secrets.gossipKey ? { gossipKey: secrets.gossipKey } : {}),
      ...(secrets.aclToken ? { aclToken: secrets.aclToken } : {}),
      ...(agentToken ? { agentToken } : {}),
      ...(render.dialect ? { dialect: render.dialect } : {}),
      ...(tlsPems ? { tls: tlsPems } : {}),
    });
    const args = agentArgs({
      role,
      node: m.node,
      address,
      datacenter: spec.datacenter,
      ui,
      bootstrapExpect,
      retryJoin: serverAddrs.filter((a) => a !== address),
      retryJoinWan: wanJoin,
      retryInterval: spec.retryInterval,
      ...(aclEnabled ? { acl: { defaultPolicy: spec.acl?.defaultPolicy ?? 'deny' } } : {}),
      ...(configFile ? { configFile: configFile.path } : {}),
      ...(render.dialect ? { dialect: render.dialect } : {}),
      ...(spec.clientAddress ? { clientAddress: spec.clientAddress } : {}),
      ...(spec.tls?.enabled ? { tls: { http: spec.tls.http ?? 'disabled' } } : {}),
    });
    const hash = configHash(spec.image, args, dataDir, configFile?.digest, render.hashKey);
    return {
      cluster,
      node: m.node,
      host: m.host,
      address,
      role,
      container: containerName(cluster),
      image: spec.image,
      args,
      ...(configFile ? { configFile } : {}),
      dataDir,
      configHash: hash,
      labels: { [CLUSTER_LABEL]: cluster, [CONFIG_HASH_LABEL]: hash, [MEMBER_LABEL]: m.node, [ROLE_LABEL]: role },
    };
  });
  return { agents, missingHosts: [...new Set(missingHosts)] };
}
