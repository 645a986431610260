/** StaticIPAttachment: pipework's fixed IP for one container, bridged onto the host's LAN. */
import { bool, hostRef, obj, resourceSchema, statusSchema, str } from './common-schema.js';
import {
  checkConsulService,
  consulServiceSchema,
  defaultConsulService,
  type ConsulServiceSpec,
  type ConsulServiceSpecInput,
  type ConsulServiceStatus,
} from './consul-service.js';
import { formatIPv4, parseCidr, parseIPv4 } from './formats.js';
import type { BaseStatus, Resource } from './meta.js';
import { field, text, type KindDefinition, type SemanticError } from './kind-info.js';

export interface StaticIPAttachmentSpec {
  /** DockerHost name. */
  host: string;
  /** Container name on that host. */
  container: string;
  /** Linux bridge on the host, created if missing. */
  bridge: string;
  /** `address/prefix`, e.g. 10.0.0.14/24. */
  address: string;
  gateway?: string;
  /** Interface name inside the container (DEFAULT_INTERFACE when the document names none). */
  interface: string;
  mac?: string;
  /** Host NIC enslaved into the bridge, its addresses and default route moved onto the bridge. */
  uplink?: string;
  /** Remove the bridge (and give the uplink its address back) on delete when nothing else uses it. */
  ownBridge?: boolean;
  /** Register the container as a Consul service on its host's agent. */
  service?: ConsulServiceSpec;
}

/** The container interface when the spec names none; filled in by defaulting, so controllers always see one. */
export const DEFAULT_INTERFACE = 'eth1';

export type StaticIPAttachmentSpecInput = Omit<StaticIPAttachmentSpec, 'interface'> & { interface?: string };

export interface StaticIPAttachmentStatus extends BaseStatus {
  containerID?: string;
  pid?: number;
  interface?: string;
  address?: string;
  mac?: string;
  hostVeth?: string;
  lastAppliedTime?: string;
  /** The Consul registration, when spec.service is set (or was, until it is deregistered). */
  service?: ConsulServiceStatus;
}

export type StaticIPAttachment = Resource<StaticIPAttachmentSpec, StaticIPAttachmentStatus>;

const spec = obj(
  'Desired state of a StaticIPAttachment.',
  {
    host: hostRef('Name of the DockerHost that runs the container.'),
    container: str(
      "Name of the container on that host (Docker's rule: letters, digits, '_', '.', '-'). Attached as soon as it exists and again whenever it restarts.",
      {
        format: 'container-name',
      },
    ),
    bridge: str('Linux bridge on the host the container is attached to (e.g. br0); created if missing.', { format: 'ifname' }),
    address: str('IPv4 address and prefix of the container interface, e.g. 10.0.0.14/24. Not the network or broadcast address.', {
      format: 'ipv4-cidr',
    }),
    gateway: str("Default gateway set inside the container, e.g. 10.0.0.1; must be inside the address's subnet.", { format: 'ipv4' }),
    interface: str(`Interface name inside the container. Default ${DEFAULT_INTERFACE}.`, { format: 'ifname', default: DEFAULT_INTERFACE }),
    mac: str('Unicast MAC address of the container interface, e.g. 02:42:c0:a8:74:72. Default: chosen by the kernel.', { format: 'mac' }),
    uplink: str(
      "Host NIC to enslave into the bridge (e.g. eth0); its addresses and default route move onto the bridge, as in pipework's setup.",
      {
        format: 'ifname',
      },
    ),
    ownBridge: bool(
      'On delete, also remove the bridge (giving the uplink its address back) when no other attachment uses it. Default false.',
    ),
    service: consulServiceSchema,
  },
  ['host', 'container', 'bridge', 'address'],
);

