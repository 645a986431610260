/**
 * The contract between a kind's controller and the operator (src/operator/), in the spirit of
 * controller-runtime's reconcile.Reconciler: given the desired object, look at the world, repair the
 * smallest difference, and return the observed status. The operator owns everything around it:
 * the cache, the workqueue, finalizer bookkeeping, InvalidSpec handling, condition transition times,
 * observedGeneration and the compare-and-set status write (skipped when nothing changed).
 */
import type Docker from 'dockerode';
import type { Logger } from 'winston';
import type {
  ConditionStatus,
  ConsulCluster,
  DockerHost,
  KindName,
  Resource,
  ServiceAddresses,
  StaticIPAttachment,
  SwarmCluster,
} from '../crds/index.js';

/** A DockerHost as the other controllers see it (from the operator's cache). */
export interface HostHandle {
  name: string;
  /** The host's LAN address (DockerHost spec.address). */
  address: string;
  docker: Docker;
  /**
   * A client of the same engine without a request timeout, for long-lived streams (helper
   * sessions, netlink monitors). Absent in fakes: callers then fall back to one exec per program.
   */
  streamDocker?: Docker;
  /** Last known reachability from the host's event stream / DockerHost status. */
  ready: boolean;
}

export interface Hosts {
  get(name: string): HostHandle | undefined;
  list(): HostHandle[];
  /**
   * The DockerHost controller's probe of a host's engine (answered or not). The operator opens a
   * host's event stream only after a probe that answered. Absent in fakes.
   */
  reportProbe?(name: string, reachable: boolean): void;
}

/** The object type of each kind. */
export interface KindTypes {
  DockerHost: DockerHost;
  ConsulCluster: ConsulCluster;
  SwarmCluster: SwarmCluster;
  StaticIPAttachment: StaticIPAttachment;
  ServiceAddresses: ServiceAddresses;
}

/** Read-only view of every watched object with a valid spec, kept current by the object indexes. */
export interface ObjectCache {
  get<K extends KindName>(kind: K, name: string): KindTypes[K] | undefined;
  list<K extends KindName>(kind: K): KindTypes[K][];
  /** The objects of `kind` found under `value` in one of its indexes (kind-indexes.ts). */
  byIndex<K extends KindName>(kind: K, index: string, value: string): KindTypes[K][];
}

/** One repaired drift: becomes one `drift repaired` log line, one event and one metric increment. */
export interface Repair {
  /** CamelCase reason, also the metric label, e.g. `ContainerRestarted`, `MemberRejoined`. */
  reason: string;
  /** What was found wrong, e.g. `eth1 missing in web1 (container restarted)`. */
  found: string;
  /** What was done, e.g. `re-attached 10.0.0.14/24 via veth1pl4242`. */
  action: string;
  host?: string;
}

export interface KindReconcileContext {
  log: Logger;
  signal: AbortSignal;
  reconcileId: string;
  hosts: Hosts;
  cache: ObjectCache;
  repaired(repair: Repair): Promise<void>;
  event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  now(): Date;
}

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export interface ReconcileOutcome<Observed extends object = object> {
  /** Kind-specific observed facts, rebuilt from what was seen this time (never copied from old status). */
  observed: Observed;
  /** Must include `Ready`. lastTransitionTime/observedGeneration are filled in by the operator. */
  conditions: ConditionInput[];
  /** Re-check after this many ms even without a change (e.g. while converging). */
  requeueAfter?: number;
  /**
   * A repair this run attempted failed (why). The status is still written from the observation,
   * but the run counts as failed: the workqueue backs off (events do not cut that short) and the
   * operator shows `Degraded`/`RepairFailing` with this message and the attempt count.
   */
  repairFailed?: string;
}

export interface FinalizeOutcome {
  /** True when everything this controller did on the hosts is undone; the finalizer is then removed. */
  done: boolean;
  requeueAfter?: number;
}

/** A Docker engine event, as delivered by the host event streams. */
export interface HostEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** What a reconciler's own host watch (see KindReconciler.watchHosts) gets from the operator. */
export interface HostWatchContext {
  hosts: Hosts;
  cache: ObjectCache;
  /** Queues a reconcile of this kind's object `name` (the workqueue's rules apply). */
  enqueue(name: string): void;
  log: Logger;
}

// Any kind's spec and status: the reconcilers of all kinds share this one contract.
export interface KindReconciler<R extends Resource<any, any> = Resource<any, any>, Observed extends object = object> {
  kind: KindName;
  /** Present when the controller changes hosts and must undo that on delete. */
  finalizer?: string;
  reconcile(resource: R, ctx: KindReconcileContext): Promise<ReconcileOutcome<Observed>>;
  finalize?(resource: R, ctx: KindReconcileContext): Promise<FinalizeOutcome>;
  /** Docker event on `host` -> names of this kind's objects to reconcile now. */
  mapHostEvent?(host: string, event: HostEvent, cache: ObjectCache): string[];
  /** A host's event stream connected (true) or broke (false) -> names to reconcile now. */
  mapHostConnectivity?(host: string, connected: boolean, cache: ObjectCache): string[];
  /** Objects of other kinds that, when changed, should re-trigger some of ours (e.g. a DockerHost edit). */
  mapObjectChange?(kind: KindName, name: string, cache: ObjectCache): string[];
  /**
   * The kind's own watch of the hosts (e.g. netlink changes), run by the operator while leading,
   * next to the controllers; resolves after `signal` aborts.
   */
  watchHosts?(ctx: HostWatchContext, signal: AbortSignal): Promise<void>;
}
