/** ConsulCluster: a Consul server cluster (plus optional clients), one agent container per member. */
import { arr, bool, hostRef, int, obj, resourceSchema, statusSchema, str } from './common-schema.js';
import type { BaseStatus, Resource } from './meta.js';
import { field, text, type KindDefinition, type SemanticError } from './kind-info.js';

export interface ConsulMember {
  /** DockerHost name. */
  host: string;
  /** Consul node name. */
  node: string;
  /** Bind/advertise address; defaults (in the controller) to the DockerHost's address. */
  bindAddress?: string;
}

export interface ConsulSecretRef {
  /** Key in the store Consul's KV that holds the value, so secrets stay out of the spec. */
  kvKey: string;
}

export interface ConsulClusterSpec {
  datacenter: string;
  image: string;
  ui: boolean;
  servers: ConsulMember[];
  clients?: ConsulMember[];
  /** Defaulted to the number of servers. */
  bootstrapExpect: number;
  /** Defaulted to /var/lib/swarmop/consul/<cluster name>. */
  dataDir: string;
  /** -retry-interval; Consul's default is 30s. */
  retryInterval?: string;
  gossipKeyRef?: ConsulSecretRef;
  aclTokenRef?: ConsulSecretRef;
  /** Consul's ACL system on every agent; its tokens come from aclTokenRef. */
  acl?: ConsulAclSpec;
  /** Names of other ConsulClusters whose servers this cluster's servers join over the WAN. */
  wanJoin?: string[];
  /** Where the agents' client APIs (HTTP, HTTPS, DNS) listen (-client); defaulted to bind. */
  clientAddress?: 'bind' | 'any';
  /** TLS on RPC and the HTTP API, with certificates the user issues (see docs/consul-tls.md). */
  tls?: ConsulTlsSpec;
}

/** Where the agents' plain-HTTP API listens once TLS is on. */
export type ConsulTlsHttp = 'disabled' | 'localhost';

export interface ConsulTlsSpec {
  enabled: boolean;
  /** The CA certificate (PEM) every agent and the operator trust. */
  caCertRef: ConsulSecretRef;
  /** KV folder holding `<node>/cert.pem` and `<node>/key.pem` for every member. */
  agentCertsKvPrefix: string;
  /** The operator's client certificate and key (PEM), signed by the CA. */
  operatorCertRef: ConsulSecretRef;
  operatorKeyRef: ConsulSecretRef;
  /** Defaulted to disabled (ports.http = -1). */
  http?: ConsulTlsHttp;
}

export interface ConsulAclSpec {
  enabled: boolean;
  /** Consul's acl.default_policy; defaulted to deny. */
  defaultPolicy?: 'allow' | 'deny';
}

/** As applied by users: the defaulted fields may be left out. */
export type ConsulClusterSpecInput = Omit<ConsulClusterSpec, 'ui' | 'bootstrapExpect' | 'dataDir'> &
  Partial<Pick<ConsulClusterSpec, 'ui' | 'bootstrapExpect' | 'dataDir'>>;

export type ConsulMemberStatusValue = 'alive' | 'leaving' | 'left' | 'failed' | 'none';

export interface ConsulMemberStatus {
  node: string;
  host: string;
  address: string;
  status: ConsulMemberStatusValue;
  role?: 'server' | 'client';
}

export interface ConsulRaftPeer {
  node: string;
  address: string;
  voter: boolean;
  leader?: boolean;
}

/** One member of the WAN pool (a server of some federated datacenter). */
export interface ConsulWanMemberStatus {
  /** `<node>.<datacenter>`, as `consul members -wan` shows it. */
  name: string;
  datacenter: string;
  /** WAN gossip address (ip:port). */
  address: string;
  status: ConsulMemberStatusValue;
}

export interface ConsulServerDatacenters {
  node: string;
  /** What the server's /v1/catalog/datacenters answered (nearest first); absent when it did not answer. */
  datacenters?: string[];
}

export interface ConsulWanStatus {
  /** The WAN pool as this cluster's reference server sees it. */
  members: ConsulWanMemberStatus[];
  /** Per server of this cluster, the datacenters it knows. */
  servers: ConsulServerDatacenters[];
}

