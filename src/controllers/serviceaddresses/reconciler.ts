/**
 * The ServiceAddresses reconciler: ask a manager for the service's tasks, plan which task holds
 * which slot's address (plan.ts), then per slot release the earlier holder and attach the holder
 * with the StaticIPAttachment controller's own planning and helper (execute.ts). Slots run side by
 * side; within a slot the release comes first, so one address is never on two containers whose
 * hosts answer.
 */
import { slotAddresses, type ServiceAddresses, type StaticIPAttachment, type SwarmCluster } from '../../crds/index.js';
import { SwarmopError } from '../../errors.js';
import { parseCidr } from '../../crds/formats.js';
import { CLAIMS_INDEX, findServiceAddressConflict } from '../address-claims.js';
import { HOST_INDEX, SERVICE_INDEX } from '../kind-indexes.js';
import type { HostWatchContext } from '../kind-reconciler.js';
import type {
  FinalizeOutcome,
  HostEvent,
  HostHandle,
  KindName,
  KindReconcileContext,
  KindReconciler,
  ObjectCache,
  ReconcileOutcome,
} from './kind-types.js';
import { heldTarget, slotAttachment, type SlotTarget } from './desired.js';
import { attachSlot, type Recorded, releaseSlot, type SlotAttacher } from './execute.js';
import { askManagers, managerOrder, nodeHostMatcher } from './manager.js';
import { dockerServiceTasksApi, type ServiceTasksApi, type SwarmNodeInfo, type SwarmServiceInfo, type SwarmTask } from './observe.js';
import { type PlannedHolder, type PlannedSlot, planSlots, type SlotPlan } from './plan.js';
import { observedStatus, ready, readyCondition, type ServiceAddressesObserved, type SlotResult, slotStatuses } from './status.js';

export const KIND = 'ServiceAddresses' as const;
export const FINALIZER = 'swarmop.io/serviceaddresses-cleanup';

/** The events of a task's container that change which container holds a slot. */
const CONTAINER_ACTIONS = new Set(['start', 'restart', 'die', 'stop', 'destroy', 'unpause']);
/** Task states before `running`: the manager reports the start a moment after the engine's event. */
const STARTING = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);
const GONE = new Set(['ContainerNotFound', 'ContainerNotRunning']);

export interface ServiceAddressesReconcilerOptions {
  attacher: SlotAttacher & {
    mapHostEvent?(host: string, event: HostEvent, cache: ObjectCache): string[];
    watchHosts?(ctx: HostWatchContext, signal: AbortSignal): Promise<void>;
  };
  /** The manager's API on a DockerHost (tests inject a fake). */
  tasksApi?: (host: HostHandle) => ServiceTasksApi;
  retryAfterMs?: number;
  /** Re-check of a converged object (ms): catches what no event announces (an interface removed by hand). */
  recheckMs?: number;
}

interface World {
  swarm: SwarmCluster;
  service: SwarmServiceInfo;
  tasks: SwarmTask[];
  nodes: SwarmNodeInfo[];
}

const short = (id: string | undefined): string => (id ?? '?').slice(0, 12);

export class ServiceAddressesReconciler implements KindReconciler<ServiceAddresses, ServiceAddressesObserved> {
  readonly kind: KindName = KIND;
  readonly finalizer = FINALIZER;
  private readonly attacher: ServiceAddressesReconcilerOptions['attacher'];
  private readonly tasksApi: (host: HostHandle) => ServiceTasksApi;
  private readonly retryAfterMs: number;
  private readonly recheckMs: number;
  /**
   * The task that last held each slot's address (seeded from the status after a restart), so that a
   * new task getting it is one TaskMoved, whether the old task vanished in the same pass, an earlier
   * one (a drained node), or showed as not running first. Entries go with their object.
   */
  private readonly lastHolder = new Map<string, { taskID?: string; node?: string; host?: string }>();

