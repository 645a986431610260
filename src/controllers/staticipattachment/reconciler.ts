/**
 * The StaticIPAttachment reconciler: inspect the container, observe host + namespace in one helper
 * program, plan the difference (plan.ts), apply it in one helper program, observe again for the
 * status. Converged objects cost one inspect and one helper program and change nothing.
 * A container that has just started (a lifecycle event of it came moments ago, and it runs with a
 * PID the status does not have, in a namespace of its own) cannot hold anything of ours yet: the
 * whole attach runs first, and the observation after it both plans whatever is still missing and
 * checks the result - two programs instead of three, and none before the repair. A `start`
 * event's inspect begins when the event arrives.
 */
import type Docker from 'dockerode';
import type { KindName, StaticIPAttachment } from '../../crds/index.js';
import { SwarmopError } from '../../errors.js';
import type {
  FinalizeOutcome,
  HostEvent,
  HostHandle,
  Hosts,
  HostWatchContext,
  KindReconciler,
  ObjectCache,
  KindReconcileContext,
  ReconcileOutcome,
} from '../kind-reconciler.js';
import { HOST_INDEX, UID_INDEX } from '../kind-indexes.js';
import { CLAIMS_INDEX, claimCandidates, findConflict } from '../address-claims.js';
import type { HelperCommand } from '../../nethelper/helper-program.js';
import type { HelperHost, NetHelper } from '../../nethelper/net-helper.js';
import { NetlinkWatch } from './netlink-monitor.js';
import { type NetObservation, observeProgram, parseObservation } from './observe.js';
import { type BridgeSharer, planDetach } from './detach-plan.js';
import { type Drift, planAttachment, planFreshAttach, type Step } from './plan.js';
import { type AttachmentResource, type Desired, desiredFor, vethNames } from './desired.js';
import { type AttachmentObserved, attachedCondition, observedAttachment, ready } from './status.js';
import { applyProgram, describeSteps } from './execute.js';
import { describeFailedCommand } from '../../nethelper/ip-batch.js';
import { epochMs, PhaseClock, RecentContainerEvents } from './repair-timing.js';
import { POLICY_REASON } from '../trust-policy.js';
import { engineMessage, engineText } from '../../docker/engine-message.js';

export const KIND: KindName = 'StaticIPAttachment';
export const FINALIZER = 'swarmop.io/staticip-cleanup';

export interface StaticIPReconcilerOptions {
  helper: NetHelper;
  /** Re-check a host that is unknown or unreachable after this long (ms). */
  retryAfterMs?: number;
  /** Attach only containers that carry this label (the operator's --attach-requires-label). */
  attachRequiresLabel?: string;
}

/** Container events that change whether/where the interface must be: re-reconcile at once. */
const CONTAINER_ACTIONS = new Set(['create', 'start', 'restart', 'die', 'stop', 'destroy', 'rename', 'unpause']);

/**
 * After one of these events (seen within JUST_STARTED_MS), a running container whose PID the status
 * does not have is a new incarnation: its network namespace (when it has its own) is new too. The
 * run that repairs a restart is often the one a `die` or `stop` queued, which finds it running again.
 */
const NEW_NETNS_AFTER = new Set(['create', 'start', 'restart', 'die', 'stop']);
const JUST_STARTED_MS = 10_000;

export interface ContainerState {
  id: string;
  running: boolean;
  pid: number;
  /** The engine's netns file for it (`NetworkSettings.SandboxKey`): validated by the helper before use. */
  sandboxKey: string;
  /** Its network namespace is its own (not the host's, not another container's): a start makes a new one. */
  ownNetns: boolean;
  /** Its network mode as the engine reports it (host, container:<id>, bridge, ...). */
  networkMode: string;
  labels: Record<string, string>;
}

export async function inspectContainer(docker: Docker, name: string, host: string): Promise<ContainerState | undefined> {
  try {
    const info = await docker.getContainer(name).inspect();
    const mode = info.HostConfig?.NetworkMode ?? '';
    return {
      id: info.Id,
      running: info.State.Running === true && info.State.Pid > 0,
      pid: info.State.Pid,
      sandboxKey: info.NetworkSettings?.SandboxKey ?? '',
      ownNetns: mode !== 'host' && !mode.startsWith('container:'),
      networkMode: mode,
      labels: info.Config?.Labels ?? {},
    };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw new SwarmopError('Unavailable', `inspect container ${name} on ${host}: ${engineMessage(err)}`, { cause: err });
  }
}

