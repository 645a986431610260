/**
 * The pure heart of the controller: desired attachment + what was observed -> the smallest list of
 * steps that closes the difference, and the drifts those steps repair. An empty plan means
 * converged: the reconciler then changes nothing (no veth churn, no writes).
 */
import type { NetAddress, NetLink } from '../../nethelper/ip-json.js';
import type { NetObservation } from './observe.js';
import type { Desired } from './desired.js';

export type Step =
  | { kind: 'create-bridge'; bridge: string; mtu: number }
  | { kind: 'bridge-up'; bridge: string }
  /** One unit so it runs back to back: enslave, copy addresses, drop them from the NIC, move the default route. */
  | {
      kind: 'uplink-to-bridge';
      uplink: string;
      bridge: string;
      enslave: boolean;
      /** Give the bridge the NIC's MAC so neighbours' ARP entries stay valid. */
      mac?: string;
      addresses: NetAddress[];
      defaultGateway?: string;
    }
  | { kind: 'delete-host-link'; name: string }
  | { kind: 'host-veth-master'; name: string; bridge: string }
  | { kind: 'host-veth-up'; name: string }
  /** Takes over another tool's pair (pipework's) as it is: its host end gets our name, nothing else changes. */
  | { kind: 'adopt-host-veth'; name: string; hostVeth: string }
  | { kind: 'delete-container-link'; netns: string; name: string }
  /** The container's end is created in its namespace under its final name: a name taken there fails the whole creation, leaving nothing behind. */
  | { kind: 'create-veth'; hostVeth: string; bridge: string; mtu: number; netns: string; iface: string }
  | { kind: 'set-mac'; netns: string; iface: string; mac: string }
  | { kind: 'set-address'; netns: string; iface: string; cidr: string; remove: NetAddress[] }
  | { kind: 'link-up'; netns: string; iface: string }
  | { kind: 'gateway'; netns: string; iface: string; gateway: string }
  | { kind: 'arping'; netns: string; iface: string; ip: string }
  /** Undo of uplink-to-bridge on delete: the NIC leaves the bridge and gets the addresses and default route back. */
  | { kind: 'bridge-to-uplink'; bridge: string; uplink: string; addresses: NetAddress[]; defaultGateway?: string }
  | { kind: 'delete-bridge'; bridge: string };

export interface Drift {
  /** CamelCase, the metric label. */
  reason: string;
  found: string;
}

export interface Blocked {
  reason: 'BridgeConflict' | 'UplinkNotFound' | 'InterfaceConflict';
  message: string;
}

export interface Plan {
  steps: Step[];
  drifts: Drift[];
  blocked?: Blocked;
}

export interface PlanInput {
  desired: Desired;
  obs: NetObservation;
  /** The running container's PID and ID (the plan is only asked for when it runs). */
  pid: number;
  /** Its netns file as the helper sees it (netns-file.ts): where the container-side steps run. */
  netns: string;
  containerId: string;
  /** Facts from the previous status, only to name the drift (restart vs re-create). */
  previous?: { containerID?: string; pid?: number };
}

const DEFAULT_MTU = 1500;

function fmt(a: NetAddress): string {
  return `${a.ip}/${a.prefix}`;
}