  constructor(options: ServiceAddressesReconcilerOptions) {
    this.attacher = options.attacher;
    this.tasksApi = options.tasksApi ?? ((h) => dockerServiceTasksApi(h.docker, h.name));
    this.retryAfterMs = options.retryAfterMs ?? 10_000;
    this.recheckMs = options.recheckMs ?? 30_000;
  }

  /** The swarm's view of the service, or why it could not be had. */
  private async world(res: ServiceAddresses, ctx: KindReconcileContext): Promise<World | { reason: string; message: string }> {
    const swarm = ctx.cache.get('SwarmCluster', res.spec.swarmCluster);
    if (!swarm) return { reason: 'SwarmClusterNotFound', message: `SwarmCluster ${res.spec.swarmCluster} does not exist` };
    const asked = await askManagers(managerOrder(swarm, ctx.hosts), this.tasksApi, async (api) => {
      const service = await api.service(res.spec.service);
      if (!service) return undefined;
      const [tasks, nodes] = await Promise.all([api.tasks(service.id), api.nodes()]);
      return { service, tasks, nodes };
    });
    if ('error' in asked)
      return { reason: 'SwarmUnavailable', message: `no manager of SwarmCluster ${swarm.metadata.name} answered: ${asked.error}` };
    if (!asked.value)
      return { reason: 'ServiceNotFound', message: `service ${res.spec.service} does not exist in SwarmCluster ${swarm.metadata.name}` };
    return { swarm, ...asked.value };
  }

  async reconcile(res: ServiceAddresses, ctx: KindReconcileContext): Promise<ReconcileOutcome<ServiceAddressesObserved>> {
    const addresses = slotAddresses(res.spec);
    const candidates = [
      ...new Set(
        addresses.flatMap((a) => [
          ...ctx.cache.byIndex('StaticIPAttachment', CLAIMS_INDEX, claimKey(a)),
          ...ctx.cache.byIndex(KIND, CLAIMS_INDEX, claimKey(a)),
        ]),
      ),
    ];
    const conflict = findServiceAddressConflict(res, candidates);
    if (conflict) return { observed: {}, conditions: ready('False', 'AddressConflict', conflict.message), requeueAfter: this.retryAfterMs };

    const previous = res.status?.slots ?? [];
    const w = await this.world(res, ctx);
    if (!('service' in w)) {
      // No tasks to hold anything (service gone): what earlier tasks held is released.
      if (w.reason === 'ServiceNotFound')
        await this.releaseAll(
          res,
          previous.flatMap((p) => heldTarget(p) ?? []),
          ctx,
          false,
        );
      return { observed: {}, conditions: ready('False', w.reason, w.message), requeueAfter: this.retryAfterMs };
    }
    const plan = planSlots({
      service: w.service.name,
      mode: w.service.mode,
      addresses,
      tasks: w.tasks,
      nodes: w.nodes,
      hostOf: nodeHostMatcher(w.swarm, ctx.hosts),
      previous,
    });
    const results = new Map<string, SlotResult>();
    const failures: string[] = [];
    let applied = false;
    await Promise.all(
      plan.slots.map(async (slot) => {
        const r = await this.runSlot(res, w.swarm, slot, ctx).catch((err: unknown): SlotResult & { failed: string } => {
          const message = err instanceof SwarmopError || err instanceof Error ? err.message : String(err);
          return { attached: false, reason: 'AttachFailed', message, failed: message };
        });
        results.set(slot.key, r);
        if ('failed' in r && typeof r.failed === 'string') failures.push(`slot ${slot.key}: ${r.failed}`);
        if ('applied' in r && r.applied === true) applied = true;
      }),
    );
    for (const o of plan.orphans) {
      const t = heldTarget(o);
      if (t) await this.releaseAll(res, [t], ctx, false);
    }
    const slots = slotStatuses(plan, results);
    const lastAppliedTime = applied ? ctx.now().toISOString() : res.status?.lastAppliedTime;
    const cond = readyCondition(w.service.name, plan, slots, w.service.replicas);
    const requeue = [
      cond.requeueAfter,
      this.soon(plan, w.tasks),
      cond.conditions[0]?.status === 'True' ? this.recheckMs : undefined,
    ].filter((x): x is number => x !== undefined);
    return {
      observed: observedStatus(w.service.mode, slots, lastAppliedTime),
      conditions: cond.conditions,
      ...(requeue.length ? { requeueAfter: Math.min(...requeue) } : {}),
      ...(failures.length ? { repairFailed: failures.join('; ') } : {}),
    };
  }

