/**
 * ServiceAddresses: fixed IPv4 addresses for the tasks of a Docker Swarm service, one per task slot
 * (replicated services) or per node (global services), attached the way a StaticIPAttachment
 * attaches one container's address, and moved along when Swarm moves a task.
 */
import { arr, bool, int, obj, resourceSchema, statusSchema, str } from './common-schema.js';
import { formatIPv4, parseCidr, parseIPv4 } from './formats.js';
import type { BaseStatus, Resource } from './meta.js';
import { field, type KindDefinition, type SemanticError } from './kind-info.js';
import { DEFAULT_INTERFACE } from './static-ip-attachment.js';

/** The most addresses one object may hand out (a range is expanded into a list). */
export const MAX_SERVICE_ADDRESSES = 1024;

export interface AddressRange {
  /** First address of the range (dotted IPv4). */
  from: string;
  /** Last address, inclusive. */
  to: string;
  prefixLength: number;
}

export interface ServiceAddressesSpec {
  /** SwarmCluster name: its managers are asked for the service's tasks, its hosts run them. */
  swarmCluster: string;
  /** Swarm service name. */
  service: string;
  bridge: string;
  uplink?: string;
  gateway?: string;
  /** Interface name inside each task's container (DEFAULT_INTERFACE when the document names none). */
  interface: string;
  /** `address/prefix` per slot, in slot order. Exactly one of addresses and addressRange. */
  addresses?: string[];
  addressRange?: AddressRange;
  /** Remove the bridge on delete when nothing else uses it. */
  ownBridge?: boolean;
}

export type ServiceAddressesSpecInput = Omit<ServiceAddressesSpec, 'interface'> & { interface?: string };

export interface SlotStatus {
  /** `1`, `2`, ... for replicated services; the node's hostname for global ones. */
  slot: string;
  address: string;
  taskID?: string;
  node?: string;
  /** DockerHost the task's node is. */
  host?: string;
  containerID?: string;
  /** Name of the task's container (`<service>.<slot or node id>.<task id>`). */
  container?: string;
  /** PID of that container when it was attached (a restart is told by a new PID). */
  pid?: number;
  attached: boolean;
  /** Why not attached (reason: message), or what holds it. */
  reason?: string;
  message?: string;
}

export interface ServiceAddressesStatus extends BaseStatus {
  /** `replicated` or `global`, as the manager reports the service. */
  mode?: string;
  slots?: SlotStatus[];
  /** Number of slots whose task holds its address. */
  attached?: number;
  /** Number of slots with a running task. */
  tasks?: number;
  lastAppliedTime?: string;
}

export type ServiceAddresses = Resource<ServiceAddressesSpec, ServiceAddressesStatus>;

const spec = obj(
  'Desired state of a ServiceAddresses.',
  {
    swarmCluster: str('Name of the SwarmCluster that runs the service.', { format: 'dns-label' }),
    service: str("Name of the Swarm service (Docker's rule: letters, digits, '_', '.', '-').", { format: 'container-name' }),
    bridge: str("Linux bridge on each node the tasks' interfaces are attached to (e.g. br0); created if missing.", { format: 'ifname' }),
    uplink: str('Host NIC to enslave into the bridge on each node (e.g. eth0); its addresses and default route move onto the bridge.', {
      format: 'ifname',
    }),
    gateway: str("Default gateway set inside each task's container; must be inside every address's subnet.", { format: 'ipv4' }),
    interface: str(`Interface name inside each task's container. Default ${DEFAULT_INTERFACE}.`, {
      format: 'ifname',
      default: DEFAULT_INTERFACE,
    }),
    addresses: arr(
      'IPv4 address/prefix per slot, in slot order: replicated services give slot 1 the first, slot 2 the second, ...; global services give the nodes, sorted by hostname, one each.',
      str('Address and prefix, e.g. 10.0.0.50/24.', { format: 'ipv4-cidr' }),
      { minItems: 1, maxItems: MAX_SERVICE_ADDRESSES },
    ),
    addressRange: obj(
      'The addresses as a range instead of a list: from, from+1, ... to, each with prefixLength.',
      {
        from: str('First address, e.g. 10.0.0.50.', { format: 'ipv4' }),
        to: str('Last address (inclusive), e.g. 10.0.0.59.', { format: 'ipv4' }),
        prefixLength: int('Prefix length of every address, e.g. 24.', { minimum: 1, maximum: 32 }),
      },
      ['from', 'to', 'prefixLength'],
    ),
    ownBridge: bool(
      'On delete, also remove the bridge on each node (giving the uplink its address back) when nothing else uses it. Default false.',
    ),
  },
  ['swarmCluster', 'service', 'bridge'],
);

const slotStatus = obj('One slot and the task that holds it.', {
  slot: str('Slot number (replicated) or node hostname (global).'),
  address: str("The slot's address/prefix."),
  taskID: str('Swarm task id.'),
  node: str('Hostname of the node the task runs on.'),
  host: str('DockerHost of that node.'),
  containerID: str("Id of the task's container."),
  container: str("Name of the task's container.", { format: 'container-name' }),
  pid: int('PID of that container when it was attached.', { minimum: 0 }),
  attached: bool('Whether the container holds the address.'),
  reason: str('Why not, as a CamelCase reason.'),
  message: str('Why not, in words.'),
});

const status = statusSchema('Observed state of a ServiceAddresses, rebuilt at every reconcile.', {
  mode: str('Service mode as the manager reports it.', { enum: ['replicated', 'global'] }),
  slots: arr('Every slot with an address, in slot order.', slotStatus),
  attached: int('Slots whose task holds its address.', { minimum: 0 }),
  tasks: int('Slots with a running task.', { minimum: 0 }),
  lastAppliedTime: str('When an address was last attached or moved (RFC 3339).', { format: 'date-time' }),
});

