/**
 * Every condition and event reason the operator can set, with what it means, where to look and the
 * fix: the source of docs/troubleshooting.md (testing/docs-gen/gen-docs.ts writes it). The reason
 * scan (reason-scan.ts) must find each entry here in the code, and each reason-shaped literal of
 * the code here or in NOT_REASONS (gen-docs.test.ts), so the table can neither miss nor keep one.
 */

export type ReasonKind = 'any kind' | 'DockerHost' | 'ConsulCluster' | 'SwarmCluster' | 'StaticIPAttachment';

export interface ReasonEntry {
  kind: ReasonKind;
  /** Where it shows: a condition with its status, or an event (a `drift repaired` event also counts in swarmop_drift_repairs_total{reason}). */
  shows: string;
  meaning: string;
  look: string;
  fix: string;
}

const DRIFT = 'event `drift repaired` (Normal), metric swarmop_drift_repairs_total';
const REPAIRED = 'none: already repaired; if it keeps coming back, find what changes it on the host';
const TRANSIENT = 'none while it converges; if it stays, read the message and the events';

export const REASONS: Readonly<Record<string, ReasonEntry>> = {
  // Any kind (the reconcile driver and the trust policy).
  InvalidSpec: { kind: 'any kind', shows: 'Ready=False', meaning: 'the stored document fails its schema (it was written around the CLI, e.g. a raw KV write)', look: '`swarmop describe KIND NAME` (the message lists the fields)', fix: '`swarmop apply` a corrected document (`swarmop validate -f FILE` checks it first)' },
  ReconcileError: { kind: 'any kind', shows: 'Ready=False, with Degraded=True RepairFailing', meaning: 'the reconcile failed with an error; retried with backoff', look: 'the message, `swarmop events KIND NAME`, the operator log line `reconcile failed`', fix: 'the cause the message names (an engine, an agent or the store not answering)' },
  RepairFailing: { kind: 'any kind', shows: 'Degraded=True, Warning event', meaning: 'a repair failed N times in a row (the attempt count is in the message); retried with backoff', look: 'the message (last error), `swarmop events KIND NAME`', fix: 'the cause the last error names; the next success clears it' },
  NotAllowed: { kind: 'any kind', shows: 'Ready=False', meaning: "the document asks for something outside the operator's limits (--data-dir-root, --allowed-image, --secrets-prefix, a bindAddress that is not its host's, --attach-requires-label, secrets to a plain-HTTP engine)", look: 'the message names the field; the operator\'s flags (docs/reference/cli.md)', fix: "change the document, or the operator's flag if the request is legitimate (docs/security.md)" },
  Unavailable: { kind: 'DockerHost', shows: 'HelperImageReady=False', meaning: "the host's engine failed a call while the network helper image was checked or provisioned", look: 'the message; the operator log line `helper image not provisioned`', fix: 'make the engine answer; retried automatically' },

  // DockerHost.
  Reachable: { kind: 'DockerHost', shows: 'Ready=True', meaning: 'the engine answers (version, OS/arch and swarm state in the message)', look: '—', fix: '—' },
  Unreachable: { kind: 'DockerHost', shows: 'Ready=False', meaning: 'the engine does not answer: connection refused, timeout, no route or no socket', look: '`swarmop describe dh NAME`; from the operator\'s machine `curl http://ADDR:2375/_ping`; the firewall (docs/install.md)', fix: 'start dockerd listening on the endpoint (`-H tcp://0.0.0.0:2375` on a trusted network, or TLS on 2376), open the port, or correct spec.endpoint' },
  TLSHandshakeFailed: { kind: 'DockerHost', shows: 'Ready=False', meaning: 'the TLS handshake with the engine failed (unknown CA, client certificate refused, name mismatch)', look: 'spec.tls files; the engine\'s --tlscacert/--tlscert', fix: "use the CA that signed the engine's certificate and a client certificate the engine's CA signed" },
  TLSRequired: { kind: 'DockerHost', shows: 'Ready=False', meaning: 'the engine wants TLS and the DockerHost has no spec.tls', look: 'spec.endpoint and spec.tls', fix: 'add spec.tls (CA, certificate, key)' },
  ClientUnavailable: { kind: 'DockerHost', shows: 'Ready=False', meaning: 'no Docker client could be made for the host: the endpoint or the TLS files are unusable', look: 'the operator log; whether the operator\'s user can read spec.tls files', fix: 'correct the endpoint or the file paths and permissions' },
  InsecureTlsPort: { kind: 'DockerHost', shows: 'TransportSecure=False', meaning: "the endpoint is Docker's TLS port 2376 but spec.tls is not set, so calls go over plain HTTP", look: 'spec.endpoint', fix: 'set spec.tls, or use port 2375 to say plain HTTP is meant' },
  Present: { kind: 'DockerHost', shows: 'HelperImageReady=True', meaning: 'the network helper image is on the host', look: '—', fix: '—' },
  Imported: { kind: 'DockerHost', shows: 'HelperImageReady=True', meaning: "the operator imported the network helper image from the package's root filesystem", look: '—', fix: '—' },
  Pulled: { kind: 'DockerHost', shows: 'HelperImageReady=True', meaning: 'the host pulled the --helper-image image', look: '—', fix: '—' },
  Failed: { kind: 'DockerHost', shows: 'HelperImageReady=False', meaning: 'the network helper image is not on the host and could not be provisioned', look: 'the message; the operator log line `helper image not provisioned`', fix: 'the cause the message names; retried automatically' },
  HelperArchitectureMismatch: { kind: 'DockerHost', shows: 'HelperImageReady=False', meaning: "the package's helper root filesystem is built for another CPU architecture than the host's", look: 'the message (both architectures)', fix: "pack swarmop on a machine of the hosts' architecture, or give --helper-image an image for it" },
  RootfsMissing: { kind: 'DockerHost', shows: 'HelperImageReady=False', meaning: "the installed package has no helper root filesystem (assets/nethelper-rootfs.tar.gz)", look: 'the installed package', fix: 'install a package made by `npm pack` (it builds the file), or use --helper-image' },
  ImportFailed: { kind: 'DockerHost', shows: 'HelperImageReady=False', meaning: "the engine refused to import the helper root filesystem", look: 'the message; the engine\'s log', fix: "the engine's cause (disk space, storage driver)" },
  PullFailed: { kind: 'DockerHost', shows: 'HelperImageReady=False', meaning: 'the host could not pull the --helper-image image', look: 'the message', fix: "make the registry reachable from the host and the reference right, or load the image into the host" },

  // StaticIPAttachment.
  Attached: { kind: 'StaticIPAttachment', shows: 'Ready=True, Normal event', meaning: 'the address is on the interface, the veth on the bridge, the route in place', look: '—', fix: '—' },
  Detached: { kind: 'StaticIPAttachment', shows: 'Normal event', meaning: 'the attachment was deleted: its interface and host veth were removed', look: '—', fix: '—' },
  Converging: { kind: 'StaticIPAttachment', shows: 'Ready=False', meaning: 'the steps ran but the next look still differs; checked again in 1 s', look: 'the message (what still differs)', fix: TRANSIENT },
  AddressConflict: { kind: 'StaticIPAttachment', shows: 'Ready=False (also ServiceRegistered=False)', meaning: 'an older attachment claims the same address (or the same host, container and interface); this one touches nothing', look: '`swarmop get sia -o wide`', fix: 'give one of them another address, or delete the one that should not have it' },
  HostNotFound: { kind: 'any kind', shows: 'Ready=False (StaticIPAttachment, ConsulCluster, SwarmCluster), Warning event at delete', meaning: 'a host the document names has no DockerHost', look: '`swarmop get dh`', fix: 'apply the DockerHost, or correct the host name' },
  HostUnreachable: { kind: 'any kind', shows: 'Ready=False (StaticIPAttachment, SwarmCluster)', meaning: "the named DockerHost's engine does not answer", look: '`swarmop describe dh HOST`', fix: 'see Unreachable; re-checked as soon as the engine answers' },
  ContainerNotFound: { kind: 'StaticIPAttachment', shows: 'Ready=False', meaning: 'no container of that name on the host', look: '`DOCKER_HOST=tcp://HOST:2375 docker ps -a`', fix: 'create the container, or correct spec.container' },
  ContainerNotRunning: { kind: 'StaticIPAttachment', shows: 'Ready=False', meaning: 'the container exists but is not running (or stopped while being attached)', look: '`docker ps -a` on the host', fix: 'start it: it is attached from its start event' },
  NoOwnNetworkNamespace: { kind: 'StaticIPAttachment', shows: 'Ready=False', meaning: 'the container shares another network namespace (`--net host`, `--net container:X`); nothing is done', look: '`docker inspect -f {{.HostConfig.NetworkMode}} CONTAINER`', fix: 'run the container with a network namespace of its own (e.g. `--net none` or a bridge network)' },
  NetnsRefused: { kind: 'StaticIPAttachment', shows: 'Ready=False', meaning: "the container's SandboxKey is not a namespace file in the engine's netns folder, so the helper will not enter it", look: '`docker inspect -f {{.NetworkSettings.SandboxKey}} CONTAINER`', fix: 'an engine with a standard layout; report it with the message' },
  BridgeConflict: { kind: 'StaticIPAttachment', shows: 'Ready=False', meaning: 'a link with the bridge\'s name exists on the host but is not a bridge', look: '`ip -d link show BRIDGE` on the host', fix: 'choose another spec.bridge, or remove that link' },
  UplinkNotFound: { kind: 'StaticIPAttachment', shows: 'Ready=False', meaning: 'spec.uplink names no link on the host', look: '`ip link` on the host', fix: 'correct spec.uplink (or leave it out when the bridge needs no uplink)' },
  InterfaceConflict: { kind: 'StaticIPAttachment', shows: 'Ready=False', meaning: 'spec.interface already exists in the container, was not made by swarmop, and cannot be adopted: it is not a veth whose host end is on spec.bridge holding spec.address (the message says what it is)', look: '`ip -d addr show IFACE` inside the container (`nsenter -n -t PID`); `ip -d link show HOSTEND` on the host', fix: 'correct spec.bridge / spec.address if they are what the container really has; else remove that interface (or restart the container), or choose another spec.interface' },
  InterfaceAdopted: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: "an interface another tool attached (pipework) with the declared address on the declared bridge was taken over as it is: only its host end was renamed to swarmop's name (`swv…`); repaired as usual from then on", look: '`swarmop events sia NAME`', fix: 'none' },
  BridgeMissing: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the bridge did not exist on the host; created', look: '`swarmop events sia NAME`', fix: REPAIRED },
  BridgeDown: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the bridge was down; set up', look: '`swarmop events sia NAME`', fix: REPAIRED },
  UplinkNotBridged: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: "the uplink was not on the bridge (or its address not moved onto it); moved", look: '`swarmop events sia NAME`', fix: 'if it repeats, a network manager or DHCP client on the host takes the uplink back (docs/operations.md, reboot)' },
  HostVethDetached: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: "the host side of the container's veth was not on the bridge; attached", look: '`swarmop events sia NAME`', fix: REPAIRED },
  HostVethDown: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the host side of the veth was down; set up', look: '`swarmop events sia NAME`', fix: REPAIRED },
  MacChanged: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the interface had another MAC than spec.mac; set', look: '`swarmop events sia NAME`', fix: REPAIRED },
  AddressChanged: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the interface had another or no address; set', look: '`swarmop events sia NAME`', fix: REPAIRED },
  InterfaceDown: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the interface was down; set up', look: '`swarmop events sia NAME`', fix: REPAIRED },
  GatewayRouteChanged: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the default route in the container was missing or elsewhere; set via the gateway', look: '`swarmop events sia NAME`', fix: REPAIRED },
  StaleInterface: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the interface belonged to an old veth pair; replaced', look: '`swarmop events sia NAME`', fix: REPAIRED },
  InterfaceMissing: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the interface was missing in the running container; created', look: '`swarmop events sia NAME`', fix: REPAIRED },
  ContainerRestarted: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the container restarted and lost its interface; attached again', look: '`swarmop events sia NAME`', fix: 'none: this is the repair pipework could not do' },
  ContainerRecreated: { kind: 'any kind', shows: DRIFT, meaning: 'StaticIPAttachment: the container was re-created (new ID); attached again. ConsulCluster: an agent container was re-created', look: '`swarmop events KIND NAME`', fix: REPAIRED },
  Registered: { kind: 'StaticIPAttachment', shows: 'ServiceRegistered=True', meaning: 'the service block is registered with the agent on the host (health in the message)', look: '—', fix: '—' },
  NotRegistered: { kind: 'StaticIPAttachment', shows: 'ServiceRegistered=False', meaning: 'the registration was sent but the agent does not list it', look: '`consul catalog services` on the cluster', fix: "the agent's log; ACLs (service:write)" },
  AgentUnavailable: { kind: 'StaticIPAttachment', shows: 'ServiceRegistered=False', meaning: "the Consul agent on the attachment's host did not answer", look: '`swarmop describe cc CLUSTER`', fix: 'bring the agent back (the ConsulCluster repairs it); retried' },
  ConsulClusterNotFound: { kind: 'StaticIPAttachment', shows: 'ServiceRegistered=False', meaning: 'service.consulCluster names no ConsulCluster', look: '`swarmop get cc`', fix: 'correct the name or apply the cluster' },
  NoAgentOnHost: { kind: 'StaticIPAttachment', shows: 'ServiceRegistered=False', meaning: 'the ConsulCluster has no server or client on the attachment\'s host', look: "the cluster's servers and clients", fix: 'add a client on that host to the ConsulCluster' },
  ServiceMissing: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the service was not registered on the agent (e.g. deregistered by hand); registered', look: '`swarmop events sia NAME`', fix: REPAIRED },
  ServiceChanged: { kind: 'StaticIPAttachment', shows: DRIFT, meaning: 'the registered service differed from the service block; registered again', look: '`swarmop events sia NAME`', fix: REPAIRED },
  ServiceRegistered: { kind: 'StaticIPAttachment', shows: 'Normal event (also the name of the service condition)', meaning: 'the service was registered with the agent', look: '—', fix: '—' },
  ServiceUpdated: { kind: 'StaticIPAttachment', shows: 'Normal event', meaning: 'the service block changed and was registered again', look: '—', fix: '—' },
  ServiceDeregistered: { kind: 'StaticIPAttachment', shows: 'Normal event', meaning: 'the service was deregistered (block removed, moved to another agent, attachment deleted)', look: '—', fix: '—' },

  // ConsulCluster.
  AllMembersAlive: { kind: 'ConsulCluster', shows: 'Ready=True, Degraded=False', meaning: 'a leader, every member alive, every server voting', look: '—', fix: '—' },
  NotCreated: { kind: 'ConsulCluster', shows: 'Ready=False', meaning: 'no agent container exists yet', look: '`swarmop events cc NAME`', fix: TRANSIENT },
  NoLeader: { kind: 'ConsulCluster', shows: 'Ready=False', meaning: 'the agents run but there is no raft leader', look: 'the message (members not alive); `consul operator raft list-peers` on a server', fix: 'bring servers back so a majority runs; check bootstrapExpect and that servers reach each other on 8300/8301' },
  NoQuorum: { kind: 'ConsulCluster', shows: 'Degraded=False', meaning: 'without a leader the cluster is down, not degraded (Ready says why)', look: 'the Ready condition', fix: 'see NoLeader' },
  MemberNotAlive: { kind: 'ConsulCluster', shows: 'Degraded=True', meaning: 'quorum is held but some members are not alive', look: 'the message; `consul members`', fix: 'usually repaired by the operator; else the host or its network' },
  MembersNotAlive: { kind: 'ConsulCluster', shows: 'Ready=False', meaning: 'some members are failed or left', look: 'the message; `consul members`', fix: 'repaired by rejoin or restart; if it stays, the host or the gossip ports (8301 tcp/udp)' },
  RollingUpdate: { kind: 'ConsulCluster', shows: 'Ready=False', meaning: 'a configuration change is being rolled out one agent at a time', look: 'the message (agents pending)', fix: TRANSIENT },
  RaftPeersMissing: { kind: 'ConsulCluster', shows: 'Ready=False', meaning: 'alive servers are not voting raft peers yet', look: '`consul operator raft list-peers`', fix: TRANSIENT },
  AgentContainersDown: { kind: 'ConsulCluster', shows: 'Ready=False', meaning: 'agent containers are gone or stopped on reachable hosts', look: '`docker ps -a` on the host', fix: 'restarted by the operator; if not, the events say why' },
  Repairing: { kind: 'ConsulCluster', shows: 'Ready=False', meaning: 'a repair is in flight (the message says which)', look: 'the message', fix: TRANSIENT },
  RemovingMembers: { kind: 'ConsulCluster', shows: 'Ready=False', meaning: 'agents that are no longer in the spec still run; being removed', look: 'the message', fix: TRANSIENT },
  SecretNotFound: { kind: 'ConsulCluster', shows: 'Ready=False, Degraded=Unknown', meaning: 'a gossipKeyRef or aclTokenRef key is missing in the store', look: '`consul kv get PREFIXsecrets/...`', fix: 'write the key under --secrets-prefix (docs/kinds/consulcluster.md)' },
  AgentTokenRejected: { kind: 'ConsulCluster', shows: 'Ready=False, Degraded=Unknown', meaning: "the agents refuse the ACL token of aclTokenRef (HTTP 403)", look: 'the message; the token\'s policies', fix: 'a token with operator and agent write rights (docs/security.md)' },
  ImagePullFailed: { kind: 'ConsulCluster', shows: 'Ready=False, Warning event', meaning: 'a host could not pull spec.image; no container was created; tried again every 30 s', look: 'the message (the engine\'s)', fix: 'make the image reachable from the host, or load it there' },
  ClusterCreated: { kind: 'ConsulCluster', shows: 'Normal event', meaning: 'the agents of a new cluster were created', look: '—', fix: '—' },
  MembersAdded: { kind: 'ConsulCluster', shows: 'Normal event', meaning: 'agents for new members were created', look: '—', fix: '—' },
  AgentsRemoved: { kind: 'ConsulCluster', shows: 'Normal event', meaning: 'agent containers were removed from a host (delete, or a member taken out of the spec)', look: '—', fix: '—' },
  RepairFailed: { kind: 'ConsulCluster', shows: 'Warning event', meaning: 'one repair action failed (the message says which); planned again', look: 'the message', fix: 'the cause it names' },
  RepairNotSettled: { kind: 'ConsulCluster', shows: 'Warning event', meaning: 'a repair did not make the member healthy in time; acting again', look: 'the events before it', fix: 'if it repeats: the host, its disk, or the gossip/raft ports' },
  ContainerStarted: { kind: 'ConsulCluster', shows: DRIFT, meaning: 'a stopped agent container was started', look: '`swarmop events cc NAME`', fix: REPAIRED },
  AgentRestarted: { kind: 'ConsulCluster', shows: DRIFT, meaning: 'an agent was restarted', look: '`swarmop events cc NAME`', fix: REPAIRED },
  ContainerReplaced: { kind: 'ConsulCluster', shows: DRIFT, meaning: "an agent container was replaced (its configuration differed)", look: '`swarmop events cc NAME`', fix: REPAIRED },
  MemberRejoined: { kind: 'ConsulCluster', shows: DRIFT, meaning: 'a failed or left member was joined again', look: '`swarmop events cc NAME`', fix: REPAIRED },
  MemberRemoved: { kind: 'ConsulCluster', shows: DRIFT, meaning: 'an agent that is not in the spec was removed', look: '`swarmop events cc NAME`', fix: REPAIRED },
  MemberForceLeft: { kind: 'ConsulCluster', shows: DRIFT, meaning: 'a member that is gone was force-left', look: '`swarmop events cc NAME`', fix: REPAIRED },
  RaftPeerRemoved: { kind: 'ConsulCluster', shows: DRIFT, meaning: 'a stale raft peer was removed', look: '`swarmop events cc NAME`', fix: REPAIRED },
  NodeIDReclaimed: { kind: 'ConsulCluster', shows: DRIFT, meaning: "a node name held by an old node ID was given back to the member's agent", look: '`swarmop events cc NAME`', fix: REPAIRED },
  GossipKeyRotated: { kind: 'ConsulCluster', shows: DRIFT, meaning: "the cluster's gossip keyring differed from the key in the store; installed, made primary, old keys removed", look: '`swarmop events cc NAME`', fix: REPAIRED },
  Federated: { kind: 'ConsulCluster', shows: 'WanFederated=True', meaning: 'every server of every datacenter is alive in the WAN pool', look: '—', fix: '—' },
  WanMembersMissing: { kind: 'ConsulCluster', shows: 'WanFederated=False', meaning: 'some servers do not see others in the WAN pool', look: '`consul members -wan`', fix: 'rejoined by the operator; if it stays, port 8302 tcp/udp between the datacenters' },
  DatacentersMissing: { kind: 'ConsulCluster', shows: 'WanFederated=False', meaning: 'a wanJoin datacenter is not listed by every server', look: '`consul members -wan`', fix: 'the other cluster\'s servers and port 8302' },
  NoServerAnswers: { kind: 'ConsulCluster', shows: 'WanFederated=Unknown', meaning: 'no server of this cluster answered its WAN member list', look: 'the Ready condition', fix: 'see NoLeader / MembersNotAlive' },
  ClusterNotFound: { kind: 'ConsulCluster', shows: 'WanFederated=False', meaning: 'wanJoin names a ConsulCluster that does not exist', look: '`swarmop get cc`', fix: 'correct wanJoin or apply that cluster' },
  DatacenterConflict: { kind: 'ConsulCluster', shows: 'WanFederated=False', meaning: 'wanJoin names a cluster with the same datacenter name', look: 'spec.datacenter of both', fix: 'datacenters must differ to federate' },
  PeerHostNotFound: { kind: 'ConsulCluster', shows: 'WanFederated=False', meaning: "a server host of the named cluster has no DockerHost, so it has no address to join", look: '`swarmop get dh`', fix: 'apply the DockerHost' },
  WanJoined: { kind: 'ConsulCluster', shows: 'Normal event', meaning: 'the servers were joined over the WAN to the named clusters', look: '—', fix: '—' },
  WanMemberRejoined: { kind: 'ConsulCluster', shows: DRIFT, meaning: 'a server that dropped out of the WAN pool was joined again', look: '`swarmop events cc NAME`', fix: REPAIRED },

  // SwarmCluster.
  AllNodesReady: { kind: 'SwarmCluster', shows: 'Ready=True', meaning: 'every listed node is in the swarm, ready, with its role and availability', look: '—', fix: '—' },
  AsExpected: { kind: 'SwarmCluster', shows: 'Degraded=False', meaning: 'no degraded nodes', look: '—', fix: '—' },
  NodeMissing: { kind: 'SwarmCluster', shows: 'Ready=False, Degraded=True', meaning: 'a listed host is not in the swarm', look: '`docker node ls` on a manager', fix: TRANSIENT },
  NodeNotReady: { kind: 'SwarmCluster', shows: 'Ready=False, Degraded=True', meaning: 'a listed node is not ready', look: '`docker node ls`', fix: 'the host and port 2377/7946 between the nodes' },
  WrongRole: { kind: 'SwarmCluster', shows: 'Ready=False, Degraded=True', meaning: 'a node is a manager listed as worker, or the other way round', look: '`docker node ls`', fix: TRANSIENT },
  WrongAvailability: { kind: 'SwarmCluster', shows: 'Ready=False, Degraded=True', meaning: 'a node\'s availability differs from the spec', look: '`docker node ls`', fix: TRANSIENT },
  NodePending: { kind: 'SwarmCluster', shows: 'Ready=False, Degraded=True', meaning: 'a swarm join is in progress on the host', look: '`docker info` on the host', fix: TRANSIENT },
  NodeLocked: { kind: 'SwarmCluster', shows: 'Ready=False, Degraded=True', meaning: 'the swarm is locked (autolock) on the host', look: '`docker info` on the host', fix: 'run `docker swarm unlock` on it' },
  NodeDown: { kind: 'SwarmCluster', shows: 'Ready=False, Degraded=True', meaning: 'the node shows down while its engine answers', look: '`docker node ls`', fix: 'rejoined by the operator after a grace period (NodeRejoined)' },
  RoleChangePending: { kind: 'SwarmCluster', shows: 'Ready=False, Degraded=True', meaning: 'a promotion or demotion waits for swarmkit (up to ~32 s after an earlier change)', look: 'the message', fix: TRANSIENT },
  SwarmNotInitialized: { kind: 'SwarmCluster', shows: 'Ready=False', meaning: 'no listed manager is in a swarm yet', look: '`swarmop events sc NAME`', fix: TRANSIENT },
  QuorumLost: { kind: 'SwarmCluster', shows: 'Ready=False', meaning: 'the swarm lost manager quorum, or every listed manager lost its swarm state; nothing is forced', look: 'the message (the recovery command)', fix: 'bring the managers back, or run the command in the message, or set spec.allowForceNewCluster: true' },
  ManagerUnreachable: { kind: 'SwarmCluster', shows: 'Ready=False', meaning: 'the first listed manager must answer before the swarm is created', look: '`swarmop describe dh HOST`', fix: 'see Unreachable' },
  NoManagerVisible: { kind: 'SwarmCluster', shows: 'Ready=False', meaning: 'listed hosts are in a swarm but no listed host is its manager; waiting instead of creating a second swarm', look: '`docker info` on those hosts', fix: "list that swarm's managers, or set spec.allowForceNewCluster: true to start a new swarm" },
  QuorumAtRisk: { kind: 'SwarmCluster', shows: 'Degraded=True', meaning: 'a stale manager entry cannot be removed without losing quorum', look: '`docker node ls`', fix: 'bring another manager up first' },
  DemotionWouldLoseQuorum: { kind: 'SwarmCluster', shows: 'Degraded=True', meaning: 'a manager listed as worker stays manager: demoting it would lose quorum', look: 'the message', fix: 'make the other managers reachable first' },
  PruneBlocked: { kind: 'SwarmCluster', shows: 'Degraded=True', meaning: 'an unlisted node is kept though prune is on: it is the raft leader, or removing it would lose quorum', look: 'the message', fix: 'make a listed manager leader first (`docker node demote` the unlisted one)' },
  ActionFailed: { kind: 'SwarmCluster', shows: 'Degraded=True', meaning: 'a swarm action failed (the message says which)', look: 'the message', fix: 'the cause it names; retried' },
  DiscoveryFailed: { kind: 'SwarmCluster', shows: 'Degraded=True', meaning: 'the classic Swarm discovery list could not be written into the ConsulCluster\'s KV', look: 'the message', fix: 'the ConsulCluster (Ready?), ACLs' },
  DiscoveryUpdated: { kind: 'SwarmCluster', shows: 'Normal event', meaning: 'the discovery list was updated', look: '—', fix: '—' },
  DiscoveryCleared: { kind: 'SwarmCluster', shows: 'Normal event', meaning: 'the discovery keys were removed', look: '—', fix: '—' },
  SwarmInitialized: { kind: 'SwarmCluster', shows: 'Normal event / drift repaired', meaning: 'a swarm was created on the first listed manager', look: '—', fix: '—' },
  NodeJoined: { kind: 'SwarmCluster', shows: 'Normal event', meaning: 'a listed host joined the swarm', look: '—', fix: '—' },
  NodeRejoined: { kind: 'SwarmCluster', shows: DRIFT, meaning: 'a node that left, lost its state, showed down or fell out of raft was joined again', look: '`swarmop events sc NAME`', fix: REPAIRED },
  RoleRestored: { kind: 'SwarmCluster', shows: DRIFT, meaning: "a node's role was set back to the spec's", look: '`swarmop events sc NAME`', fix: REPAIRED },
  AvailabilityRestored: { kind: 'SwarmCluster', shows: DRIFT, meaning: "a node's availability was set back to the spec's", look: '`swarmop events sc NAME`', fix: REPAIRED },
  StaleNodeRemoved: { kind: 'SwarmCluster', shows: DRIFT, meaning: 'stale node entries of a host were removed', look: '`swarmop events sc NAME`', fix: REPAIRED },
  QuorumRestored: { kind: 'SwarmCluster', shows: DRIFT, meaning: 'with allowForceNewCluster, the swarm was re-created with --force-new-cluster', look: '`swarmop events sc NAME`', fix: REPAIRED },
  NodeDraining: { kind: 'SwarmCluster', shows: 'Normal event', meaning: 'an unlisted node is drained before it is pruned (prune on)', look: '—', fix: '—' },
  NodePruned: { kind: 'SwarmCluster', shows: DRIFT, meaning: 'an unlisted node was removed (prune on)', look: '`swarmop events sc NAME`', fix: 'list the node if it should stay' },
};

