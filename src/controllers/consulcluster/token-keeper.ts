/**
 * The ConsulCluster controller's part of least privilege (docs/consul-tls.md, "Tokens"): once a
 * leader exists, one pass with the initial management token makes the policies and tokens
 * (cluster-tokens.ts) and hands the running agents their tokens. A pass that found everything in
 * place is not repeated while the wanted set stays the same, so after that the management token is
 * left alone (an operator restart runs one pass again: it cannot read Consul's ACLs otherwise).
 */
import type { ConsulTokenStatus } from '../../crds/consul-cluster.js';
import type { AgentHttpOptions } from '../../consul/agent-http.js';
import { readSelfAccessor, setAgentToken } from '../../consul/acl-http.js';
import { httpAclApi } from './acl-api.js';
import { deliverAgentTokens, ensureClusterTokens, type AclApi, type AgentTarget, type TokenRecords } from './cluster-tokens.js';
import { wantedTokens } from './token-policies.js';
import type { TokenRecord } from './token-plan.js';

export interface TokenKeeperOptions {
  records: TokenRecords;
  aclApi?: (address: string, http: AgentHttpOptions) => AclApi;
  setAgentToken?: (address: string, secretID: string, http: AgentHttpOptions) => Promise<void>;
  selfAccessor?: (address: string, http: AgentHttpOptions) => Promise<string | undefined>;
}

export interface TokenPassInput {
  cluster: string;
  datacenter: string;
  nodes: readonly string[];
  discoveryFolders: readonly string[];
  /** A server agent that answers: the ACL calls go through it. */
  via: string;
  agents: readonly AgentTarget[];
  /** Calls carrying the initial management token. */
  management: AgentHttpOptions;
}

export interface TokenPassResult {
  /** What was made or handed over, one line each (never a secret); empty when all was in place. */
  done: string[];
  records: Map<string, TokenRecord>;
}

export class ClusterTokenKeeper {
  /** Per cluster, the wanted set of its last pass that left nothing to do. */
  private readonly settled = new Map<string, string>();
  private readonly managementAccessors = new Map<string, string>();
  private readonly aclApi: (address: string, http: AgentHttpOptions) => AclApi;
  private readonly setAgentToken: (address: string, secretID: string, http: AgentHttpOptions) => Promise<void>;
  private readonly selfAccessor: (address: string, http: AgentHttpOptions) => Promise<string | undefined>;

  constructor(private readonly o: TokenKeeperOptions) {
    this.aclApi = o.aclApi ?? httpAclApi;
    this.setAgentToken = o.setAgentToken ?? setAgentToken;
    this.selfAccessor = o.selfAccessor ?? readSelfAccessor;
  }

  records(cluster: string): Promise<Map<string, TokenRecord>> {
    return this.o.records.list(cluster);
  }

  /** True when a pass would have something to check: the wanted set changed, or an agent still waits for its token. */
  needsPass(i: Omit<TokenPassInput, 'via' | 'agents' | 'management'>, records: ReadonlyMap<string, TokenRecord>): boolean {
    if (this.settled.get(i.cluster) !== signature(i)) return true;
    return i.nodes.some((n) => !records.get(`agents/${n}`)?.delivered);
  }

  async pass(i: TokenPassInput): Promise<TokenPassResult> {
    const wanted = wantedTokens(i.cluster, i.datacenter, i.nodes, i.discoveryFolders);
    const { records, done } = await ensureClusterTokens({
      cluster: i.cluster,
      wanted,
      acl: this.aclApi(i.via, i.management),
      records: this.o.records,
    });
    if (!this.managementAccessors.has(i.cluster)) {
      const a = await this.selfAccessor(i.via, i.management);
      if (a) this.managementAccessors.set(i.cluster, a);
    }
    const delivered = await deliverAgentTokens(i.cluster, records, i.agents, this.o.records, (address, secret) =>
      this.setAgentToken(address, secret, i.management),
    );
    done.push(...delivered.map((n) => `handed node ${n} its agent token`));
    if (i.nodes.every((n) => records.get(`agents/${n}`)?.delivered)) this.settled.set(i.cluster, signature(i));
    return { done, records };
  }

  /** The cluster no longer accepts what was made (a new ACL bootstrap): the next pass checks everything. */
  forget(cluster: string): void {
    this.settled.delete(cluster);
    this.managementAccessors.delete(cluster);
  }

  async remove(cluster: string): Promise<void> {
    this.forget(cluster);
    await this.o.records.deleteAll(cluster);
  }

  /** The status list: accessor IDs and purposes, never a secret. */
  status(cluster: string, records: ReadonlyMap<string, TokenRecord>): ConsulTokenStatus[] {
    const out: ConsulTokenStatus[] = [];
    const mgmt = this.managementAccessors.get(cluster);
    if (mgmt) out.push({ purpose: 'initial-management', accessorID: mgmt });
    for (const [key, r] of [...records].sort(([a], [b]) => a.localeCompare(b))) {
      if (key === 'operator' || key === 'discovery') out.push({ purpose: key, accessorID: r.accessorID });
      else if (key.startsWith('agents/')) out.push({ purpose: 'agent', accessorID: r.accessorID, node: key.slice('agents/'.length) });
    }
    return out;
  }
}

function signature(i: Pick<TokenPassInput, 'datacenter' | 'nodes' | 'discoveryFolders'>): string {
  return JSON.stringify([i.datacenter, [...i.nodes].sort(), [...new Set(i.discoveryFolders)].sort()]);
}

/** node -> agent token secret, for the agents' config files. */
export function agentTokenSecrets(records: ReadonlyMap<string, TokenRecord>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, r] of records) if (key.startsWith('agents/')) out.set(key.slice('agents/'.length), r.secretID);
  return out;
}