/** One ACL token the cluster runs with, by accessor ID (never its secret). */
export interface ConsulTokenStatus {
  /** initial-management (the aclTokenRef), operator, discovery, or agent. */
  purpose: 'initial-management' | 'operator' | 'discovery' | 'agent';
  accessorID: string;
  /** Agent tokens: the node whose identity the token has. */
  node?: string;
}

export interface ConsulClusterStatus extends BaseStatus {
  /** Node name of the raft leader; absent when there is none. */
  leader?: string;
  raftPeers?: ConsulRaftPeer[];
  members?: ConsulMemberStatus[];
  /** Present when the cluster is federated (its wanJoin, or another cluster's wanJoin naming it). */
  wan?: ConsulWanStatus;
  /** ACL clusters: the tokens the operator made and uses, by accessor ID. */
  tokens?: ConsulTokenStatus[];
}

export type ConsulCluster = Resource<ConsulClusterSpec, ConsulClusterStatus>;

const member = (role: string): Record<string, ReturnType<typeof str>> => ({
  host: hostRef(`Name of the DockerHost that runs this ${role}'s agent container (one agent per host).`),
  node: str(`Consul node name of this ${role} (-node), unique in the cluster. A DNS-1123 label.`, { format: 'dns-label' }),
  bindAddress: str(`IPv4 address the ${role} binds and advertises (-bind/-advertise). Defaults to the DockerHost's address.`, {
    format: 'ipv4',
  }),
});

const secretRef = (what: string) =>
  obj(
    `${what}, read from the store Consul's KV so the secret is never written in the spec.`,
    {
      kvKey: str("Key in the store Consul's KV holding the value.", { format: 'kv-key' }),
    },
    ['kvKey'],
  );