export function planAttachment(input: PlanInput): Plan {
  const { desired: d, obs, netns } = input;
  const steps: Step[] = [];
  const drifts: Drift[] = [];
  const hostLinks = new Map(obs.host.links.map((l) => [l.name, l]));
  const byIndex = new Map(obs.host.links.map((l) => [l.ifindex, l]));

  // --- host: bridge and uplink -------------------------------------------------------------
  const bridge = hostLinks.get(d.bridge);
  if (bridge && bridge.kind !== 'bridge') {
    return {
      steps: [],
      drifts: [],
      blocked: {
        reason: 'BridgeConflict',
        message: `${d.bridge} on ${d.host} exists but is a ${bridge.kind ?? 'plain'} link, not a bridge`,
      },
    };
  }
  const uplink = d.uplink !== undefined ? hostLinks.get(d.uplink) : undefined;
  if (d.uplink !== undefined && !uplink) {
    return { steps: [], drifts: [], blocked: { reason: 'UplinkNotFound', message: `uplink ${d.uplink} does not exist on ${d.host}` } };
  }
  let bridgeMtu = bridge?.mtu ?? DEFAULT_MTU;
  if (!bridge) {
    bridgeMtu = uplink?.mtu || DEFAULT_MTU;
    steps.push({ kind: 'create-bridge', bridge: d.bridge, mtu: bridgeMtu });
    drifts.push({ reason: 'BridgeMissing', found: `bridge ${d.bridge} missing on ${d.host}` });
  }
  if (!bridge || !bridge.up) {
    steps.push({ kind: 'bridge-up', bridge: d.bridge });
    if (bridge) drifts.push({ reason: 'BridgeDown', found: `bridge ${d.bridge} down on ${d.host}` });
  }
  if (uplink && d.uplink !== undefined) {
    const enslave = uplink.master !== d.bridge;
    const gw = obs.host.defaultRoutes.find((r) => r.dev === d.uplink && r.gateway !== undefined)?.gateway;
    if (enslave || uplink.addresses.length > 0 || gw !== undefined) {
      steps.push({
        kind: 'uplink-to-bridge',
        uplink: d.uplink,
        bridge: d.bridge,
        enslave,
        ...(enslave && uplink.mac !== '' && uplink.mac !== bridge?.mac ? { mac: uplink.mac } : {}),
        addresses: uplink.addresses,
        ...(gw !== undefined ? { defaultGateway: gw } : {}),
      });
      const what = [
        enslave ? `${d.uplink} not enslaved to ${d.bridge}` : '',
        uplink.addresses.length > 0 ? `${d.uplink} still holds ${uplink.addresses.map(fmt).join(', ')}` : '',
        gw !== undefined ? `default route via ${gw} on ${d.uplink}` : '',
      ].filter(Boolean);
      drifts.push({ reason: 'UplinkNotBridged', found: `${what.join('; ')} on ${d.host}` });
    }
  }

  // --- the veth pair and the container's interface -----------------------------------------
  const cLinks = obs.container?.links ?? [];
  const cRoutes = obs.container?.routes ?? [];
  const hostVeth = hostLinks.get(d.hostVeth);
  const iface = cLinks.find((l) => l.name === d.iface);
  const ours = (l: NetLink) => l.kind === 'veth' && hostVeth !== undefined && l.peerIfindex === hostVeth.ifindex;

  let needCreate = false;
  let ownHostVeth = hostVeth;
  if (iface && !ours(iface)) {
    const peer = iface.kind === 'veth' && iface.peerIfindex !== undefined ? byIndex.get(iface.peerIfindex) : undefined;
    if (peer && adoptable(d, iface, peer)) {
      // Attached by another tool (pipework) exactly as declared: taken over as it is, so the
      // container keeps its interface and address; from then on it is ours by name.
      if (hostVeth) steps.push({ kind: 'delete-host-link', name: d.hostVeth });
      steps.push({ kind: 'adopt-host-veth', name: peer.name, hostVeth: d.hostVeth });
      drifts.push({
        reason: 'InterfaceAdopted',
        found: `${d.iface} in ${d.container} holds ${d.cidr} on a veth pair another tool made (host end ${peer.name} on ${d.bridge})`,
      });
      ownHostVeth = { ...peer, name: d.hostVeth };
    } else if (!peer || !peer.name.startsWith('swv')) {
      return {
        steps: [],
        drifts: [],
        blocked: {
          reason: 'InterfaceConflict',
          message: `${d.iface} in ${d.container} exists and was not made by swarmop (${iface.kind ?? 'unknown'} link${peer ? `, host end ${peer.name}${peer.master ? ` on ${peer.master}` : ''}` : ''}); it is taken over only as a veth whose host end is on ${d.bridge} and that holds ${d.cidr}`,
        },
      };
    } else {
      // A pair left by an earlier incarnation of this attachment (other uid): replace it.
      steps.push({ kind: 'delete-container-link', netns, name: d.iface });
      drifts.push({ reason: 'StaleInterface', found: `${d.iface} in ${d.container} belongs to an old veth pair (${peer.name})` });
      needCreate = true;
    }
  } else if (!iface) {
    needCreate = true;
    drifts.push({ reason: missingReason(input), found: missingFound(input) });
  }

  if (needCreate) {
    // Whatever is left of an earlier pair (e.g. half-done before a crash) is removed first.
    if (hostVeth) steps.push({ kind: 'delete-host-link', name: d.hostVeth });
    if (hostLinks.has(d.peerVeth)) steps.push({ kind: 'delete-host-link', name: d.peerVeth });
    steps.push(...attachSteps(d, netns, bridgeMtu));
    return { steps, drifts: foldBridgeDrifts(drifts) };
  }

  // The interface is ours: repair only what differs.
  const link = iface!;
  if (ownHostVeth!.master !== d.bridge) {
    steps.push({ kind: 'host-veth-master', name: d.hostVeth, bridge: d.bridge });
    drifts.push({
      reason: 'HostVethDetached',
      found: `${d.hostVeth} not on ${d.bridge} on ${d.host}${ownHostVeth!.master ? ` (on ${ownHostVeth!.master})` : ''}`,
    });
  }
  if (!ownHostVeth!.up) {
    steps.push({ kind: 'host-veth-up', name: d.hostVeth });
    drifts.push({ reason: 'HostVethDown', found: `${d.hostVeth} down on ${d.host}` });
  }
  if (d.mac && link.mac !== d.mac) {
    steps.push({ kind: 'set-mac', netns, iface: d.iface, mac: d.mac });
    drifts.push({ reason: 'MacChanged', found: `${d.iface} in ${d.container} has MAC ${link.mac}, want ${d.mac}` });
  }
  const want = { ip: d.ip, prefix: d.prefix };
  const hasWanted = link.addresses.some((a) => a.ip === want.ip && a.prefix === want.prefix);
  const extra = link.addresses.filter((a) => !(a.ip === want.ip && a.prefix === want.prefix));
  const addressChanged = !hasWanted || extra.length > 0;
  if (addressChanged) {
    steps.push({ kind: 'set-address', netns, iface: d.iface, cidr: d.cidr, remove: extra });
    const has = link.addresses.length > 0 ? link.addresses.map(fmt).join(', ') : 'no address';
    drifts.push({ reason: 'AddressChanged', found: `${d.iface} in ${d.container} has ${has}, want ${d.cidr}` });
  }
  if (!link.up) {
    steps.push({ kind: 'link-up', netns, iface: d.iface });
    drifts.push({ reason: 'InterfaceDown', found: `${d.iface} in ${d.container} is down` });
  }
  if (d.gateway !== undefined) {
    const def = cRoutes.find((r) => r.dst === 'default');
    const routeOk = def?.gateway === d.gateway && def.dev === d.iface;
    // Address changes and link-down flush the interface's routes, so the route goes back with them.
    if (!routeOk || addressChanged || !link.up) {
      steps.push({ kind: 'gateway', netns, iface: d.iface, gateway: d.gateway });
      if (!routeOk && !addressChanged && link.up) {
        const now = def ? `via ${def.gateway ?? '-'} dev ${def.dev ?? '-'}` : 'missing';
        drifts.push({
          reason: 'GatewayRouteChanged',
          found: `default route in ${d.container} is ${now}, want via ${d.gateway} dev ${d.iface}`,
        });
      }
    }
  }
  if (addressChanged || (d.mac && link.mac !== d.mac)) steps.push({ kind: 'arping', netns, iface: d.iface, ip: d.ip });
  return { steps, drifts: foldBridgeDrifts(drifts) };
}