  /** Look again shortly while a task is about to run or waits for an older one to stop. */
  private soon(plan: SlotPlan, tasks: readonly SwarmTask[]): number | undefined {
    if (plan.slots.some((s) => s.waiting.length > 0)) return 500;
    if (tasks.some((t) => t.desiredState === 'running' && STARTING.has(t.state))) return 250;
    return undefined;
  }

  /**
   * One slot: release the earlier holder, then attach the holder. A holder whose container the
   * engine shows stopped (the manager has not caught up) hands over to the next running task.
   */
  private async runSlot(
    res: ServiceAddresses,
    swarm: SwarmCluster,
    slot: PlannedSlot,
    ctx: KindReconcileContext,
  ): Promise<SlotResult & { applied?: boolean; failed?: string }> {
    const seen = res.status?.slots?.find((p) => p.slot === slot.key && p.attached && p.taskID !== undefined);
    if (seen && !this.lastHolder.has(holderKey(res, slot.key)))
      this.lastHolder.set(holderKey(res, slot.key), {
        taskID: seen.taskID!,
        ...(seen.node ? { node: seen.node } : {}),
        ...(seen.host ? { host: seen.host } : {}),
      });
    const release = slot.release ? heldTarget(slot.release) : undefined;
    let released = false;
    if (release) {
      const host = ctx.hosts.get(release.host);
      // A host that does not answer cannot be asked; its task is being replaced because it is down.
      if (host && host.ready !== false) {
        try {
          const out = await releaseSlot(this.attacher, res, release, ctx);
          released = out.recorded.events.some((e) => e.reason === 'Detached');
          if (released && !slot.holder)
            await ctx.event(
              'Normal',
              'Released',
              `slot ${slot.key}: removed ${slot.address} from task ${short(release.taskID)} on ${release.host}`,
            );
        } catch (err) {
          const message = `${slot.address} is still on task ${short(release.taskID)} on ${release.host} and could not be removed: ${(err as Error).message}`;
          return { attached: false, reason: 'ReleasePending', message, failed: message };
        }
      }
    }
    if (!slot.holder) return { attached: false };
    const order: PlannedHolder[] = [slot.holder, ...slot.waiting];
    let last: SlotResult & { applied?: boolean; failed?: string } = { attached: false };
    for (const [i, h] of order.entries()) {
      if (!h.host) {
        return {
          attached: false,
          holder: h,
          reason: 'NodeNotADockerHost',
          message: `task ${short(h.task.id)} runs on node ${h.node?.hostname ?? h.task.nodeID}, which is none of SwarmCluster ${swarm.metadata.name}'s DockerHosts`,
        };
      }
      const prevSame = slot.release === undefined && res.status?.slots?.find((p) => p.slot === slot.key && p.taskID === h.task.id);
      const target: SlotTarget = { key: slot.key, address: slot.address, taskID: h.task.id, host: h.host, container: h.container };
      const { outcome, recorded } = await attachSlot(
        this.attacher,
        res,
        target,
        prevSame
          ? { ...(prevSame.containerID ? { containerID: prevSame.containerID } : {}), ...(prevSame.pid ? { pid: prevSame.pid } : {}) }
          : undefined,
        ctx,
      );
      const cond = outcome.conditions.find((c) => c.type === 'Ready');
      last = {
        attached: cond?.status === 'True',
        ...(i > 0 ? { holder: h } : {}),
        ...(outcome.observed.containerID ? { containerID: outcome.observed.containerID } : {}),
        ...(outcome.observed.pid ? { pid: outcome.observed.pid } : {}),
        ...(cond && cond.status !== 'True' ? { reason: cond.reason, message: cond.message } : {}),
        ...(outcome.repairFailed ? { failed: outcome.repairFailed } : {}),
        applied: recorded.events.length + recorded.repairs.length > 0,
      };
      const previousHolder = i === 0 ? slot.release : undefined;
      const key = holderKey(res, slot.key);
      const known = this.lastHolder.get(key);
      const earlier = previousHolder?.attached ? previousHolder : known && known.taskID !== h.task.id ? known : undefined;
      if (last.attached)
        this.lastHolder.set(key, {
          taskID: h.task.id,
          ...(h.node?.hostname ? { node: h.node.hostname } : {}),
          ...(h.host ? { host: h.host } : {}),
        });
      await this.record(res, slot, h, earlier, released, recorded, ctx);
      if (last.attached || !cond || !GONE.has(cond.reason) || i === order.length - 1) return last;
    }
    return last;
  }