const status = statusSchema('Observed state of a StaticIPAttachment, read from inside the container.', {
  containerID: str('Id of the container the interface was applied to.'),
  pid: { type: 'integer', description: 'PID of the container whose network namespace holds the interface.', minimum: 0 },
  interface: str('Interface name found in the container.'),
  address: str('Address/prefix found on the interface.'),
  mac: str('MAC address found on the interface.'),
  hostVeth: str('Host end of the veth pair, attached to the bridge.'),
  lastAppliedTime: str('When the interface was last (re-)applied (RFC 3339).', { format: 'date-time' }),
  service: obj('The Consul service registration as last observed on the agent.', {
    serviceID: str('Service ID on the agent.', { format: 'dns-label' }),
    agent: str('Consul node name of the agent holding the registration.', { format: 'dns-label' }),
    agentAddress: str(
      'HTTP address (ip:port) of that agent, for people: the operator always finds the agent again from the ConsulCluster and DockerHost specs.',
      {
        pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}:[0-9]{1,5}$',
      },
    ),
    consulCluster: str('ConsulCluster the agent belongs to.', { format: 'dns-label' }),
    health: str("Aggregated health of the service's checks.", { enum: ['passing', 'warning', 'critical', 'unregistered'] }),
  }),
});

function check(s: StaticIPAttachmentSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  const cidr = parseCidr(s.address);
  if (!cidr) return errors;
  // /31 and /32 have no network or broadcast address (RFC 3021).
  if (cidr.prefix <= 30) {
    if (cidr.address === cidr.network)
      errors.push({
        path: ['spec', 'address'],
        message: `${s.address} is the network address of ${formatIPv4(cidr.network)}/${cidr.prefix}`,
      });
    if (cidr.address === cidr.broadcast)
      errors.push({
        path: ['spec', 'address'],
        message: `${s.address} is the broadcast address of ${formatIPv4(cidr.network)}/${cidr.prefix}`,
      });
  }
  if (s.gateway !== undefined) {
    const gw = parseIPv4(s.gateway);
    const subnet = `${formatIPv4(cidr.network)}/${cidr.prefix}`;
    if (gw !== undefined) {
      if (gw < cidr.network || gw > cidr.broadcast)
        errors.push({ path: ['spec', 'gateway'], message: `gateway ${s.gateway} is outside the subnet ${subnet} of address ${s.address}` });
      else if (gw === cidr.address)
        errors.push({ path: ['spec', 'gateway'], message: `gateway ${s.gateway} is the attachment's own address` });
      else if (cidr.prefix <= 30 && (gw === cidr.network || gw === cidr.broadcast))
        errors.push({ path: ['spec', 'gateway'], message: `gateway ${s.gateway} is the network or broadcast address of ${subnet}` });
    }
  }
  if (s.uplink !== undefined && s.uplink === s.bridge)
    errors.push({ path: ['spec', 'uplink'], message: `uplink "${s.uplink}" cannot be the bridge itself` });
  if (s.service) errors.push(...checkConsulService(s.service));
  return errors;
}

export const staticIPAttachmentKind: KindDefinition<StaticIPAttachmentSpec> = {
  kind: 'StaticIPAttachment',
  singular: 'staticipattachment',
  plural: 'staticipattachments',
  shortNames: ['sia'],
  description:
    "A fixed IPv4 address for one container, bridged onto its host's LAN the way pipework does it (bridge, veth pair, interface in the container's network namespace, address, gateway, MAC), re-applied whenever the container restarts.",
  schema: resourceSchema('StaticIPAttachment', 'A fixed IPv4 address for one container.', spec, status),
  printerColumns: [
    { name: 'HOST', value: (r) => text(field(r, 'spec', 'host')) },
    { name: 'CONTAINER', value: (r) => text(field(r, 'spec', 'container')) },
    { name: 'ADDRESS', value: (r) => text(field(r, 'spec', 'address')) },
    { name: 'INTERFACE', value: (r) => text(field(r, 'spec', 'interface')), wide: true },
    { name: 'BRIDGE', value: (r) => text(field(r, 'spec', 'bridge')), wide: true },
    { name: 'MAC', value: (r) => text(field(r, 'status', 'mac') ?? field(r, 'spec', 'mac')), wide: true },
  ],
  defaults: (s, name) => ({
    ...structuredClone(s),
    interface: s.interface ?? DEFAULT_INTERFACE,
    ...(s.service ? { service: defaultConsulService(s.service as ConsulServiceSpecInput, name) } : {}),
  }),
  check,
};
