/** SwarmCluster: a Docker swarm-mode cluster over DockerHosts, optionally published in classic Swarm's Consul layout. */
import { arr, bool, hostRef, obj, resourceSchema, statusSchema, str } from './common-schema.js';
import { goDurationMs } from '../go-duration.js';
import type { BaseStatus, Resource } from './meta.js';
import { field, text, type KindDefinition, type SemanticError } from './kind-info.js';

export type SwarmAvailability = 'active' | 'pause' | 'drain';

export interface SwarmDiscovery {
  /** Name of the ConsulCluster whose KV receives the node list. */
  consulCluster: string;
  /** KV path; nodes are written at <path>/docker/swarm/nodes/<ip:port>. Default `swarm`. */
  path: string;
  /** TTL of the session that keeps each node's key (Consul duration, 10s-24h). Default 20s. */
  ttl: string;
}

export interface SwarmClusterSpec {
  /** DockerHost names; the first one initialises the swarm. */
  managers: string[];
  workers: string[];
  /** Availability of every listed node. Default `active`. */
  availability: SwarmAvailability;
  /** Interface whose address nodes advertise; default: the DockerHost's address. */
  advertiseInterface?: string;
  /** Drain and remove nodes that are not listed. Default false. */
  prune: boolean;
  /** Allow `--force-new-cluster` on the first manager when quorum is lost. Absent means false. */
  allowForceNewCluster?: boolean;
  discovery?: SwarmDiscovery;
}

export type SwarmClusterSpecInput = Omit<SwarmClusterSpec, 'workers' | 'availability' | 'prune' | 'discovery'> &
  Partial<Pick<SwarmClusterSpec, 'workers' | 'availability' | 'prune'>> & {
    discovery?: { consulCluster: string; path?: string; ttl?: string };
  };

export interface SwarmNodeStatus {
  hostname: string;
  nodeID?: string;
  role: 'manager' | 'worker';
  state: 'unknown' | 'down' | 'ready' | 'disconnected';
  availability: SwarmAvailability;
  engineVersion?: string;
  /** Managers only. */
  reachability?: 'unknown' | 'unreachable' | 'reachable';
  leader?: boolean;
  address?: string;
}

export interface SwarmClusterStatus extends BaseStatus {
  swarmID?: string;
  nodes?: SwarmNodeStatus[];
}

export type SwarmCluster = Resource<SwarmClusterSpec, SwarmClusterStatus>;

const AVAILABILITY = ['active', 'pause', 'drain'];

const spec = obj(
  'Desired state of a SwarmCluster.',
  {
    managers: arr(
      'DockerHost names that are swarm managers; the first one initialises the swarm. An odd number keeps quorum.',
      hostRef('DockerHost name.'),
      {
        minItems: 1,
        maxItems: 7,
      },
    ),
    workers: arr('DockerHost names that are swarm workers.', hostRef('DockerHost name.'), { default: [], maxItems: 1000 }),
    availability: str('Availability of every listed node: active, pause or drain.', { enum: AVAILABILITY, default: 'active' }),
    advertiseInterface: str("Host interface whose address nodes advertise (--advertise-addr). Default: the DockerHost's address.", {
      format: 'ifname',
    }),
    prune: bool('Drain and remove swarm nodes that are not listed. Off by default: unknown nodes are left alone.', { default: false }),
    allowForceNewCluster: bool(
      'When the managers lost quorum, re-create the swarm from the first manager (--force-new-cluster). Off by default: Ready=False with reason QuorumLost instead.',
    ),
    discovery: obj(
      "Publish the node list into a ConsulCluster's KV in classic Swarm's layout (<path>/docker/swarm/nodes/<ip:port>), so tools reading consul://…/<path> keep working.",
      {
        consulCluster: str('Name of the ConsulCluster whose KV receives the list.', { format: 'dns-label' }),
        path: str('KV path of the list. Default swarm.', { format: 'kv-key', default: 'swarm' }),
        ttl: str("TTL of the session that keeps each node's key, a Consul duration from 10s to 24h. Default 20s.", {
          format: 'consul-duration',
          default: '20s',
        }),
      },
      ['consulCluster'],
    ),
  },
  ['managers'],
);

const status = statusSchema('Observed state of a SwarmCluster, rebuilt by the controller at every reconcile.', {
  swarmID: str('Id of the swarm.'),
  nodes: arr(
    'Every swarm node as the managers see it.',
    obj('One swarm node.', {
      hostname: str('Node hostname.'),
      nodeID: str('Swarm node id.'),
      role: str('manager or worker.', { enum: ['manager', 'worker'] }),
      state: str('Node state.', { enum: ['unknown', 'down', 'ready', 'disconnected'] }),
      availability: str('Node availability.', { enum: AVAILABILITY }),
      engineVersion: str('Engine version of the node.'),
      reachability: str('Manager reachability (managers only).', { enum: ['unknown', 'unreachable', 'reachable'] }),
      leader: bool('Whether this manager is the raft leader.'),
      address: str('Node address.'),
    }),
  ),
});

function defaults(s: SwarmClusterSpec): SwarmClusterSpec {
  const out = structuredClone(s);
  out.workers ??= [];
  out.availability ??= 'active';
  out.prune ??= false;
  if (out.discovery) {
    out.discovery.path ??= 'swarm';
    out.discovery.ttl ??= '20s';
  }
  return out;
}

function check(s: SwarmClusterSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  const seen = new Map<string, string>();
  for (const list of ['managers', 'workers'] as const) {
    s[list].forEach((host, i) => {
      const prev = seen.get(host);
      if (prev === undefined) seen.set(host, `${list}[${i}]`);
      else if (prev.startsWith(list)) errors.push({ path: ['spec', list, i], message: `host "${host}" is listed twice (spec.${prev})` });
      else errors.push({ path: ['spec', list, i], message: `host "${host}" cannot be both manager and worker (spec.${prev})` });
    });
  }
  if (s.discovery) {
    // The consul-duration format has already refused text that is not a duration.
    const ms = goDurationMs(s.discovery.ttl) ?? 0;
    if (ms < 10_000 || ms > 86_400_000)
      errors.push({
        path: ['spec', 'discovery', 'ttl'],
        message: `ttl "${s.discovery.ttl}" is outside Consul's session TTL range 10s-24h`,
      });
  }
  return errors;
}

export const swarmClusterKind: KindDefinition<SwarmClusterSpec> = {
  kind: 'SwarmCluster',
  singular: 'swarmcluster',
  plural: 'swarmclusters',
  shortNames: ['sc'],
  description:
    "A Docker swarm-mode cluster over DockerHosts: the listed managers and workers are joined in their roles and re-joined when they drop out; optionally the node list is published in classic Swarm's Consul discovery layout.",
  schema: resourceSchema('SwarmCluster', 'A Docker swarm-mode cluster over DockerHosts.', spec, status),
  printerColumns: [
    { name: 'MANAGERS', value: (r) => String((field(r, 'spec', 'managers') as unknown[] | undefined)?.length ?? 0) },
    { name: 'WORKERS', value: (r) => String((field(r, 'spec', 'workers') as unknown[] | undefined)?.length ?? 0) },
    {
      name: 'NODES',
      value: (r) => {
        const nodes = field(r, 'status', 'nodes') as { state?: string }[] | undefined;
        return nodes ? `${nodes.filter((n) => n.state === 'ready').length}/${nodes.length}` : '<none>';
      },
    },
    { name: 'SWARM-ID', value: (r) => text(field(r, 'status', 'swarmID')), wide: true },
  ],
  defaults,
  check,
};
