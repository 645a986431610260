/**
 * The StaticIPAttachment reconciler with its Consul service: the network reconciler runs first and
 * decides Ready; the registration step runs after it and adds `status.service` and the
 * `ServiceRegistered` condition. On delete the service goes first, then the interface.
 */
import type { KindName, StaticIPAttachment } from '../../../crds/index.js';
import type {
  FinalizeOutcome,
  HostEvent,
  HostWatchContext,
  KindReconciler,
  ObjectCache,
  KindReconcileContext,
  ReconcileOutcome,
} from '../../kind-reconciler.js';
import type { StaticIPAttachmentReconciler } from '../reconciler.js';
import type { AttachmentObserved } from '../status.js';
import type { ServiceRegistrationStep } from './step.js';

export type ObservedWithService = AttachmentObserved & { service?: NonNullable<StaticIPAttachment['status']>['service'] };

export interface ServiceRegisteringReconcilerOptions {
  network: StaticIPAttachmentReconciler;
  service: ServiceRegistrationStep;
}

export class ServiceRegisteringReconciler implements KindReconciler<StaticIPAttachment, ObservedWithService> {
  readonly kind: KindName;
  readonly finalizer: string;
  private readonly network: StaticIPAttachmentReconciler;
  private readonly service: ServiceRegistrationStep;

  constructor(options: ServiceRegisteringReconcilerOptions) {
    this.network = options.network;
    this.service = options.service;
    this.kind = this.network.kind;
    this.finalizer = this.network.finalizer;
  }

  async reconcile(resource: StaticIPAttachment, ctx: KindReconcileContext): Promise<ReconcileOutcome<ObservedWithService>> {
    const net = await this.network.reconcile(resource, ctx);
    const s = await this.service.reconcile(resource, net, ctx);
    const requeue = [net.requeueAfter, s.requeueAfter].filter((x): x is number => x !== undefined);
    return {
      observed: { ...net.observed, ...(s.service ? { service: s.service } : {}) },
      conditions: [...net.conditions, ...(s.condition ? [s.condition] : [])],
      ...(requeue.length ? { requeueAfter: Math.min(...requeue) } : {}),
    };
  }

  async finalize(resource: StaticIPAttachment, ctx: KindReconcileContext): Promise<FinalizeOutcome> {
    await this.service.finalize(resource, ctx);
    return this.network.finalize(resource, ctx);
  }

  mapHostEvent(host: string, event: HostEvent, cache: ObjectCache): string[] {
    return this.network.mapHostEvent(host, event, cache);
  }

  mapHostConnectivity(host: string, connected: boolean, cache: ObjectCache): string[] {
    return this.network.mapHostConnectivity(host, connected, cache);
  }

  /** The network reconciler's own watch of the hosts (netlink monitors): repairs without waiting for resync. */
  watchHosts(ctx: HostWatchContext, signal: AbortSignal): Promise<void> {
    return this.network.watchHosts(ctx, signal);
  }

  mapObjectChange(kind: KindName, name: string, cache: ObjectCache): string[] {
    const names = this.network.mapObjectChange(kind, name, cache);
    // A ConsulCluster edit can move the agent or its token: its attachments look again.
    if (kind === 'ConsulCluster')
      names.push(
        ...cache
          .list('StaticIPAttachment')
          .filter((o) => o.spec.service?.consulCluster === name)
          .map((o) => o.metadata.name),
      );
    return [...new Set(names)];
  }
}