/** Reason-shaped literals of the code that are not reasons, and what they are. */
export const NOT_REASONS: Readonly<Record<string, string>> = {
  DockerHost: 'a kind',
  ConsulCluster: 'a kind',
  SwarmCluster: 'a kind',
  StaticIPAttachment: 'a kind',
  Ready: 'a condition type',
  Degraded: 'a condition type',
  HelperImageReady: 'a condition type',
  TransportSecure: 'a condition type',
  WanFederated: 'a condition type',
  True: 'a condition status',
  False: 'a condition status',
  Unknown: 'a condition status',
  Normal: 'an event type',
  Warning: 'an event type',
  Invalid: 'an error code (exit 2)',
  Internal: 'an error code (exit 7)',
  Conflict: 'an error code (exit 4)',
  NotFound: 'an error code (exit 3)',
  Forbidden: 'an error code (exit 5)',
  Timeout: 'an error code (exit 6)',
  LeadershipLost: 'an error code (the operator lost its lock)',
  TimeoutError: "a JavaScript error name",
  Swarm: "a field of Docker's /info",
  NodeID: "a field of Docker's /info",
  LocalNodeState: "a field of Docker's /info",
  ControlAvailable: "a field of Docker's /info",
  SandboxKey: "a field of docker inspect",
  Bootstrap: "the create action's kind in the operator log (the event says ClusterCreated)",
  MemberAdded: "the create action's kind in the operator log (the event says MembersAdded)",
};
