/** DockerHost: one Docker Engine endpoint; the other kinds refer to hosts by this name. */
import { bool, int, obj, resourceSchema, statusSchema, str } from './common-schema.js';
import type { BaseStatus, Resource } from './meta.js';
import { field, text, type KindDefinition, type SemanticError } from './kind-info.js';

export interface DockerHostTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface DockerHostSpec {
  /** `tcp://host:port` or `unix:///path/to/docker.sock`. */
  endpoint: string;
  /** The host's LAN address (IPv4): Consul bind/advertise and Swarm advertise default to it. */
  address: string;
  tls?: DockerHostTls;
}

export type SwarmNodeState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface DockerHostStatus extends BaseStatus {
  reachable?: boolean;
  endpoint?: string;
  engineVersion?: string;
  apiVersion?: string;
  os?: string;
  arch?: string;
  kernelVersion?: string;
  swarm?: { nodeID?: string; state: SwarmNodeState; controlAvailable?: boolean };
  lastProbeTime?: string;
  helperImage?: {
    image: string;
    state: 'Present' | 'Imported' | 'Pulled' | 'Failed';
    id?: string;
    message?: string;
    provisionMs?: number;
    reason?: string;
  };
}

export type DockerHost = Resource<DockerHostSpec, DockerHostStatus>;

const spec = obj(
  'Desired state of a DockerHost.',
  {
    endpoint: str(
      'Docker Engine API endpoint: tcp://HOST:PORT (e.g. tcp://10.0.0.11:2375; add tls for :2376) or unix:///ABSOLUTE/PATH to a local socket.',
      { format: 'docker-endpoint' },
    ),
    address: str(
      "The host's LAN IPv4 address (e.g. 10.0.0.11). Consul agents bind and advertise on it and Swarm advertises it unless told otherwise.",
      { format: 'ipv4' },
    ),
    tls: obj(
      'Client TLS for a tcp endpoint whose engine requires certificates (dockerd --tlsverify). Paths are files on the machine running swarmop.',
      {
        caFile: str('CA certificate that signed the engine certificate (PEM), absolute path.', { format: 'abs-path' }),
        certFile: str('Client certificate (PEM), absolute path.', { format: 'abs-path' }),
        keyFile: str('Client private key (PEM), absolute path.', { format: 'abs-path' }),
      },
      ['caFile', 'certFile', 'keyFile'],
    ),
  },
  ['endpoint', 'address'],
);

const status = statusSchema('Observed state of a DockerHost, rebuilt by the controller at every probe.', {
  reachable: bool('Whether the engine answered the last probe.'),
  endpoint: str('The endpoint the last probe used.'),
  engineVersion: str('Docker Engine version reported by the engine.'),
  apiVersion: str('Docker Engine API version.'),
  os: str('Operating system of the engine (e.g. linux).'),
  arch: str('CPU architecture of the engine (e.g. x86_64).'),
  kernelVersion: str('Kernel version of the host.'),
  swarm: obj(
    "The engine's swarm-mode membership.",
    {
      nodeID: str('Swarm node id of this engine.'),
      state: str('Local swarm node state.', { enum: ['inactive', 'pending', 'active', 'error', 'locked'] }),
      controlAvailable: bool('Whether this node is a manager.'),
    },
    ['state'],
  ),
  lastProbeTime: str('When the engine was last probed (RFC 3339).', { format: 'date-time' }),
  helperImage: obj(
    "The StaticIPAttachment network helper's image on this host; the operator puts it there when the host lacks it.",
    {
      image: str("The helper image (swarmop/nethelper:<version> by default, or the operator's --helper-image)."),
      state: str('Present: it was there; Imported / Pulled: the operator put it there; Failed: it is not there (see message).', {
        enum: ['Present', 'Imported', 'Pulled', 'Failed'],
      }),
      id: str('Image id on the host.'),
      message: str("How it was provisioned, or why it failed (the engine's message)."),
      provisionMs: int('How long the operator took to import or pull it (ms).'),
      reason: str(
        'Failed only: RootfsMissing, HelperArchitectureMismatch (the default helper is built for another CPU architecture than the engine reports), ImportFailed, PullFailed or Unavailable.',
      ),
    },
    ['image', 'state'],
  ),
});

function check(s: DockerHostSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  if (s.tls && !s.endpoint.startsWith('tcp://')) errors.push({ path: ['spec', 'tls'], message: 'tls applies only to a tcp:// endpoint' });
  return errors;
}

export const dockerHostKind: KindDefinition<DockerHostSpec> = {
  kind: 'DockerHost',
  singular: 'dockerhost',
  plural: 'dockerhosts',
  shortNames: ['dh'],
  description:
    'A Docker Engine that swarmop manages, reached through its API endpoint. ConsulCluster, SwarmCluster and StaticIPAttachment refer to hosts by this name, so the endpoint is written once.',
  schema: resourceSchema('DockerHost', 'A Docker Engine that swarmop manages.', spec, status),
  printerColumns: [
    { name: 'ENDPOINT', value: (r) => text(field(r, 'spec', 'endpoint')) },
    { name: 'ADDRESS', value: (r) => text(field(r, 'spec', 'address')) },
    { name: 'VERSION', value: (r) => text(field(r, 'status', 'engineVersion')) },
    { name: 'SWARM', value: (r) => text(field(r, 'status', 'swarm', 'state')), wide: true },
    {
      name: 'OS/ARCH',
      value: (r) => (field(r, 'status', 'os') ? `${text(field(r, 'status', 'os'))}/${text(field(r, 'status', 'arch'))}` : '<none>'),
      wide: true,
    },
  ],
  defaults: (s) => structuredClone(s),
  check,
};
