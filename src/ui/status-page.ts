/**
 * The operator's read-only status page, mounted under `basePath` (default `/ui`) on the metrics
 * server and/or its own `--ui-addr` server:
 *
 *   GET {base}/                 the page (server-rendered; `?kind=K&page=N` pages one kind's list,
 *                               `?hosts=N` the hosts)
 *   GET {base}/events           server-sent events: new timeline entries, chart refresh ticks
 *   GET {base}/chart.svg        repairs per minute and mean reconcile latency (inline SVG)
 *   GET {base}/timeline.json    the timeline as JSON
 *   GET {base}/assets/ui.css|ui.js
 *
 * Only GET and HEAD are answered (405 otherwise): nothing here changes state. Objects come from
 * the operator's cache, statuses and events from the StatusFeed, chart data from the operator's
 * own metrics registry. A strict Content-Security-Policy allows only this page's own assets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KindName } from '../crds/kind-info.js';
import type { Resource } from '../crds/meta.js';
import { isKindName } from '../crds/kind-registry.js';
import { createSilentLogger, type Logger } from '../runtime/logger.js';
import type { RuntimeMetrics } from '../runtime/metrics.js';
import type { KvStore } from '../store/kv.js';
import { UI_CSS, UI_JS } from './assets.js';
import { renderChartSvg } from './chart.js';
import { MetricsHistory } from './metrics-history.js';
import { renderPage, type LeaderView } from './page.js';
import { SseHub } from './sse-hub.js';
import { StatusFeed } from './status-feed.js';
import { hostPage, kindPage, timeline, UI_KINDS, type UiSource } from './view-model.js';

export interface StatusPageOptions {
  /** Declared objects of a kind (the operator's cache). */
  objects: (kind: KindName) => readonly Resource[];
  kv: Pick<KvStore, 'list'>;
  prefix: string;
  metrics: RuntimeMetrics;
  basePath?: string;
  /** Longest a page request waits for the first listing of statuses; default 3 s. */
  syncWaitMs?: number;
  /** Page size of each kind's list; default 50. */
  pageSize?: number;
  feedIdleMs?: number;
  /** Event streams held at once (default SSE_MAX_CLIENTS). */
  maxSseClients?: number;
  /** Who leads (the operators' lock), shown in the header; absent without leader election. */
  leader?: () => Promise<LeaderView>;
  log?: Logger;
}

const CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export class StatusPage {
  readonly basePath: string;
  readonly feed: StatusFeed;
  readonly history: MetricsHistory;
  readonly #hub: SseHub;
  readonly #opts: StatusPageOptions;
  readonly #log: Logger;

  constructor(options: StatusPageOptions) {
    this.#opts = options;
    this.#log = options.log ?? createSilentLogger();
    this.basePath = (options.basePath ?? '/ui').replace(/\/+$/, '');
    this.feed = new StatusFeed({ kv: options.kv, prefix: options.prefix, idleMs: options.feedIdleMs, log: this.#log });
    this.history = new MetricsHistory({ metrics: options.metrics });
    this.#hub = new SseHub({
      onActive: () => this.feed.touch(),
      ...(options.maxSseClients === undefined ? {} : { maxClients: options.maxSseClients }),
    });
    this.feed.onTimeline((entries) => this.#hub.broadcast('timeline', entries));
  }

  /** Runs the feed and the metrics sampler until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.#hub.close(), { once: true });
    await Promise.all([this.feed.start(signal), this.history.start(signal)]);
  }

  /** True when `path` belongs to the page. */
  owns(path: string): boolean {
    return path === this.basePath || path.startsWith(`${this.basePath}/`);
  }

  source(): UiSource {
    return { objects: (kind) => this.#opts.objects(kind), status: (kind, name) => this.feed.status(kind, name) };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://page.invalid');
    const path = url.pathname;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        return void res.end('the status page is read-only\n');
      }
      const sub = path.slice(this.basePath.length);
      if (sub === '') {
        res.writeHead(302, { location: `${this.basePath}/${url.search}` });
        return void res.end();
      }
      this.feed.touch();
      switch (sub) {
        case '/':
          return await this.#page(url, req, res);
        case '/events':
          this.#hub.add(res);
          return;
        case '/chart.svg':
          return send(req, res, 200, renderChartSvg(await this.history.points()), 'image/svg+xml; charset=utf-8');
        case '/timeline.json':
          await this.feed.waitSynced(this.#opts.syncWaitMs ?? 3_000);
          return send(req, res, 200, JSON.stringify(timeline(this.feed.events())), 'application/json; charset=utf-8');
        case '/assets/ui.css':
          return send(req, res, 200, UI_CSS, 'text/css; charset=utf-8', 'max-age=300');
        case '/assets/ui.js':
          return send(req, res, 200, UI_JS, 'text/javascript; charset=utf-8', 'max-age=300');
        default:
          return send(req, res, 404, 'not found\n', 'text/plain; charset=utf-8');
      }
    } catch (err) {
      this.#log.error('status page request failed', { path, error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) send(req, res, 500, 'internal error\n', 'text/plain; charset=utf-8');
      else res.end();
    }
  }

  async #page(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const synced = await this.feed.waitSynced(this.#opts.syncWaitMs ?? 3_000);
    const kindParam = url.searchParams.get('kind') ?? undefined;
    const focus = kindParam !== undefined && isKindName(kindParam) ? kindParam : undefined;
    const pageParam = Number(url.searchParams.get('page') ?? '1');
    const now = Date.now();
    const source = this.source();
    // The lock is read on every page view: a standby's page must not show a stale leader.
    const leader = await this.#opts.leader?.().catch(() => undefined);
    const body = renderPage({
      ...(leader ? { leader } : {}),
      prefix: this.#opts.prefix,
      generatedAt: new Date(now).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
      kinds: UI_KINDS.map((kind) =>
        kindPage(source, kind, { now, page: kind === focus && Number.isFinite(pageParam) ? pageParam : 1, pageSize: this.#opts.pageSize }),
      ),
      hosts: hostPage(source, { page: Number(url.searchParams.get('hosts') ?? '1') || 1, pageSize: this.#opts.pageSize }),
      timeline: timeline(this.feed.events()),
      statusesSynced: synced,
    });
    send(req, res, 200, body, 'text/html; charset=utf-8');
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: string, type: string, cache = 'no-store'): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': cache,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