  /** One move is one `TaskMoved` repair; anything else the attach recorded goes through in the slot's words. */
  private async record(
    res: ServiceAddresses,
    slot: PlannedSlot,
    h: PlannedHolder,
    moved: { taskID?: string; node?: string; host?: string } | undefined,
    released: boolean,
    rec: Recorded,
    ctx: KindReconcileContext,
  ): Promise<void> {
    const attachedNow = rec.events.some((e) => e.reason === 'Attached');
    if (moved && attachedNow) {
      await ctx.repaired({
        reason: 'TaskMoved',
        found: `slot ${slot.key} of service ${res.spec.service}: task ${short(moved.taskID)} on ${moved.node ?? moved.host ?? '?'} was replaced by task ${short(h.task.id)} on ${h.node?.hostname ?? h.host}`,
        action: `${released ? `removed ${slot.address} from the old task on ${moved.host}; ` : ''}attached ${slot.address} to ${res.spec.interface} of ${h.container} on ${h.host}`,
        ...(h.host ? { host: h.host } : {}),
      });
      return;
    }
    for (const e of rec.events) await ctx.event(e.type, e.reason, `slot ${slot.key}: ${e.message}`);
    for (const r of rec.repairs) await ctx.repaired({ ...r, found: `slot ${slot.key}: ${r.found}` });
  }

  /** Releases `targets`; false when a host that answers could not be cleaned (the caller retries). */
  private async releaseAll(
    res: ServiceAddresses,
    targets: readonly SlotTarget[],
    ctx: KindReconcileContext,
    deleting: boolean,
  ): Promise<boolean> {
    let ok = true;
    for (const t of targets) {
      const host = ctx.hosts.get(t.host);
      if (!host || host.ready === false) continue;
      try {
        await releaseSlot(this.attacher, res, t, ctx, deleting ? targets : []);
      } catch (err) {
        ctx.log?.warn?.('release failed', { host: t.host, task: t.taskID, error: (err as Error).message });
        ok = false;
      }
    }
    return ok;
  }

  async finalize(res: ServiceAddresses, ctx: KindReconcileContext): Promise<FinalizeOutcome> {
    for (const k of [...this.lastHolder.keys()]) if (k.startsWith(holderKey(res, ''))) this.lastHolder.delete(k);
    const targets = new Map<string, SlotTarget>();
    for (const p of res.status?.slots ?? []) {
      const t = heldTarget(p);
      if (t) targets.set(t.taskID, t);
    }
    // Tasks attached since the last status write are found through the manager, when it answers.
    const w = await this.world(res, ctx).catch(() => undefined);
    if (w && 'service' in w) {
      const plan = planSlots({
        service: w.service.name,
        mode: w.service.mode,
        addresses: slotAddresses(res.spec),
        tasks: w.tasks,
        nodes: w.nodes,
        hostOf: nodeHostMatcher(w.swarm, ctx.hosts),
        previous: [],
      });
      for (const s of plan.slots) {
        for (const h of s.holder ? [s.holder] : []) {
          if (h.host && !targets.has(h.task.id))
            targets.set(h.task.id, { key: s.key, address: s.address, taskID: h.task.id, host: h.host, container: h.container });
        }
      }
    }
    const ok = await this.releaseAll(res, [...targets.values()], ctx, true);
    if (ok && targets.size > 0)
      await ctx.event(
        'Normal',
        'Detached',
        `released ${targets.size} task address${targets.size === 1 ? '' : 'es'} of service ${res.spec.service}`,
      );
    return ok ? { done: true } : { done: false, requeueAfter: this.retryAfterMs };
  }