/**
 * Another attachment with the same identity (uid, else name), from which the veth names are made.
 * uid is set by the store when `apply` creates the object, but a document written straight into KV
 * can copy another's: then neither touches the host, so one can never remove the other's interface.
 * Read from the uid index: a scan of every attachment per run made a first sync quadratic.
 */
export function uidSharedWith(res: AttachmentResource, cache: ObjectCache): AttachmentResource | undefined {
  const id = res.metadata.uid ?? res.metadata.name;
  return (cache.byIndex(KIND, UID_INDEX, id) as AttachmentResource[]).find((o) => o.metadata.name !== res.metadata.name);
}

export function uidMessage(res: AttachmentResource, other: AttachmentResource): string {
  return `metadata.uid: ${res.metadata.uid ?? res.metadata.name} is also the uid of staticipattachment/${other.metadata.name}; a uid is set by the store and never copied, so neither is attached or detached until one is recreated`;
}

/**
 * Why this container must not get the interface, checked on every path (attach, repair, fresh
 * attach, delete, and the adoption report): a container without a network namespace of its own
 * (`--net host`, `--net container:X`) would have the host's (or another container's) network
 * rewritten, and the operator may require a label that says the container asked for an address.
 */
export function containerRefusal(d: Desired, c: ContainerState, attachRequiresLabel: string | undefined): string | undefined {
  if (!c.ownNetns)
    return `spec.container: container ${d.container} on ${d.host} has network mode ${c.networkMode}, not a network namespace of its own; attaching would change the ${c.networkMode === 'host' ? "host's" : "other container's"} network`;
  const label = attachRequiresLabel;
  if (label !== undefined && !(label in c.labels))
    return `spec.container: container ${d.container} on ${d.host} does not carry the label ${label} that the operator requires of attached containers (--attach-requires-label)`;
  return undefined;
}

/** Another attachment or ServiceAddresses claiming this one's address (one check across both kinds). */
export function addressConflict(res: AttachmentResource, cache: ObjectCache): ReturnType<typeof findConflict> {
  return findConflict(
    res,
    claimCandidates(res.spec, (key) => [
      ...cache.byIndex(KIND, CLAIMS_INDEX, key),
      ...cache.byIndex('ServiceAddresses', CLAIMS_INDEX, key),
    ]),
  );
}

function attachments(cache: ObjectCache): AttachmentResource[] {
  return cache.list('StaticIPAttachment');
}

/** The attachments on `host`, from the cache's index (no scan of every attachment per host event). */
function onHost(cache: ObjectCache, host: string): AttachmentResource[] {
  return cache.byIndex(KIND, HOST_INDEX, host) as AttachmentResource[];
}

/** The other attachments on this one's host and bridge, for the bridge's release on delete. */
function bridgeSharers(res: AttachmentResource, d: Desired, cache: ObjectCache): BridgeSharer[] {
  return onHost(cache, d.host)
    .filter((o) => o.metadata.name !== res.metadata.name && o.spec.bridge === d.bridge)
    .map((o) => ({
      hostVeth: vethNames(o.metadata.uid ?? o.metadata.name).hostVeth,
      deleting: o.metadata.deletionTimestamp !== undefined,
    }));
}

export class StaticIPAttachmentReconciler implements KindReconciler<StaticIPAttachment, AttachmentObserved> {
  readonly kind: KindName = KIND;
  readonly finalizer = FINALIZER;
  private readonly helper: NetHelper;
  private readonly retryAfterMs: number;
  private readonly attachRequiresLabel: string | undefined;
  /** Present while leading and the helper is resident (long-lived execs need a running helper). */
  private netlink: NetlinkWatch | undefined;
  /**
   * The latest container event per container: a repair's log line says how long after it the
   * repair ran, and a `start` event's inspect is already under way when a worker takes the key.
   */
  private readonly events = new RecentContainerEvents<ContainerState | undefined>();
  /** Each host's bridges' MTU as last observed: what a fresh attach (planned without looking first) gives its veth pair. */
  private readonly bridgeMtus = new Map<string, number>();
  /** The operator's hosts while leading (from watchHosts), for the inspect a `start` event prefetches. */
  private hostsView: Hosts | undefined;
  /**
   * Attachments whose last reconcile refused them for AddressConflict: retried when another one
   * changes. Kept here rather than read from every cached status, which made each change of a
   * first sync scan all attachments (quadratic). A name left over only costs one extra reconcile.
   */
  private readonly refusedForConflict = new Set<string>();