const spec = obj(
  'Desired state of a ConsulCluster.',
  {
    datacenter: str('Consul datacenter name (-datacenter). A DNS-1123 label.', { format: 'dns-label' }),
    image: str(
      'Consul image run by every agent container: any image whose entrypoint runs `consul` with the arguments it is given (`agent -server ...`), e.g. hashicorp/consul:1.8.7 or an image with ENTRYPOINT ["consul"]. Pulled by the host only if missing; a pull that fails shows as Ready=False, reason ImagePullFailed, with the engine\'s message, and is tried again every 30 s. ' +
        'Supported Consul versions: 1.8.0 to 1.x. The agent configuration uses the names of the version in the image tag: 1.8.0–1.11.x get the 1.8 names (acl.tokens.master, agent_master, -ui, top-level TLS settings), ' +
        '1.12.0 and later the current ones (acl.tokens.initial_management, agent_recovery, ui_config, a tls { defaults {...} internal_rpc {...} } stanza); a tag that is not a version gets the 1.8 names, which every 1.x release still accepts. ' +
        'A version outside the range shows as Ready=False, reason UnsupportedConsulVersion, and no agent is started.',
      {
        format: 'image-ref',
      },
    ),
    ui: bool('Serve the web UI on :8500 (-ui).', { default: false }),
    servers: arr(
      'Server agents (-server). Three or five give a fault-tolerant quorum.',
      obj('One server agent.', member('server'), ['host', 'node']),
      {
        minItems: 1,
        maxItems: 7,
      },
    ),
    clients: arr('Client agents that join the servers.', obj('One client agent.', member('client'), ['host', 'node']), { maxItems: 256 }),
    bootstrapExpect: int(
      'Servers to wait for before the first leader election (-bootstrap-expect). Defaults to the number of servers. ' +
        'Must be a majority of the listed servers (so two halves can never each elect a leader) and at most their number. ' +
        'It only matters for the very first election: servers added to the list later join the existing cluster through ' +
        '-retry-join and become voters under the sitting leader, and running agents are not restarted for a changed value.',
      { minimum: 1 },
    ),
    dataDir: str('Data directory on each host (-data-dir). Defaults to /var/lib/swarmop/consul/<cluster name>.', { format: 'abs-path' }),
    retryInterval: str('Time between join attempts (-retry-interval), a Consul duration like 5s. Consul defaults to 30s.', {
      format: 'consul-duration',
    }),
    gossipKeyRef: secretRef(
      "Gossip encryption key (Consul's encrypt). It reaches each agent in a config file (mode 0600) put into the agent container before it starts, never as an argument. " +
        "A new value in KV is installed through Consul's keyring API while every member is alive (old keys removed), then the agents are replaced one at a time. Adding a key to a running cluster that has none is not supported (Consul needs staged encrypt_verify_* settings for that)",
    ),
    aclTokenRef: secretRef(
      "With acl.enabled: the servers' initial management token (acl.tokens.master / initial_management) and the seed of every agent's recovery token; the operator uses it only to make the cluster's own tokens once a leader exists (an operator token for its calls, a discovery token, one agent token per node: status.tokens, docs/consul-tls.md), never for its other calls. Without acl.enabled: the agents' token (acl.tokens.agent) and that of the operator's calls. It reaches each agent in a config file (mode 0600), never as an argument. " +
        'With acl.enabled, changing it on a running cluster is not supported: the running agents refuse the new token, so the cluster shows Ready=False (AgentTokenRejected) and nothing is restarted until the old value is back',
    ),
    acl: obj(
      "Consul's ACL system on every agent (acl.enabled, acl.default_policy). Needs aclTokenRef, the initial management token, with which the operator makes least-privilege tokens for itself and each agent.",
      {
        enabled: bool('Turn the ACL system on (acl.enabled).', { default: false }),
        defaultPolicy: str('What a request without a matching rule gets (acl.default_policy).', {
          enum: ['allow', 'deny'],
          default: 'deny',
        }),
      },
      ['enabled'],
    ),
    clientAddress: str(
      "Where each agent's client APIs (HTTP/HTTPS, with the UI, and DNS) listen (-client): bind (the default) listens on the agent's bind address and 127.0.0.1 only; " +
        'any listens on every address of the host (0.0.0.0), for example to reach the UI through another network of the host.',
      { enum: ['bind', 'any'], default: 'bind' },
    ),
    tls: obj(
      'TLS for the RPC between agents and for the HTTP API of every agent (verify_incoming, verify_outgoing, verify_server_hostname; HTTPS on :8501). ' +
        "The certificates are issued by the user (for example with `consul tls ca create` and `consul tls cert create`) and kept in the store's KV: " +
        "each agent's certificate must be signed by the CA, match its key, name the agent's address as an IP SAN, and for a server also name server.<datacenter>.consul. " +
        'A certificate that fails a check shows as Ready=False, reason TlsCertificateInvalid, and no agent is touched; one that expires within 7 days shows as condition CertificateExpiring. ' +
        'A new certificate in KV rolls the agents one at a time, like any configuration change. See docs/consul-tls.md',
      {
        enabled: bool('Turn TLS on.', { default: false }),
        caCertRef: secretRef("CA certificate (PEM) that signed every agent certificate and the operator's client certificate"),
        agentCertsKvPrefix: str(
          'KV folder with one sub-folder per member node: <prefix>/<node>/cert.pem and <prefix>/<node>/key.pem (PEM).',
          { format: 'kv-key' },
        ),
        operatorCertRef: secretRef('Client certificate (PEM) the operator presents to the agents (verify_incoming asks for one)'),
        operatorKeyRef: secretRef("Private key (PEM) of the operator's client certificate"),
        http: str(
          'The plain-HTTP API once TLS is on: disabled (ports.http = -1, the default) or localhost (still on :8500, bound to 127.0.0.1 only, for tools on the host itself).',
          { enum: ['disabled', 'localhost'], default: 'disabled' },
        ),
      },
      ['enabled', 'caCertRef', 'agentCertsKvPrefix', 'operatorCertRef', 'operatorKeyRef'],
    ),
    wanJoin: arr(
      'Other ConsulClusters (by name) to federate with over the WAN: every server of this cluster starts with -retry-join-wan to their servers, ' +
        "and the operator joins them at once through the agents' HTTP API (join -wan), then keeps them joined: a server that drops out of " +
        '`consul members -wan` on either side is joined again. Each named cluster must run another datacenter. Running agents are not restarted for a ' +
        'changed list. Status shows the WAN members and the datacenters each server sees; condition WanFederated says how federation stands ' +
        '(a name that is not a ConsulCluster shows there as ClusterNotFound). Default: none (one datacenter on its own).',
      str('Name of a ConsulCluster (not this one).', { format: 'dns-label' }),
      { maxItems: 16, uniqueItems: true },
    ),
  },
  ['datacenter', 'image', 'servers'],
);

