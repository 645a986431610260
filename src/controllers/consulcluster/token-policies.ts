/**
 * The tokens the operator makes in a managed ConsulCluster with ACLs, and their policies (pure).
 * Each token has a fixed description, which is how an existing one is found again when the store
 * lost its record (a cluster deleted and applied again over the same data dirs).
 */

/** What a token is for; also its key under the cluster's token records. */
export type TokenPurpose = 'operator' | 'discovery' | 'agent';

export interface WantedPolicy {
  name: string;
  description: string;
  rules: string;
}

export interface WantedToken {
  /** `operator`, `discovery` or `agents/<node>`: the record's key. */
  key: string;
  purpose: TokenPurpose;
  description: string;
  policies?: string[];
  /** Agent tokens: the node identity (node:write on its node, service:read everywhere). */
  nodeIdentity?: { node: string; datacenter: string };
}

export function operatorPolicyName(cluster: string): string {
  return `swarmop-operator-${cluster}`;
}

export function discoveryPolicyName(cluster: string): string {
  return `swarmop-discovery-${cluster}`;
}

function block(resource: string, name: string, policy: string): string {
  return `${resource} ${JSON.stringify(name)} {\n  policy = ${JSON.stringify(policy)}\n}\n`;
}

/**
 * What the operator's own calls need and nothing more: raft peers and autopilot (operator), the
 * gossip keyring (keyring: rotating the gossip key goes through /v1/operator/keyring), join, leave
 * and force-leave (agent), reclaiming a node name in the catalog (node), the `service`
 * registrations of StaticIPAttachments (service). No acl, key or query rights.
 */
export function operatorPolicyRules(): string {
  return [
    'operator = "write"\n',
    'keyring = "write"\n',
    block('agent_prefix', '', 'write'),
    block('node_prefix', '', 'write'),
    block('service_prefix', '', 'write'),
  ].join('');
}

/**
 * A SwarmCluster's `discovery` list in this cluster's KV: write on each list's own folder
 * (`<path>/docker/swarm/nodes/`) and the sessions that hold its keys; nothing else of the KV.
 * `discoveryFolders` comes from the SwarmClusters naming this cluster; none: sessions only.
 */
export function discoveryPolicyRules(discoveryFolders: readonly string[]): string {
  const folders = [...new Set(discoveryFolders)].sort();
  return [...folders.map((f) => block('key_prefix', f, 'write')), block('session_prefix', '', 'write')].join('');
}

export function tokenDescription(purpose: TokenPurpose, cluster: string, node?: string): string {
  if (purpose === 'agent') return `swarmop agent token of node ${node ?? ''} in ConsulCluster ${cluster}`;
  return `swarmop ${purpose} token of ConsulCluster ${cluster}`;
}

export function agentTokenKey(node: string): string {
  return `agents/${node}`;
}

/** The policies and tokens a cluster with these nodes and discovery folders should have. */
export function wantedTokens(
  cluster: string,
  datacenter: string,
  nodes: readonly string[],
  discoveryFolders: readonly string[],
): { policies: WantedPolicy[]; tokens: WantedToken[] } {
  const policies: WantedPolicy[] = [
    { name: operatorPolicyName(cluster), description: `swarmop operator of ConsulCluster ${cluster}`, rules: operatorPolicyRules() },
    {
      name: discoveryPolicyName(cluster),
      description: `swarmop SwarmCluster discovery lists in ConsulCluster ${cluster}`,
      rules: discoveryPolicyRules(discoveryFolders),
    },
  ];
  const tokens: WantedToken[] = [
    { key: 'operator', purpose: 'operator', description: tokenDescription('operator', cluster), policies: [operatorPolicyName(cluster)] },
    {
      key: 'discovery',
      purpose: 'discovery',
      description: tokenDescription('discovery', cluster),
      policies: [discoveryPolicyName(cluster)],
    },
    ...nodes.map((node): WantedToken => ({
      key: agentTokenKey(node),
      purpose: 'agent',
      description: tokenDescription('agent', cluster, node),
      nodeIdentity: { node, datacenter },
    })),
  ];
  return { policies, tokens };
}