  constructor(options: StaticIPReconcilerOptions) {
    this.helper = options.helper;
    this.retryAfterMs = options.retryAfterMs ?? 30_000;
    this.attachRequiresLabel = options.attachRequiresLabel;
  }

  private refusal(d: Desired, c: ContainerState): string | undefined {
    return containerRefusal(d, c, this.attachRequiresLabel);
  }

  async reconcile(res: StaticIPAttachment, ctx: KindReconcileContext): Promise<ReconcileOutcome<AttachmentObserved>> {
    const clock = new PhaseClock();
    const d = desiredFor(res);
    const sharing = uidSharedWith(res, ctx.cache);
    if (sharing) return { observed: {}, conditions: ready('False', POLICY_REASON, uidMessage(res, sharing)) };
    // ServiceAddresses are filed under the same address keys: one check across both kinds.
    const conflict = addressConflict(res, ctx.cache);
    if (conflict) {
      this.refusedForConflict.add(res.metadata.name);
      return { observed: {}, conditions: ready('False', 'AddressConflict', conflict.message) };
    }
    this.refusedForConflict.delete(res.metadata.name);

    const host = ctx.hosts.get(d.host);
    if (!host) {
      return {
        observed: {},
        conditions: ready('False', 'HostNotFound', `DockerHost ${d.host} does not exist`),
        requeueAfter: this.retryAfterMs,
      };
    }
    // Known down (probe or event stream): nothing to do there; its reconnect re-queues this key.
    if (host.ready === false) {
      return {
        observed: {},
        conditions: ready(
          'False',
          'HostUnreachable',
          `DockerHost ${d.host} does not answer (its latest probe or event stream); re-checked when it does`,
        ),
        requeueAfter: this.retryAfterMs,
      };
    }
    const pre = await this.events.takePrefetch(d.host, d.container, clock.startedMs);
    const c = pre?.ok ? pre.value : await inspectContainer(host.docker, d.container, d.host);
    clock.mark('inspect');
    if (!c)
      return { observed: {}, conditions: ready('False', 'ContainerNotFound', `container ${d.container} does not exist on ${d.host}`) };
    if (!c.running) {
      return {
        observed: { containerID: c.id },
        conditions: ready('False', 'ContainerNotRunning', `container ${d.container} on ${d.host} is not running`),
      };
    }
    const refused = this.refusal(d, c);
    if (refused !== undefined)
      return { observed: { containerID: c.id }, conditions: ready('False', c.ownNetns ? POLICY_REASON : 'NoOwnNetworkNamespace', refused) };

    let netns: string;
    try {
      netns = await this.helper.netnsPath(host, c.sandboxKey);
    } catch (err) {
      if ((err as SwarmopError).code !== 'Invalid') throw err;
      return {
        observed: { containerID: c.id },
        conditions: ready('False', 'NetnsRefused', `container ${d.container} on ${d.host}: ${(err as Error).message}`),
      };
    }
    const prev = res.status ?? {};
    const previous = { ...(prev.containerID ? { containerID: prev.containerID } : {}), ...(prev.pid ? { pid: prev.pid } : {}) };
    // What this run repairs: a fresh attach first when the container just started, then whatever the observation still asks for.
    const done: { steps: Step[]; drifts: Drift[] } = { steps: [], drifts: [] };
    const mtu = this.bridgeMtus.get(`${d.host}/${d.bridge}`);
    const lifecycle = this.events.get(d.host, d.container);
    const justStarted =
      lifecycle !== undefined && NEW_NETNS_AFTER.has(lifecycle.action) && clock.startedMs - lifecycle.receivedMs <= JUST_STARTED_MS;
    if (justStarted && c.ownNetns && prev.pid !== c.pid && mtu !== undefined) {
      const fresh = planFreshAttach({ desired: d, pid: c.pid, netns, containerId: c.id, previous, mtu });
      ctx.log.info('applying plan', {
        host: d.host,
        steps: fresh.steps.map((s) => s.kind),
        drifts: fresh.drifts.map((x) => x.reason),
        fresh: true,
      });
      const r = await this.helper.run(host, applyProgram(fresh.steps), { signal: ctx.signal });
      clock.mark('apply');
      if (r.failedAt === undefined) {
        done.steps.push(...fresh.steps);
        done.drifts.push(...fresh.drifts);
      } else {
        ctx.log.info('fresh attach not applied, planning from the host', {
          host: d.host,
          error: engineText(r.stderr.trim().split('\n').slice(-2).join(' | '), 300),
        });
      }
    }

    const obs = await this.observe(host, netns, d, ctx);
    clock.mark('observe');
    if (!obs.container) return this.exitedMeanwhile(d, c);
    // Changes inside the container's netns are only announced there: watch it while it runs.
    this.netlink?.noteContainer(d.host, d.container, netns);
    const plan = planAttachment({ desired: d, obs, pid: c.pid, netns, containerId: c.id, previous });
    if (plan.blocked) {
      return {
        observed: { containerID: c.id, pid: c.pid },
        conditions: ready('False', plan.blocked.reason, plan.blocked.message),
        requeueAfter: this.retryAfterMs,
      };
    }

    let lastAppliedTime = prev.lastAppliedTime;
    let final: NetObservation = obs;
    if (plan.steps.length > 0) {
      // Logged before the helper runs, so a crash mid-repair shows as this line without its `drift repaired`.
      ctx.log.info('applying plan', { host: d.host, steps: plan.steps.map((s) => s.kind), drifts: plan.drifts.map((x) => x.reason) });
      await this.apply(host, applyProgram(plan.steps), d, ctx);
      clock.mark(done.steps.length > 0 ? 'repair' : 'apply');
      done.steps.push(...plan.steps);
      done.drifts.push(...plan.drifts);
    }
    if (done.steps.length > 0) {
      lastAppliedTime = ctx.now().toISOString();
      const action = describeSteps(done.steps);
      const record = async (): Promise<void> => {
        // A first attach is not a drift: it is an event, not a repair.
        if (!prev.containerID && !prev.lastAppliedTime) {
          await ctx.event('Normal', 'Attached', `attached ${d.cidr} to ${d.iface} of ${d.container} on ${d.host}: ${action}`);
        } else {
          for (const drift of done.drifts) await ctx.repaired({ reason: drift.reason, found: drift.found, action, host: d.host });
        }
      };
      // The store and the host are two different places: record and look again at once. After a
      // fresh attach alone, the observation the plan was made from already is that look.
      [, final] = await Promise.all([record(), plan.steps.length > 0 ? this.observe(host, netns, d, ctx) : obs]);
      clock.mark('settle');
      ctx.log.info('plan applied', { host: d.host, container: d.container, ...clock.fields(this.events.get(d.host, d.container)) });
      if (!final.container) return this.exitedMeanwhile(d, c);
    }

    const observed = observedAttachment(d, c, final, lastAppliedTime);
    return { observed, ...attachedCondition(d, planAttachment({ desired: d, obs: final, pid: c.pid, netns, containerId: c.id })) };
  }

