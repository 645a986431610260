/**
 * The StaticIPAttachment's line in the adoption report: the reconciler's own checks, observation
 * and plan (reconciler.ts's refusals, observe.ts's program, plan.ts's planAttachment), run through
 * a read-only helper, so what it says is what `apply` then does. It never calls the reconciler's
 * observe: that goes through a NetHelper, which creates the resident helper container (and imports
 * its image) on first use. Without a running helper the host's links and the container's namespace
 * cannot be seen (pipework's interfaces are unknown to the engine), and the line says so.
 */
import type { StaticIPAttachment } from '../../crds/index.js';
import { SwarmopError } from '../../errors.js';
import type { AdoptionFinding } from '../adoption-finding.js';
import type { Hosts, ObjectCache } from '../kind-reconciler.js';
import type { NetLink } from '../../nethelper/ip-json.js';
import type { HelperPresence, ReadOnlyNetHelper } from '../../nethelper/read-only-helper.js';
import { POLICY_REASON } from '../trust-policy.js';
import { type Desired, desiredFor } from './desired.js';
import { type NetObservation, observeProgram, parseObservation } from './observe.js';
import { planAttachment, type Step } from './plan.js';
import { addressConflict, type ContainerState, containerRefusal, inspectContainer, KIND, uidMessage, uidSharedWith } from './reconciler.js';

/** The read-only helper's calls this module makes (a fake in unit tests). */
export type AdoptionNetHelper = Pick<ReadOnlyNetHelper, 'presence' | 'netnsPath' | 'run'>;

export interface AttachmentAdoptionContext {
  /** Hosts whose clients refuse every changing call (readOnlyDockerClient); `ready` from a probe made for the report. */
  hosts: Hosts;
  /** The manifests' objects (address conflicts are checked across them, as the operator checks its cache). */
  cache: ObjectCache;
  helper: AdoptionNetHelper;
  /** The operator's --attach-requires-label, when the report should assume one. */
  attachRequiresLabel?: string;
}

/**
 * Steps that take an attachment over without touching the container's traffic: the container keeps
 * its interface, address and routes. A plan of only these is "adopt-as-is".
 */
/** How a veth name made from the uid apply assigns is shown while there is none. */
export const UNNAMED_VETH = 'swv<uid hash>';

const TAKEOVER_STEPS: ReadonlySet<Step['kind']> = new Set(['adopt-host-veth']);

export async function assessAttachmentAdoption(res: StaticIPAttachment, ctx: AttachmentAdoptionContext): Promise<AdoptionFinding> {
  const d = desiredFor(res);
  const base = { kind: KIND, name: res.metadata.name, host: d.host };
  const blocked = (reason: string, message: string, found: string[] = []): AdoptionFinding => ({
    ...base,
    verdict: 'blocked',
    reason,
    message,
    found,
    steps: [],
  });

  const sharing = uidSharedWith(res, ctx.cache);
  if (sharing) return blocked(POLICY_REASON, uidMessage(res, sharing));
  const conflict = addressConflict(res, ctx.cache);
  if (conflict) return blocked('AddressConflict', conflict.message);
  const host = ctx.hosts.get(d.host);
  if (!host) return blocked('HostNotFound', `DockerHost ${d.host} is not in the manifests`);
  if (!host.ready)
    return {
      ...base,
      verdict: 'unreachable',
      reason: 'HostUnreachable',
      message: `DockerHost ${d.host} does not answer`,
      found: [],
      steps: [],
    };

  const c = await inspectContainer(host.docker, d.container, d.host);
  if (!c) return blocked('ContainerNotFound', `container ${d.container} does not exist on ${d.host}`);
  const found = [containerFact(d, c)];
  if (!c.running) return blocked('ContainerNotRunning', `container ${d.container} on ${d.host} is not running`, found);
  const refused = containerRefusal(d, c, ctx.attachRequiresLabel);
  if (refused !== undefined) return blocked(c.ownNetns ? POLICY_REASON : 'NoOwnNetworkNamespace', refused, found);

  const presence = await ctx.helper.presence(host);
  found.push(helperFact(presence, d.host));
  const helperSteps = helperStepsFor(presence, d.host);
  if (presence.state !== 'running' || presence.netnsDir === undefined) {
    return {
      ...base,
      verdict: 'unobserved',
      message: `the host's links and ${d.container}'s interfaces are read through the network helper, which is not running on ${d.host}; the dry run does not start it, so what else apply would change there is not known yet`,
      found,
      steps: [...helperSteps, `then observe ${d.bridge} and ${d.iface} in ${d.container} and plan from what is found`],
    };
  }
  let netns: string;
  try {
    netns = await ctx.helper.netnsPath(host, c.sandboxKey);
  } catch (err) {
    if ((err as SwarmopError).code !== 'Invalid') throw err;
    return blocked('NetnsRefused', `container ${d.container} on ${d.host}: ${(err as Error).message}`, found);
  }
  const obs = parseObservation(await ctx.helper.run(host, observeProgram(netns)), netns);
  if (!obs.container) return blocked('ContainerNotRunning', `container ${d.container} on ${d.host} stopped while being looked at`, found);
  found.push(...networkFacts(d, obs));

  // No previous status: the object is new to the store, as it is when apply creates it.
  const plan = planAttachment({ desired: d, obs, pid: c.pid, netns, containerId: c.id });
  if (plan.blocked) return blocked(plan.blocked.reason, plan.blocked.message, found);
  found.push(...plan.drifts.map((x) => `${x.reason}: ${x.found}`));
  // Before apply there is no uid yet, and swarmop's veth names are made from it: not named here.
  const named = (text: string): string => (res.metadata.uid === undefined ? text.replaceAll(d.hostVeth, UNNAMED_VETH) : text);
  const steps = [...helperSteps, ...plan.steps.map((x) => named(describeStep(x)))];
  const asIs = plan.steps.every((s) => TAKEOVER_STEPS.has(s.kind));
  return { ...base, verdict: asIs ? 'adopt-as-is' : 'would-change', found, steps };
}

