/**
 * The pure plan for deleting an attachment: what it left on the host and in the container ->
 * the steps that remove it. The container's interface goes only while it is still ours (its veth
 * peer is our host veth); the bridge (and the uplink's move onto it) is undone only when the spec
 * owns it and nothing else uses it.
 */
import type { NetObservation } from './observe.js';
import type { Step } from './plan.js';
import type { Desired } from './desired.js';

/** Another attachment on the same host and bridge. */
export interface BridgeSharer {
  hostVeth: string;
  /** Being deleted as well: attachments deleted together must not keep each other's bridge alive. */
  deleting: boolean;
}

export interface DetachInput {
  desired: Desired;
  obs: NetObservation;
  /** The container's netns file as the helper sees it, while it runs. */
  netns?: string;
  sharers: readonly BridgeSharer[];
}

export function planDetach(input: DetachInput): Step[] {
  const { desired: d, obs, netns } = input;
  const hostLinks = new Map(obs.host.links.map((l) => [l.name, l]));
  const veth = hostLinks.get(d.hostVeth);
  const steps: Step[] = [];
  const iface = obs.container?.links.find((l) => l.name === d.iface);
  if (netns !== undefined && iface && veth && iface.peerIfindex === veth.ifindex) {
    steps.push({ kind: 'delete-container-link', netns, name: d.iface });
  }
  if (veth) steps.push({ kind: 'delete-host-link', name: d.hostVeth });
  if (hostLinks.has(d.peerVeth)) steps.push({ kind: 'delete-host-link', name: d.peerVeth });
  steps.push(...releaseBridge(input));
  return steps;
}

function releaseBridge({ desired: d, obs, sharers }: DetachInput): Step[] {
  if (!d.ownBridge) return [];
  const bridge = obs.host.links.find((l) => l.name === d.bridge && l.kind === 'bridge');
  if (!bridge) return [];
  if (sharers.some((s) => !s.deleting)) return [];
  // The veths of attachments leaving with this one go anyway; any other port keeps the bridge.
  const ignored = new Set([d.uplink, d.hostVeth, ...sharers.map((s) => s.hostVeth)]);
  if (obs.host.links.some((l) => l.master === d.bridge && !ignored.has(l.name))) return [];
  const steps: Step[] = [];
  if (d.uplink !== undefined) {
    const gw = obs.host.defaultRoutes.find((r) => r.dev === d.bridge && r.gateway)?.gateway;
    steps.push({
      kind: 'bridge-to-uplink',
      bridge: d.bridge,
      uplink: d.uplink,
      addresses: bridge.addresses,
      ...(gw ? { defaultGateway: gw } : {}),
    });
  }
  steps.push({ kind: 'delete-bridge', bridge: d.bridge });
  return steps;
}