/** The slot addresses of a valid spec, in order (`a.b.c.d/p`). Empty when the spec names none. */
export function slotAddresses(s: Pick<ServiceAddressesSpec, 'addresses' | 'addressRange'>): string[] {
  if (s.addresses) return [...s.addresses];
  const r = s.addressRange;
  if (!r) return [];
  const from = parseIPv4(r.from);
  const to = parseIPv4(r.to);
  if (from === undefined || to === undefined || to < from || to - from >= MAX_SERVICE_ADDRESSES) return [];
  const out: string[] = [];
  for (let ip = from; ip <= to; ip++) out.push(`${formatIPv4(ip)}/${r.prefixLength}`);
  return out;
}

function checkAddress(cidrText: string, path: (string | number)[], errors: SemanticError[], gateway: string | undefined): void {
  const cidr = parseCidr(cidrText);
  if (!cidr) return;
  const subnet = `${formatIPv4(cidr.network)}/${cidr.prefix}`;
  if (cidr.prefix <= 30 && (cidr.address === cidr.network || cidr.address === cidr.broadcast))
    errors.push({ path, message: `${cidrText} is the ${cidr.address === cidr.network ? 'network' : 'broadcast'} address of ${subnet}` });
  const gw = gateway !== undefined ? parseIPv4(gateway) : undefined;
  if (gw === undefined) return;
  if (gw < cidr.network || gw > cidr.broadcast)
    errors.push({ path: ['spec', 'gateway'], message: `gateway ${gateway} is outside the subnet ${subnet} of address ${cidrText}` });
  else if (gw === cidr.address) errors.push({ path, message: `${cidrText} is the gateway's address` });
}

function check(s: ServiceAddressesSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  if ((s.addresses === undefined) === (s.addressRange === undefined)) {
    errors.push({ path: ['spec'], message: 'exactly one of spec.addresses and spec.addressRange must be set' });
    return errors;
  }
  if (s.addressRange) {
    const r = s.addressRange;
    const from = parseIPv4(r.from);
    const to = parseIPv4(r.to);
    if (from !== undefined && to !== undefined) {
      if (to < from) errors.push({ path: ['spec', 'addressRange', 'to'], message: `${r.to} is before from (${r.from})` });
      else if (to - from >= MAX_SERVICE_ADDRESSES)
        errors.push({
          path: ['spec', 'addressRange', 'to'],
          message: `the range ${r.from}-${r.to} has ${to - from + 1} addresses; at most ${MAX_SERVICE_ADDRESSES}`,
        });
      else {
        const a = parseCidr(`${r.from}/${r.prefixLength}`);
        const b = parseCidr(`${r.to}/${r.prefixLength}`);
        if (a && b && a.network !== b.network)
          errors.push({ path: ['spec', 'addressRange'], message: `${r.from} and ${r.to} are not in one /${r.prefixLength} subnet` });
      }
    }
    if (errors.length > 0) return errors;
  }
  const seen = new Map<string, number>();
  const list = slotAddresses(s);
  list.forEach((a, i) => {
    const path = s.addresses ? ['spec', 'addresses', i] : ['spec', 'addressRange'];
    const ip = a.split('/')[0]!;
    const prev = seen.get(ip);
    if (prev !== undefined) errors.push({ path, message: `address ${ip} is listed twice (also spec.addresses[${prev}])` });
    else seen.set(ip, i);
    // A range's addresses share a subnet: its first and last address stand for all of them.
    if (s.addresses || i === 0 || i === list.length - 1) checkAddress(a, path, errors, s.gateway);
  });
  if (s.uplink !== undefined && s.uplink === s.bridge)
    errors.push({ path: ['spec', 'uplink'], message: `uplink "${s.uplink}" cannot be the bridge itself` });
  return errors;
}

export const serviceAddressesKind: KindDefinition<ServiceAddressesSpec> = {
  kind: 'ServiceAddresses',
  singular: 'serviceaddresses',
  plural: 'serviceaddresses',
  shortNames: ['sa', 'svcaddr'],
  description:
    "Fixed IPv4 addresses for the tasks of a Docker Swarm service: slot N of a replicated service (or the task on each node of a global one) gets its own address, attached to the task's container like a StaticIPAttachment and moved to the new container whenever Swarm replaces or reschedules the task.",
  schema: resourceSchema('ServiceAddresses', 'Fixed IPv4 addresses for the tasks of a Swarm service.', spec, status),
  printerColumns: [
    { name: 'SWARM', value: (r) => String(field(r, 'spec', 'swarmCluster') ?? '<none>') },
    { name: 'SERVICE', value: (r) => String(field(r, 'spec', 'service') ?? '<none>') },
    {
      name: 'ATTACHED',
      value: (r) => {
        const attached = field(r, 'status', 'attached');
        const tasks = field(r, 'status', 'tasks');
        return typeof attached === 'number' && typeof tasks === 'number' ? `${attached}/${tasks} attached` : '<none>';
      },
    },
    {
      name: 'ADDRESSES',
      value: (r) => {
        const list = slotAddresses((field(r, 'spec') ?? {}) as ServiceAddressesSpec);
        return list.length === 0 ? '<none>' : list.length <= 3 ? list.join(',') : `${list[0]} .. ${list[list.length - 1]} (${list.length})`;
      },
      wide: true,
    },
    { name: 'BRIDGE', value: (r) => String(field(r, 'spec', 'bridge') ?? '<none>'), wide: true },
  ],
  defaults: (s) => ({ ...structuredClone(s), interface: s.interface ?? DEFAULT_INTERFACE }),
  check,
};