function containerFact(d: Desired, c: ContainerState): string {
  if (!c.running) return `container ${d.container} (${c.id.slice(0, 12)}) is not running`;
  return `container ${d.container} (${c.id.slice(0, 12)}) runs with pid ${c.pid}, network mode ${c.networkMode || 'default'}`;
}

function helperFact(p: HelperPresence, host: string): string {
  if (p.state === 'missing') return `no network helper container on ${host}`;
  const which = p.current ? 'the current one' : `not the current one (${p.image})`;
  if (p.state === 'stopped') return `network helper on ${host} is stopped (${which})`;
  return `network helper runs on ${host} (${which})`;
}

/** What apply would do to the helper before anything else on the host (ResidentNetHelper's rules). */
function helperStepsFor(p: HelperPresence, host: string): string[] {
  if (p.state === 'missing')
    return [`install the network helper on ${host} (container swarmop-nethelper, image ${p.image}, imported if the host lacks it)`];
  if (!p.current) return [`replace the network helper on ${host} with image ${p.image}`];
  if (p.state === 'stopped') return [`start the network helper on ${host}`];
  if (p.netnsDir === undefined) return [`re-create the network helper on ${host} (the netns folder it mounts is not the engine's)`];
  return [];
}

function addrs(l: NetLink): string {
  return l.addresses.length > 0 ? l.addresses.map((a) => `${a.ip}/${a.prefix}`).join(', ') : 'no address';
}

function networkFacts(d: Desired, obs: NetObservation): string[] {
  const links = new Map(obs.host.links.map((l) => [l.name, l]));
  const byIndex = new Map(obs.host.links.map((l) => [l.ifindex, l]));
  const out: string[] = [];
  const bridge = links.get(d.bridge);
  out.push(
    bridge
      ? `${d.bridge} on ${d.host}: ${bridge.kind ?? 'plain'} link, ${bridge.up ? 'up' : 'down'}, mtu ${bridge.mtu}, ${addrs(bridge)}`
      : `${d.bridge} on ${d.host}: missing`,
  );
  if (d.uplink !== undefined) {
    const u = links.get(d.uplink);
    out.push(
      u
        ? `${d.uplink} on ${d.host}: ${u.master ? `enslaved to ${u.master}` : 'not enslaved'}, ${addrs(u)}`
        : `${d.uplink} on ${d.host}: missing`,
    );
  }
  const iface = obs.container?.links.find((l) => l.name === d.iface);
  if (!iface) out.push(`${d.iface} in ${d.container}: missing`);
  else {
    const peer = iface.peerIfindex !== undefined ? byIndex.get(iface.peerIfindex) : undefined;
    const end = peer ? `; host end ${peer.name}${peer.master ? ` on ${peer.master}` : ' on no bridge'}` : '';
    out.push(
      `${d.iface} in ${d.container}: ${iface.kind ?? 'plain'} link, ${iface.up ? 'up' : 'down'}, ${addrs(iface)}, MAC ${iface.mac}${end}`,
    );
  }
  const def = obs.container?.routes.find((r) => r.dst === 'default');
  out.push(`default route in ${d.container}: ${def ? `via ${def.gateway ?? '-'} dev ${def.dev ?? '-'}` : 'none'}`);
  return out;
}

/** A plan step as the report says it (what apply would run). */
export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'create-bridge':
      return `create bridge ${s.bridge} (mtu ${s.mtu})`;
    case 'bridge-up':
      return `set ${s.bridge} up`;
    case 'uplink-to-bridge':
      return `move ${s.uplink}${s.addresses.length ? ` and its addresses ${s.addresses.map((a) => `${a.ip}/${a.prefix}`).join(', ')}` : ''}${s.defaultGateway ? ` and the default route via ${s.defaultGateway}` : ''} onto ${s.bridge}`;
    case 'delete-host-link':
      return `delete ${s.name} on the host`;
    case 'host-veth-master':
      return `attach ${s.name} to ${s.bridge}`;
    case 'host-veth-up':
      return `set ${s.name} up`;
    case 'adopt-host-veth':
      return `rename the host end ${s.name} to ${s.hostVeth} (take over the pair as it is; no restart, the address stays)`;
    case 'delete-container-link':
      return `delete the stale ${s.name} in the container`;
    case 'create-veth':
      return `create the veth pair ${s.hostVeth} on ${s.bridge} with ${s.iface} in the container (mtu ${s.mtu})`;
    case 'set-mac':
      return `set MAC ${s.mac} on ${s.iface}`;
    case 'set-address':
      return `set ${s.cidr} on ${s.iface}${s.remove.length ? ` (removing ${s.remove.map((a) => `${a.ip}/${a.prefix}`).join(', ')})` : ''}`;
    case 'link-up':
      return `set ${s.iface} up`;
    case 'gateway':
      return `default route via ${s.gateway} dev ${s.iface}`;
    case 'arping':
      return `announce ${s.ip} (gratuitous ARP)`;
    case 'bridge-to-uplink':
      return `move ${s.uplink} back off ${s.bridge}`;
    case 'delete-bridge':
      return `delete bridge ${s.bridge}`;
  }
}
