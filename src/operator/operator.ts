/**
 * The operator: watches swarmop's documents in Consul KV and runs one controller per kind.
 *
 *   JournalWatcher(objects/) ─ ObjectIndex per kind ─┬─ Controller(DockerHost)  ─ driver ─ reconciler
 *                                                  ├─ Controller(ConsulCluster) ...
 *   HostStreams (Docker /events per DockerHost) ───┘   (mapHostEvent / mapHostConnectivity → enqueue)
 *
 * Only objects keys (spec + metadata) are watched and cached. Status is the controllers' own
 * output: the driver reads the stored status in the same call that writes the new one, so a
 * status write never wakes the watch and never triggers a reconcile. The JournalWatcher blocks on
 * the objects prefix's index, reads the store's objects journal and GETs only the changed objects
 * (a listing of 10,000 documents is ~6 MB); it re-lists at start, on a journal gap, on a write
 * that bypassed the journal (a document put into KV by hand) and every `relistMs`. Object indexes are
 * patched per changed key.
 *
 * For the runtime Manager it splits into `sources` (the watchers: always running, so a standby
 * replica keeps a warm cache) and `leaderRunnables` (controllers and host event streams: only while
 * leading; controllers are built afresh for every leadership term).
 */
import type { KindName, Resource } from '../crds/index.js';
import type { KindReconciler, KindTypes, ObjectCache } from '../controllers/kind-reconciler.js';
import { KIND_INDEXERS } from '../controllers/kind-indexes.js';
import { Controller, changedBy } from '../runtime/controller.js';
import type { Fence } from '../runtime/fence.js';
import { createSilentLogger, type Logger } from '../runtime/logger.js';
import type { Runnable, Source } from '../runtime/manager.js';
import type { RuntimeMetrics } from '../runtime/metrics.js';
import { ObjectIndex } from '../runtime/object-index.js';
import type { KvStore } from '../store/kv.js';
import { JournalWatcher } from '../store/journal-watcher.js';
import type { ResourceStore, DecodedObject } from '../store/resource-store.js';
import { HostRegistry } from './host-registry.js';
import { HostStreams } from './host-streams.js';
import { SnapshotDecoder } from './snapshot-decoder.js';
import { createReconcileDriver } from './reconcile-driver.js';

export interface OperatorOptions {
  kv: KvStore;
  store: ResourceStore;
  reconcilers: readonly KindReconciler[];
  log?: Logger;
  metrics?: RuntimeMetrics;
  /** Periodic resync of every object (ms); default 30 000. */
  resyncMs?: number;
  /** Max concurrent reconciles per controller; default 4. */
  concurrency?: number;
  /** Watch each DockerHost's /events stream (default true). */
  hostEvents?: boolean;
  /**
   * Safety-net full re-list of the objects (ms; default 60 000). A document written into KV by
   * hand is normally seen at once (its index is not a journaled one); this bounds the rare case
   * where such a write and a journaled one land in the same wake. Journaled changes: at once.
   */
  relistMs?: number;
  /** Under leader election: the Docker clients of every host are fenced with it (host-registry.ts). */
  fence?: Fence;
}

export class Operator {
  readonly cache: ObjectCache;
  readonly hosts: HostRegistry;
  readonly sources: Source[];
  readonly leaderRunnables: Runnable[];
  readonly #opts: OperatorOptions;
  readonly #log: Logger;
  readonly #indexes = new Map<KindName, ObjectIndex<DecodedObject>>();
  #controllers = new Map<KindName, Controller<DecodedObject>>();
  readonly #watcher: JournalWatcher;
  #terms = 0;