/**
 * Whether an interface another tool made (pipework: a veth whose host end is not named `swv…`)
 * can be taken over as it is: a veth whose host end is in the host's namespace, on the declared
 * bridge, and which already holds the declared address. Anything else is left alone
 * (InterfaceConflict): taking over a link on another bridge or with another address would change
 * what the container's traffic does, which is exactly what adopting must not do.
 */
function adoptable(d: Desired, iface: NetLink, peer: NetLink): boolean {
  return (
    iface.kind === 'veth' &&
    peer.kind === 'veth' &&
    !peer.name.startsWith('swv') &&
    !peer.name.startsWith('swp') &&
    peer.master === d.bridge &&
    iface.addresses.some((a) => a.ip === d.ip && a.prefix === d.prefix)
  );
}

/** A new veth pair into the container, configured: the tail of every (re-)attach. */
function attachSteps(d: Desired, netns: string, mtu: number): Step[] {
  return [
    { kind: 'create-veth', hostVeth: d.hostVeth, bridge: d.bridge, mtu, netns, iface: d.iface },
    ...(d.mac ? [{ kind: 'set-mac', netns, iface: d.iface, mac: d.mac } as const] : []),
    { kind: 'set-address', netns, iface: d.iface, cidr: d.cidr, remove: [] },
    { kind: 'link-up', netns, iface: d.iface },
    ...(d.gateway !== undefined ? [{ kind: 'gateway', netns, iface: d.iface, gateway: d.gateway } as const] : []),
    { kind: 'arping', netns, iface: d.iface, ip: d.ip },
  ];
}