  async finalize(res: StaticIPAttachment, ctx: KindReconcileContext): Promise<FinalizeOutcome> {
    this.refusedForConflict.delete(res.metadata.name);
    let d: Desired;
    try {
      d = desiredFor(res);
    } catch {
      return { done: true }; // an invalid spec never touched a host
    }
    const sharing = uidSharedWith(res, ctx.cache);
    if (sharing) {
      // Its veth names are another attachment's: cleaning "its" interface would remove that one's.
      await ctx.event('Warning', POLICY_REASON, `${uidMessage(res, sharing)}; nothing on the host was cleaned up`);
      return { done: true };
    }
    const host = ctx.hosts.get(d.host);
    if (!host) {
      await ctx.event('Warning', 'HostNotFound', `DockerHost ${d.host} is gone; nothing on it could be cleaned up`);
      return { done: true };
    }
    const c = await inspectContainer(host.docker, d.container, d.host);
    // Never into a namespace that is not the container's own (the host's, with --net host), nor one it
    // was never allowed into, nor one whose key the helper refuses (not a sandbox of this engine).
    const netns =
      c?.running && this.refusal(d, c) === undefined ? await this.helper.netnsPath(host, c.sandboxKey).catch(() => undefined) : undefined;
    const obs = await this.observe(host, netns, d, ctx);
    const steps = planDetach({ desired: d, obs, ...(netns !== undefined ? { netns } : {}), sharers: bridgeSharers(res, d, ctx.cache) });
    if (steps.length > 0) {
      await this.apply(host, applyProgram(steps), d, ctx);
      await ctx.event('Normal', 'Detached', `removed ${d.iface} from ${d.container} and ${d.hostVeth} from ${d.host}`);
    }
    this.events.forget(d.host, d.container);
    return { done: true };
  }