  constructor(options: OperatorOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
    const store = options.store;
    const kinds = new Set<KindName>(['DockerHost', ...options.reconcilers.map((r) => r.kind)]);
    // One incremental decode per listing or change, shared by every kind's object index.
    const decoder = new SnapshotDecoder({ store });
    for (const kind of kinds) {
      this.#indexes.set(
        kind,
        new ObjectIndex<DecodedObject>({ identity: (d) => `${d.specIndex}/${d.statusIndex}`, indexers: decodedIndexers(kind) }),
      );
    }
    // Object indexes hold decoded, validated objects of their kind, so the kind map's types hold.
    // A kind's list is built once per change of that kind and shared until the next one: some
    // reconcilers read the whole list on every run (StaticIPAttachment's address conflicts), and
    // rebuilding 10,000 entries per run was most of the operator's CPU during a full sync.
    const lists = new Map<KindName, readonly Resource[]>();
    for (const [kind, objectIndex] of this.#indexes) objectIndex.subscribe(() => lists.delete(kind));
    this.cache = {
      get: <K extends KindName>(kind: K, name: string) =>
        this.#indexes.get(kind)?.get(name)?.resource as unknown as KindTypes[K] | undefined,
      list: <K extends KindName>(kind: K) => {
        let list = lists.get(kind);
        if (!list) {
          const built: Resource[] = [];
          for (const d of this.#indexes.get(kind)?.list() ?? []) if (d.resource) built.push(d.resource);
          lists.set(kind, (list = built));
        }
        return list as unknown as KindTypes[K][];
      },
      byIndex: <K extends KindName>(kind: K, index: string, value: string) => {
        const out: Resource[] = [];
        for (const d of this.#indexes.get(kind)?.byIndex(index, value) ?? []) if (d.resource) out.push(d.resource);
        return out as unknown as KindTypes[K][];
      },
    };
    this.hosts = new HostRegistry({
      dockerHosts: () => this.cache.list('DockerHost'),
      dockerHost: (name) => this.cache.get('DockerHost', name),
      ...(options.fence ? { fence: options.fence } : {}),
    });
    this.#wireObjectTriggers();

    // Only objects keys are watched: status is written by us and read fresh when we write it, so
    // a status write never wakes the watch.
    const watcher = new JournalWatcher({
      kv: options.kv,
      prefix: store.prefix,
      relistMs: options.relistMs,
      log: this.#log,
      onList: (pairs) => {
        const byKind = decoder.decode(pairs);
        for (const [kind, objectIndex] of this.#indexes) objectIndex.replace(namedItems(byKind.get(kind) ?? []), 0);
      },
      onChange: (changed, removed) => {
        for (const [kind, items] of decoder.decodeChanges(changed, removed)) this.#indexes.get(kind as KindName)?.patch(items, 0);
      },
    });
    this.#watcher = watcher;
    this.sources = [{ name: 'watcher objects', start: (signal) => watcher.start(signal), hasSynced: () => watcher.hasSynced() }];

    this.leaderRunnables = [{ name: 'controllers', start: (signal) => this.#runControllers(signal) }];
    if (options.hostEvents !== false) {
      const streams = new HostStreams({
        dockerHosts: () => this.cache.list('DockerHost'),
        // Streams wait for the DockerHost controller's probe, when there is one to wait for.
        ...(options.reconcilers.some((r) => r.kind === 'DockerHost') ? { probes: this.hosts } : {}),
        client: (h) => this.hosts.streamClient(h),
        dockerHost: (name) => this.cache.get('DockerHost', name),
        log: this.#log,
        onEvent: (host, event) => {
          for (const r of this.#opts.reconcilers) {
            if (!r.mapHostEvent) continue;
            for (const name of r.mapHostEvent(host, event, this.cache)) this.#controllers.get(r.kind)?.enqueue(name);
          }
        },
        onConnectivity: (host, connected) => {
          this.hosts.setConnected(host, connected);
          for (const r of this.#opts.reconcilers) {
            if (!r.mapHostConnectivity) continue;
            for (const name of r.mapHostConnectivity(host, connected, this.cache)) this.#controllers.get(r.kind)?.enqueue(name);
          }
        },
      });
      this.#indexes.get('DockerHost')!.subscribe(() => streams.sync());
      this.leaderRunnables.push({ name: 'host-events', start: (signal) => streams.start(signal) });
    }
  }

  /** True once the watcher delivered a first listing. */
  hasSynced(): boolean {
    return this.#watcher.hasSynced();
  }

  /** Re-lists every object now rather than at the next `relistMs` period. */
  relistObjects(): void {
    this.#watcher.relistNow();
  }

  /** The objects watcher's state (re-lists, journal position), for tests and benchmarks. */
  get watchState(): JournalWatcher['state'] {
    return this.#watcher.state;
  }

  controller(kind: KindName): Controller<DecodedObject> | undefined {
    return this.#controllers.get(kind);
  }

  /** Runs sources and leader runnables together (no leader election); resolves after draining. */
  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([...this.sources, ...this.leaderRunnables].map((r) => r.start(signal)));
  }

  /**
   * One leadership term: fresh controllers over the warm cache, started once it has synced. A term
   * after the first (a replica that lost the lock and campaigned again) starts from a fresh listing:
   * the cache of a replica that was cut off may be arbitrarily old.
   */
  async #runControllers(signal: AbortSignal): Promise<void> {
    const { store } = this.#opts;
    this.#terms += 1;
    if (this.#terms > 1) {
      const relists = this.#watcher.state.relists;
      this.#watcher.relistNow('new leadership term');
      await waitFor(() => this.#watcher.state.relists > relists, signal);
      if (signal.aborted) return;
    }
    const controllers = new Map<KindName, Controller<DecodedObject>>();
    for (const reconciler of this.#opts.reconcilers) {
      const kind = reconciler.kind;
      const driver = createReconcileDriver({
        kind,
        reconciler,
        store,
        hosts: this.hosts,
        cache: this.cache,
        metrics: this.#opts.metrics,
      });
      controllers.set(
        kind,
        new Controller<DecodedObject>({
          name: kind.toLowerCase(),
          cache: this.#indexes.get(kind)!,
          reconcile: driver,
          // Only spec/metadata changes (or validity) queue a reconcile; status writes do not.
          filter: changedBy((d) => [d.specIndex, d.errors.length]),
          concurrency: this.#opts.concurrency,
          resyncMs: this.#opts.resyncMs,
          metrics: this.#opts.metrics,
          log: this.#log,
        }),
      );
    }
    await waitFor(() => this.hasSynced(), signal);
    if (signal.aborted) return;
    this.#controllers = controllers;
    this.#log.info('cache synced, starting controllers', {
      objects: [...this.#indexes.values()].reduce((n, r) => n + r.size, 0),
      controllers: [...controllers.keys()],
    });
    const watches = this.#opts.reconcilers.flatMap((r) => {
      if (!r.watchHosts || this.#opts.hostEvents === false) return [];
      const ctx = {
        hosts: this.hosts,
        cache: this.cache,
        enqueue: (name: string) => controllers.get(r.kind)?.enqueue(name),
        log: this.#log,
      };
      return [r.watchHosts(ctx, signal)];
    });
    await Promise.all([...[...controllers.values()].map((c) => c.start(signal)), ...watches]);
  }

  /** Changes of one kind re-trigger dependants of other kinds (e.g. a DockerHost edit). */
  #wireObjectTriggers(): void {
    for (const [kind, objectIndex] of this.#indexes) {
      objectIndex.subscribe((events) => {
        for (const e of events) {
          for (const r of this.#opts.reconcilers) {
            if (!r.mapObjectChange || r.kind === kind) continue;
            for (const name of r.mapObjectChange(kind, e.key, this.cache)) this.#controllers.get(r.kind)?.enqueue(name, { changed: true });
          }
        }
      });
    }
  }
}

/** The kind's indexes (kind-indexes.ts) over decoded objects; an invalid document is in none. */
function decodedIndexers(kind: KindName): Record<string, (d: DecodedObject) => readonly string[]> {
  const indexers: Record<string, (d: DecodedObject) => readonly string[]> = {};
  for (const [name, fn] of Object.entries(KIND_INDEXERS[kind] ?? {}) as [string, (r: Resource) => readonly string[]][]) {
    indexers[name] = (d) => (d.resource ? fn(d.resource) : []);
  }
  return indexers;
}

function* namedItems(objects: readonly DecodedObject[]): Iterable<readonly [string, DecodedObject]> {
  for (const d of objects) yield [d.name, d];
}

/** A stored status that is not a JSON object (written by hand) counts as no status. */
export function parseStatus(value: string): Resource['status'] | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Resource['status']) : undefined;
  } catch {
    return undefined;
  }
}

function waitFor(cond: () => boolean, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (cond() || signal.aborted) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(check, 20);
    check();
  });
}