  mapHostEvent(host: string, event: HostEvent, cache: ObjectCache): string[] {
    if (event.Type !== 'container' || !CONTAINER_ACTIONS.has(event.Action)) return [];
    const service = event.Actor.Attributes?.['com.docker.swarm.service.name'];
    if (!service) return [];
    const names = cache.byIndex(KIND, SERVICE_INDEX, service).map((o) => o.metadata.name);
    const container = event.Actor.Attributes?.name;
    if (names.length > 0 && container && this.attacher.mapHostEvent) {
      // The attachment controller notes the event (and prefetches a started container's inspect) for the attach that follows.
      const note = { metadata: { name: container }, spec: { host, container } };
      this.attacher.mapHostEvent(host, event, {
        get: () => undefined,
        list: () => [],
        byIndex: (<K extends KindName>(k: K, _i: string, v: string) =>
          k === 'StaticIPAttachment' && v === host ? [note] : []) as ObjectCache['byIndex'],
      });
    }
    return names;
  }

  /**
   * The attachment controller's own watch of the hosts (netlink changes in the attached containers,
   * the inspect a start event prefetches), over the slots' in-memory attachments: a change there
   * re-queues the ServiceAddresses that holds the slot.
   */
  async watchHosts(ctx: HostWatchContext, signal: AbortSignal): Promise<void> {
    if (!this.attacher.watchHosts) {
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return;
    }
    const owners = new Map<string, string>();
    const slots = (): StaticIPAttachment[] =>
      ctx.cache.list(KIND).flatMap((res) =>
        (res.status?.slots ?? []).flatMap((s) => {
          if (!s.attached || !s.host || !s.taskID || !s.container) return [];
          const a = slotAttachment(res, { key: s.slot, address: s.address, taskID: s.taskID, host: s.host, container: s.container });
          owners.set(a.metadata.name, res.metadata.name);
          return [a];
        }),
      );
    const cache: ObjectCache = {
      get: () => undefined,
      list: (<K extends KindName>(k: K) => (k === 'StaticIPAttachment' ? slots() : [])) as ObjectCache['list'],
      byIndex: (<K extends KindName>(k: K, index: string, value: string) =>
        k === 'StaticIPAttachment' && index === HOST_INDEX ? slots().filter((a) => a.spec.host === value) : []) as ObjectCache['byIndex'],
    };
    await this.attacher.watchHosts(
      { hosts: ctx.hosts, cache, log: ctx.log, enqueue: (name) => ctx.enqueue(owners.get(name) ?? name) },
      signal,
    );
  }

  mapHostConnectivity(_host: string, connected: boolean, cache: ObjectCache): string[] {
    return connected ? cache.list(KIND).map((o) => o.metadata.name) : [];
  }

  mapObjectChange(kind: KindName, name: string, cache: ObjectCache): string[] {
    const all = cache.list(KIND);
    if (kind === 'SwarmCluster') return all.filter((o) => o.spec.swarmCluster === name).map((o) => o.metadata.name);
    if (kind === 'DockerHost') return all.map((o) => o.metadata.name);
    // A claim changed or went away: the objects it refused may now be free.
    return all
      .filter((o) => o.metadata.name !== name && o.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'AddressConflict'))
      .map((o) => o.metadata.name);
  }
}

function claimKey(cidr: string): string {
  return `ip:${parseCidr(cidr)?.address ?? cidr}`;
}

function holderKey(res: ServiceAddresses, slot: string): string {
  return `${res.metadata.uid ?? res.metadata.name}/${slot}`;
}