  async watchHosts(ctx: HostWatchContext, signal: AbortSignal): Promise<void> {
    const helper = this.helper as NetHelper & { containerId?: (host: HelperHost) => Promise<string>; closeAll?: () => void };
    this.hostsView = ctx.hosts;
    try {
      if (typeof helper.containerId !== 'function') {
        // No resident helper to run monitors in (fakes): only the start events' prefetch needs the hosts.
        if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        return;
      }
      const watch = new NetlinkWatch({
        hosts: ctx.hosts,
        attachments: () => attachments(ctx.cache),
        onHost: (host) => onHost(ctx.cache, host),
        helperContainer: (host) => helper.containerId!(host),
        enqueue: (name) => ctx.enqueue(name),
        log: ctx.log,
      });
      this.netlink = watch;
      try {
        await watch.start(signal);
      } finally {
        if (this.netlink === watch) this.netlink = undefined;
        // Leadership (or the process) ends: no session stays open on the hosts.
        helper.closeAll?.();
      }
    } finally {
      if (this.hostsView === ctx.hosts) this.hostsView = undefined;
    }
  }

  mapHostEvent(host: string, event: HostEvent, cache: ObjectCache): string[] {
    if (event.Type !== 'container' || !CONTAINER_ACTIONS.has(event.Action)) return [];
    const name = event.Actor.Attributes?.name;
    if (!name) return [];
    const names = onHost(cache, host)
      .filter((o) => o.spec.container === name)
      .map((o) => o.metadata.name);
    if (names.length > 0) {
      const handle = event.Action === 'start' ? this.hostsView?.get(host) : undefined;
      this.events.note(
        host,
        name,
        { action: event.Action, receivedMs: epochMs(), ...(typeof event.timeNano === 'number' ? { engineMs: event.timeNano / 1e6 } : {}) },
        handle ? () => inspectContainer(handle.docker, name, host) : undefined,
      );
    }
    return names;
  }

  mapHostConnectivity(host: string, connected: boolean, cache: ObjectCache): string[] {
    if (!connected) return [];
    return onHost(cache, host).map((o) => o.metadata.name);
  }

  mapObjectChange(kind: KindName, name: string, cache: ObjectCache): string[] {
    if (kind === 'DockerHost') return onHost(cache, name).map((o) => o.metadata.name);
    if (kind !== KIND && kind !== 'ServiceAddresses') return [];
    // Another attachment (or a ServiceAddresses) changed or went away: the ones it refused may now be free to attach.
    return [...this.refusedForConflict].filter((n) => kind !== KIND || n !== name);
  }

  private async observe(host: HostHandle, netns: string | undefined, d: Desired, ctx: KindReconcileContext): Promise<NetObservation> {
    const result = await this.helper.run(host, observeProgram(netns), { signal: ctx.signal });
    const obs = parseObservation(result, netns);
    const bridge = obs.host.links.find((l) => l.name === d.bridge && l.kind === 'bridge');
    const key = `${d.host}/${d.bridge}`;
    if (bridge) this.bridgeMtus.set(key, bridge.mtu);
    else this.bridgeMtus.delete(key);
    return obs;
  }

  private async apply(host: HostHandle, cmds: HelperCommand[], d: Desired, ctx: KindReconcileContext): Promise<void> {
    const r = await this.helper.run(host, cmds, { signal: ctx.signal });
    if (r.failedAt !== undefined) {
      const failed = cmds[r.failedAt];
      const detail = engineText(r.stderr.trim().split('\n').slice(-3).join(' | '), 400);
      throw new SwarmopError(
        'Unavailable',
        `staticipattachment on ${d.host}: step "${failed ? describeFailedCommand(failed, r.stderr) : '?'}" failed: ${detail || 'no output'}`,
      );
    }
  }

  private exitedMeanwhile(d: Desired, c: ContainerState): ReconcileOutcome<AttachmentObserved> {
    return {
      observed: { containerID: c.id },
      conditions: ready('False', 'ContainerNotRunning', `container ${d.container} on ${d.host} stopped while being attached`),
      requeueAfter: 1_000,
    };
  }
}
