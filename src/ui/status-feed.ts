/**
 * The status page's view of the stored statuses and events. The operator caches only objects
 * (spec + metadata); statuses and events live under their own prefixes, so the page follows
 * `<prefix>status/` and `<prefix>events/` with the runtime's blocking-query watchers.
 *
 * It runs only while someone looks: `touch()` (every page request, every open live stream) starts
 * the watchers, and they stop after `idleMs` without a touch, dropping what they held. An
 * operator with 10,000 objects whose page nobody opens pays nothing for it. A re-delivered listing is cheap: only keys whose
 * ModifyIndex changed are parsed again.
 *
 * New events (an occurrence not seen in the previous listing) are handed to the timeline
 * listeners; the first listing after a start is history and notifies nobody.
 */
import type { KindName } from '../crds/kind-info.js';
import type { BaseStatus } from '../crds/meta.js';
import { createSilentLogger, type Logger } from '../runtime/logger.js';
import { PrefixWatcher } from '../runtime/watcher.js';
import type { KvPair, KvStore } from '../store/kv.js';
import { parseEvents, type ObjectEvent } from '../store/object-events.js';
import { parseKey, sectionPrefix } from '../store/store-keys.js';
import { timelineEntry, type TimelineEntry } from './view-model.js';

export interface StatusFeedOptions {
  kv: Pick<KvStore, 'list'>;
  /** The store prefix (normalized, e.g. "swarmop/"). */
  prefix: string;
  /** Stop watching after this long without a touch; default 10 minutes. */
  idleMs?: number;
  /** Blocking-query wait (Consul duration); default "60s". */
  wait?: string;
  log?: Logger;
}

interface Parsed<T> {
  modifyIndex: number;
  value: T;
}

export type TimelineListener = (entries: TimelineEntry[]) => void;

export class StatusFeed {
  readonly #opts: StatusFeedOptions;
  readonly #log: Logger;
  readonly #statuses = new Map<string, Parsed<BaseStatus | undefined>>();
  readonly #events = new Map<string, Parsed<ObjectEvent[]>>();
  readonly #seen = new Set<string>();
  readonly #listeners = new Set<TimelineListener>();
  #parent: AbortSignal | undefined;
  #running: AbortController | undefined;
  #watchers: PrefixWatcher[] = [];
  #lastTouch = 0;
  #eventsSynced = false;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(options: StatusFeedOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
  }

  /** Serves until `signal` aborts; watching itself starts at the first touch. */
  async start(signal: AbortSignal): Promise<void> {
    this.#parent = signal;
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#stopWatching();
  }

  get watching(): boolean {
    return this.#running !== undefined;
  }

  /** Marks the page as in use; starts the watchers when they are not running. */
  touch(): void {
    this.#lastTouch = Date.now();
    if (this.#running || !this.#parent || this.#parent.aborted) return;
    const ac = new AbortController();
    this.#running = ac;
    const onParent = () => ac.abort();
    this.#parent.addEventListener('abort', onParent, { once: true });
    ac.signal.addEventListener('abort', () => this.#parent?.removeEventListener('abort', onParent), { once: true });
    this.#eventsSynced = false;
    const watch = (section: 'status' | 'events', onSnapshot: (pairs: KvPair[]) => void) =>
      new PrefixWatcher({
        kv: this.#opts.kv,
        prefix: sectionPrefix(this.#opts.prefix, section),
        onSnapshot,
        wait: this.#opts.wait,
        log: this.#log,
      });
    this.#watchers = [watch('status', (p) => this.#onStatuses(p)), watch('events', (p) => this.#onEvents(p))];
    for (const w of this.#watchers) {
      w.start(ac.signal).catch((err: unknown) =>
        this.#log.error('status page watcher failed', { error: err instanceof Error ? err.message : String(err) }),
      );
    }
    const idleMs = this.#opts.idleMs ?? 10 * 60_000;
    this.#idleTimer = setInterval(
      () => {
        if (Date.now() - this.#lastTouch >= idleMs) this.#stopWatching();
      },
      Math.min(idleMs, 30_000),
    );
    this.#idleTimer.unref();
    this.#log.info('status page watching statuses and events', { prefix: this.#opts.prefix });
  }

  #stopWatching(): void {
    if (this.#idleTimer) clearInterval(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#running?.abort();
    this.#running = undefined;
    this.#watchers = [];
    // Nobody looks: give the memory back (10,000 statuses are several MB); the next visit re-lists.
    this.#statuses.clear();
    this.#events.clear();
    this.#seen.clear();
  }

  /** True once both watchers delivered a listing since they (re)started. */
  hasSynced(): boolean {
    return this.#watchers.length > 0 && this.#watchers.every((w) => w.hasSynced());
  }

  /** Resolves once synced or after `timeoutMs`, whichever comes first (the page renders either way). */
  async waitSynced(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.hasSynced() && Date.now() < end && this.#running) await new Promise((r) => setTimeout(r, 10));
    return this.hasSynced();
  }

  status(kind: KindName, name: string): BaseStatus | undefined {
    return this.#statuses.get(`${kind}/${name}`)?.value;
  }

  *events(): Iterable<ObjectEvent> {
    for (const p of this.#events.values()) yield* p.value;
  }

  onTimeline(listener: TimelineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #onStatuses(pairs: KvPair[]): void {
    const present = new Set<string>();
    for (const p of pairs) {
      const k = parseKey(this.#opts.prefix, p.key);
      if (!k || k.section !== 'status') continue;
      const id = `${k.kind}/${k.name}`;
      present.add(id);
      if (this.#statuses.get(id)?.modifyIndex === p.modifyIndex) continue;
      this.#statuses.set(id, { modifyIndex: p.modifyIndex, value: parseStatusValue(p.value) });
    }
    for (const id of this.#statuses.keys()) if (!present.has(id)) this.#statuses.delete(id);
  }

  #onEvents(pairs: KvPair[]): void {
    const present = new Set<string>();
    const fresh: TimelineEntry[] = [];
    for (const p of pairs) {
      const k = parseKey(this.#opts.prefix, p.key);
      if (!k || k.section !== 'events') continue;
      const id = `${k.kind}/${k.name}`;
      present.add(id);
      if (this.#events.get(id)?.modifyIndex === p.modifyIndex) continue;
      const events = parseEvents(p.value);
      this.#events.set(id, { modifyIndex: p.modifyIndex, value: events });
      for (const e of events) {
        const entry = timelineEntry(e);
        if (this.#seen.has(entry.id)) continue;
        this.#seen.add(entry.id);
        fresh.push(entry);
      }
    }
    for (const id of this.#events.keys()) if (!present.has(id)) this.#events.delete(id);
    if (this.#seen.size > 50_000) this.#seen.clear(); // bounded; a cleared set only re-announces old ids once
    const announce = this.#eventsSynced;
    this.#eventsSynced = true;
    if (!announce || fresh.length === 0) return;
    fresh.sort((a, b) => a.time.localeCompare(b.time));
    for (const l of this.#listeners) l(fresh);
  }
}

function parseStatusValue(value: string): BaseStatus | undefined {
  try {
    const v: unknown = JSON.parse(value);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as BaseStatus) : undefined;
  } catch {
    return undefined;
  }
}