const status = statusSchema('Observed state of a ConsulCluster, rebuilt by the controller at every reconcile.', {
  leader: str('Node name of the raft leader; absent when there is none.'),
  raftPeers: arr(
    'Raft peers as reported by the leader.',
    obj('One raft peer.', {
      node: str('Node name.'),
      address: str('Raft address (ip:port).'),
      voter: bool('Whether the peer votes.'),
      leader: bool('Whether the peer is the leader.'),
    }),
  ),
  members: arr(
    'Every listed member with its serf status.',
    obj('One member.', {
      node: str('Consul node name.'),
      host: str('DockerHost name.'),
      address: str('Gossip address.'),
      status: str('Serf status.', { enum: ['alive', 'leaving', 'left', 'failed', 'none'] }),
      role: str('server or client.', { enum: ['server', 'client'] }),
    }),
  ),
  tokens: arr(
    'ACL clusters: each token the cluster runs with and what it is for, by accessor ID (secrets stay in the store). The operator calls the agents with the operator token, SwarmCluster discovery uses the discovery token, each agent its own node token.',
    obj('One ACL token.', {
      purpose: str('initial-management (the aclTokenRef: used only to make the others), operator, discovery or agent.', {
        enum: ['initial-management', 'operator', 'discovery', 'agent'],
      }),
      accessorID: str('Accessor ID of the token (`consul acl token read -id`).'),
      node: str('Agent tokens: the node of its node identity.'),
    }),
  ),
  wan: obj('WAN federation as seen from this cluster; present when it joins others (wanJoin) or another cluster names it in its wanJoin.', {
    members: arr(
      "The WAN pool (`consul members -wan`) as this cluster's reference server sees it.",
      obj('One WAN member: a server of some datacenter.', {
        name: str('<node>.<datacenter>.'),
        datacenter: str('Its datacenter.'),
        address: str('WAN gossip address (ip:port).'),
        status: str('Serf status.', { enum: ['alive', 'leaving', 'left', 'failed', 'none'] }),
      }),
    ),
    servers: arr(
      'Per server of this cluster, the datacenters it knows (/v1/catalog/datacenters, nearest first).',
      obj('One server.', {
        node: str('Consul node name.'),
        datacenters: arr('Datacenter names; absent when the server did not answer.', str('Datacenter.')),
      }),
    ),
  }),
});

function defaults(s: ConsulClusterSpec, name: string): ConsulClusterSpec {
  const out = structuredClone(s);
  out.ui ??= false;
  out.bootstrapExpect ??= out.servers.length;
  out.dataDir ??= `/var/lib/swarmop/consul/${name}`;
  if (out.acl) out.acl.defaultPolicy ??= 'deny';
  if (out.tls) out.tls.http ??= 'disabled';
  out.clientAddress ??= 'bind';
  return out;
}