export interface FreshAttachInput {
  desired: Desired;
  /** The PID of a container that has just started in a network namespace of its own. */
  pid: number;
  /** Its netns file as the helper sees it. */
  netns: string;
  containerId: string;
  previous?: { containerID?: string; pid?: number };
  /** The bridge's MTU as last observed on this host. */
  mtu: number;
}

/**
 * The attach of a container that has just started in a network namespace of its own, planned
 * without looking first: nothing of ours can be in a namespace that did not exist before, so the
 * whole attach applies. What an earlier incarnation left on the host (the host end of its pair,
 * kept while anything still holds the old namespace; a peer left in the host's namespace) is
 * removed first, best effort. If the bridge is gone or the interface name is taken in the
 * container, the veth creation fails as a whole and changes nothing; the reconciler then plans
 * from what it observes, as always, and the observation after this program is also its check.
 */
export function planFreshAttach(input: FreshAttachInput): Plan {
  const d = input.desired;
  const steps: Step[] = [
    { kind: 'delete-host-link', name: d.hostVeth },
    { kind: 'delete-host-link', name: d.peerVeth },
    ...attachSteps(d, input.netns, input.mtu),
  ];
  const p: PlanInput = {
    desired: d,
    obs: { host: { links: [], defaultRoutes: [] } },
    pid: input.pid,
    netns: input.netns,
    containerId: input.containerId,
    ...(input.previous ? { previous: input.previous } : {}),
  };
  return { steps, drifts: [{ reason: missingReason(p), found: missingFound(p) }] };
}

/** A deleted bridge also un-enslaves the uplink and the veths: one drift, not three. */
function foldBridgeDrifts(drifts: Drift[]): Drift[] {
  const bridge = drifts.find((x) => x.reason === 'BridgeMissing');
  if (!bridge) return drifts;
  const consequences = drifts.filter((x) => x.reason === 'UplinkNotBridged' || x.reason === 'HostVethDetached');
  if (consequences.length === 0) return drifts;
  const folded: Drift = { reason: bridge.reason, found: [bridge.found, ...consequences.map((x) => x.found)].join('; ') };
  return [folded, ...drifts.filter((x) => x !== bridge && !consequences.includes(x))];
}

function missingReason(input: PlanInput): string {
  const prev = input.previous;
  if (prev?.containerID && prev.containerID !== input.containerId) return 'ContainerRecreated';
  // Same container, other (or, after a stop was seen, no) PID: it was restarted.
  if ((prev?.containerID || prev?.pid) && prev.pid !== input.pid) return 'ContainerRestarted';
  return 'InterfaceMissing';
}

function missingFound(input: PlanInput): string {
  const d = input.desired;
  const prev = input.previous;
  if (prev?.containerID && prev.containerID !== input.containerId)
    return `${d.iface} missing in ${d.container} (container re-created: ${prev.containerID.slice(0, 12)} -> ${input.containerId.slice(0, 12)})`;
  if ((prev?.containerID || prev?.pid) && prev.pid !== input.pid)
    return `${d.iface} missing in ${d.container} (container restarted: pid ${prev.pid ?? 'none'} -> ${input.pid})`;
  return `${d.iface} missing in ${d.container}`;
}
