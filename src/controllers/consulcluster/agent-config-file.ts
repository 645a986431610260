/**
 * The agent's secrets as a Consul config file (pure): the gossip key and ACL tokens never go on the
 * command line, where anyone who can reach the host's Docker API reads them with `docker inspect`.
 * The file is put into the agent container before it starts (see agent-config-upload.ts); the
 * container's args only name it, and the config hash carries a digest of it, never the secret.
 */
import { createHash, createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import type { ConsulDialect } from './consul-version.js';

/** In the config directory of the official image's layout; `-config-file` names it for any image. */
export const SECRETS_CONFIG_PATH = '/consul/config/swarmop-secrets.json';
export const SECRETS_FILE_MODE = 0o600;

/**
 * A secret value that does not print: String(), JSON and util.inspect give `<redacted>`, so a
 * desired agent or an action that ends up in a log line or an event cannot leak it.
 */
export class SecretText {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '<redacted>';
  }
  toJSON(): string {
    return '<redacted>';
  }
  [inspect.custom](): string {
    return '<redacted>';
  }
}

/** Where an agent's TLS files go inside its container (outside the config dir: not config files). */
export const TLS_DIR = '/consul/tls';
export const TLS_FILES = { ca: `${TLS_DIR}/ca.pem`, cert: `${TLS_DIR}/agent.pem`, key: `${TLS_DIR}/agent-key.pem` } as const;

/** One agent's TLS material (PEM), read from the store's KV. */
export interface AgentTlsPems {
  ca: string;
  cert: string;
  key: string;
}

export interface AgentSecretsInput {
  role: 'server' | 'client';
  gossipKey?: string;
  /** The cluster's aclTokenRef: with ACLs, the servers' initial management token (and the recovery token's seed). */
  aclToken?: string;
  /**
   * With ACLs: this node's own agent token (node identity), once the operator made it
   * (cluster-tokens.ts). Left out of the digest: the running agent got it through the API, so its
   * arrival does not restart every agent.
   */
  agentToken?: string;
  /** The cluster runs Consul's ACL system (spec.acl.enabled). */
  aclEnabled: boolean;
  /** The names of the image's Consul version (consul-version.ts); legacy when absent. */
  dialect?: ConsulDialect;
  tls?: AgentTlsPems;
}

/** A further file put into the container with the config file (mode 0600, the agent's user). */
export interface AgentExtraFile {
  path: string;
  content: SecretText;
}

export interface AgentConfigFile {
  path: string;
  content: SecretText;
  /** sha256 of the content and the extra files: goes into the config hash so a changed secret rolls the agents. */
  digest: string;
  /** The TLS certificate, key and CA the config names. */
  extraFiles?: AgentExtraFile[];
}

/**
 * The agent master token (acl.tokens.agent_master) derived from the cluster's token: every agent
 * accepts it for its own /v1/agent endpoints with no server to ask, which is what the operator
 * needs before the first leader exists (the master token is only created by that leader) and on an
 * agent cut off from the servers. It must differ from the master token: an agent resolves the
 * agent master token first, and that authorizer may not force-leave or touch raft.
 */
export function agentMasterToken(aclToken: string): string {
  const h = createHmac('sha256', aclToken).update('swarmop agent master token').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The config file for one agent, or undefined when the cluster has no secrets. */
export function agentConfigFile(i: AgentSecretsInput): AgentConfigFile | undefined {
  const config: Record<string, unknown> = {};
  const current = i.dialect === 'current';
  if (i.gossipKey) config.encrypt = i.gossipKey;
  let agentToken: string | undefined;
  if (i.aclToken && !i.aclEnabled) config.acl = { tokens: { agent: i.aclToken } };
  else if (i.aclToken) {
    // Least privilege (docs/consul-tls.md): the user's token is only the servers' initial
    // management token, created by the first leader (`master` before Consul 1.11); every agent
    // gets the recovery token for its own endpoints and, once made, its node's agent token.
    const tokens: Record<string, string> = {};
    if (i.role === 'server') tokens[current ? 'initial_management' : 'master'] = i.aclToken;
    tokens[current ? 'agent_recovery' : 'agent_master'] = agentMasterToken(i.aclToken);
    // A token handed over through the API survives a restart of the same container.
    config.acl = { enable_token_persistence: true, tokens };
    agentToken = i.agentToken;
  }
  if (Object.keys(config).length === 0 && !i.tls) return undefined;
  const h = createHash('sha256').update(`${JSON.stringify(config, null, 2)}\n`);
  if (agentToken) (config.acl as { tokens: Record<string, string> }).tokens.agent = agentToken;
  const content = `${JSON.stringify(config, null, 2)}\n`;
  if (!i.tls) return { path: SECRETS_CONFIG_PATH, content: new SecretText(content), digest: h.digest('hex') };
  const extraFiles: AgentExtraFile[] = [
    { path: TLS_FILES.ca, content: new SecretText(i.tls.ca) },
    { path: TLS_FILES.cert, content: new SecretText(i.tls.cert) },
    { path: TLS_FILES.key, content: new SecretText(i.tls.key) },
  ];
  for (const f of extraFiles) h.update(`\0${f.path}\0${f.content.reveal()}`);
  return { path: SECRETS_CONFIG_PATH, content: new SecretText(content), digest: h.digest('hex'), extraFiles };
}

/** Tokens the operator's calls to a managed agent carry (see AgentHttpOptions). */
export interface AgentTokens {
  /** Sent on every call. */
  token?: string;
  /** Sent instead on the agent's own /v1/agent endpoints (members, join, leave). */
  localToken?: string;
}

/**
 * The one place that decides which token the operator's calls to a managed cluster carry. With
 * ACLs: the operator token once it exists (cluster-tokens.ts), the initial management token
 * (aclToken) only before that; the recovery token on the agent's own endpoints, which answers with
 * no server to ask.
 */
export function agentTokens(aclToken: string | undefined, aclEnabled: boolean, operatorToken?: string): AgentTokens {
  if (!aclToken) return {};
  if (!aclEnabled) return { token: aclToken };
  return { token: operatorToken ?? aclToken, localToken: agentMasterToken(aclToken) };
}