function check(s: ConsulClusterSpec, name?: string): SemanticError[] {
  const errors: SemanticError[] = [];
  (s.wanJoin ?? []).forEach((peer, i) => {
    if (peer === name)
      errors.push({ path: ['spec', 'wanJoin', i], message: `a ConsulCluster cannot WAN-join itself ("${peer}" is this cluster's name)` });
  });
  const nodes = new Map<string, string>();
  const hosts = new Map<string, string>();
  for (const list of ['servers', 'clients'] as const) {
    (s[list] ?? []).forEach((m, i) => {
      const where = `${list}[${i}]`;
      const nodeSeen = nodes.get(m.node);
      if (nodeSeen) errors.push({ path: ['spec', list, i, 'node'], message: `node name "${m.node}" is already used by spec.${nodeSeen}` });
      else nodes.set(m.node, where);
      // One agent per host: agents run with --net host and would fight over the same ports.
      const hostSeen = hosts.get(m.host);
      if (hostSeen) errors.push({ path: ['spec', list, i, 'host'], message: `host "${m.host}" already runs an agent (spec.${hostSeen})` });
      else hosts.set(m.host, where);
    });
  }
  if (s.bootstrapExpect > s.servers.length)
    errors.push({
      path: ['spec', 'bootstrapExpect'],
      message: `bootstrapExpect ${s.bootstrapExpect} is more than the ${s.servers.length} listed servers; the cluster would never elect a leader`,
    });
  const majority = Math.floor(s.servers.length / 2) + 1;
  if (s.bootstrapExpect < majority)
    errors.push({
      path: ['spec', 'bootstrapExpect'],
      message: `bootstrapExpect ${s.bootstrapExpect} is less than ${majority}, a majority of the ${s.servers.length} listed servers; two groups of ${s.bootstrapExpect} could each elect a leader`,
    });
  if (s.acl?.enabled && !s.aclTokenRef)
    errors.push({
      path: ['spec', 'acl', 'enabled'],
      message: 'ACLs need spec.aclTokenRef: the agents and the operator have no token without it',
    });
  if (s.tls?.enabled) {
    const keys = [s.tls.caCertRef.kvKey, s.tls.operatorCertRef.kvKey, s.tls.operatorKeyRef.kvKey];
    if (new Set(keys).size < keys.length)
      errors.push({
        path: ['spec', 'tls'],
        message: 'caCertRef, operatorCertRef and operatorKeyRef must name three different KV keys (a certificate is not its key)',
      });
    const prefix = s.tls.agentCertsKvPrefix.replace(/\/+$/, '');
    (['caCertRef', 'operatorCertRef', 'operatorKeyRef'] as const).forEach((f) => {
      if (s.tls!.enabled && s.tls![f].kvKey.startsWith(`${prefix}/`))
        errors.push({
          path: ['spec', 'tls', f, 'kvKey'],
          message: `${s.tls![f].kvKey} is inside agentCertsKvPrefix ${prefix}/, where only <node>/cert.pem and <node>/key.pem belong`,
        });
    });
  }
  return errors;
}

export const consulClusterKind: KindDefinition<ConsulClusterSpec> = {
  kind: 'ConsulCluster',
  singular: 'consulcluster',
  plural: 'consulclusters',
  shortNames: ['cc'],
  description:
    'A Consul server cluster (one datacenter, optional clients and web UI) run as one agent container per member on DockerHosts, kept joined with a leader and all servers as raft peers.',
  schema: resourceSchema('ConsulCluster', 'A Consul cluster run on DockerHosts.', spec, status),
  printerColumns: [
    { name: 'DATACENTER', value: (r) => text(field(r, 'spec', 'datacenter')) },
    { name: 'SERVERS', value: (r) => String((field(r, 'spec', 'servers') as unknown[] | undefined)?.length ?? 0) },
    { name: 'LEADER', value: (r) => text(field(r, 'status', 'leader')) },
    { name: 'IMAGE', value: (r) => text(field(r, 'spec', 'image')), wide: true },
    {
      name: 'ALIVE',
      value: (r) => {
        const members = field(r, 'status', 'members') as { status?: string }[] | undefined;
        return members ? `${members.filter((m) => m.status === 'alive').length}/${members.length}` : '<none>';
      },
      wide: true,
    },
    {
      name: 'WAN',
      value: (r) => {
        const servers = field(r, 'status', 'wan', 'servers') as { datacenters?: string[] }[] | undefined;
        return servers ? text([...new Set(servers.flatMap((s) => s.datacenters ?? []))].sort()) : '<none>';
      },
      wide: true,
    },
  ],
  defaults,
  check,
};
