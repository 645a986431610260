/**
 * `npm run bench:ui`: the status page with 10,000 objects, first paint in headless Chromium
 * (Debian's chromium through puppeteer-core). The objects stand for the operator's cache; their
 * statuses (10,000 keys) and 200 events are real keys in a real Consul agent started for the
 * run, read by the page's own watchers. Each load is a fresh tab navigated to the page; the
 * figure is the browser's first-contentful-paint (from navigation start): the browser's very
 * first page, then the page's cold load (it starts the watchers and lists every status), then
 * n = 20 warm loads.
 *
 * Target: first paint < 1 s for the page's cold load and the p99 of the warm loads.
 */
import type { KindName } from '../src/crds/kind-info.js';
import type { Resource } from '../src/crds/meta.js';
import { RuntimeMetrics } from '../src/runtime/metrics.js';
import { ConsulKv } from '../src/store/consul-kv.js';
import type { KvTxnOp } from '../src/store/kv.js';
import { eventsKey, statusKey } from '../src/store/store-keys.js';
import { launchChromium } from '../testing/harness/browser.js';
import { reportFigure } from './figures.js';
import { startConsulAgent } from '../testing/harness/consul-agent.js';
import { StatusPage } from '../src/ui/status-page.js';
import { UiServer } from '../src/ui/ui-server.js';

const COUNT = 10_000;
const HOSTS = 20;
const LOADS = 20;
const PREFIX = 'bench-ui/';

function objects(): Map<KindName, Resource[]> {
  const now = new Date().toISOString();
  const meta = (name: string) => ({ name, generation: 1, creationTimestamp: now, labels: { bench: 'ui' } });
  const m = new Map<KindName, Resource[]>();
  m.set(
    'DockerHost',
    Array.from({ length: HOSTS }, (_, i) => ({
      apiVersion: 'swarmop.io/v1alpha1' as const,
      kind: 'DockerHost',
      metadata: meta(`host-${String(i).padStart(2, '0')}`),
      spec: { endpoint: `tcp://10.1.0.${i + 1}:2375`, address: `10.1.0.${i + 1}` },
    })),
  );
  const hostNames = m.get('DockerHost')!.map((h) => h.metadata.name);
  m.set('ConsulCluster', [
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'ConsulCluster',
      metadata: meta('dc'),
      spec: { datacenter: 'dc', image: 'consul:1.8.7', servers: hostNames.slice(0, 3).map((h) => ({ host: h, node: h })) },
    },
  ]);
  m.set('SwarmCluster', [
    {
      apiVersion: 'swarmop.io/v1alpha1',
      kind: 'SwarmCluster',
      metadata: meta('swarm'),
      spec: { managers: hostNames.slice(0, 3), workers: hostNames.slice(3) },
    },
  ]);
  const n = COUNT - HOSTS - 2;
  m.set(
    'StaticIPAttachment',
    Array.from({ length: n }, (_, i) => ({
      apiVersion: 'swarmop.io/v1alpha1' as const,
      kind: 'StaticIPAttachment',
      metadata: meta(`sia-${String(i).padStart(5, '0')}`),
      spec: {
        host: hostNames[i % HOSTS]!,
        container: `c${i}`,
        bridge: 'br0',
        address: `10.${2 + Math.floor(i / 65_000)}.${Math.floor(i / 250) % 256}.${(i % 250) + 2}/16`,
      },
    })),
  );
  return m;
}

async function writeStatuses(kv: ConsulKv, all: Map<KindName, Resource[]>): Promise<void> {
  const ops: KvTxnOp[] = [];
  const t = new Date().toISOString();
  for (const [kind, list] of all) {
    for (const [i, r] of list.entries()) {
      const ok = i % 50 !== 7;
      const status = {
        observedGeneration: 1,
        conditions: [
          {
            type: 'Ready',
            status: ok ? 'True' : 'False',
            reason: ok ? 'Ready' : 'ContainerMissing',
            message: ok ? '' : `container ${r.metadata.name} not found`,
            lastTransitionTime: t,
            observedGeneration: 1,
          },
        ],
      };
      ops.push({ verb: 'set', key: statusKey(PREFIX, kind, r.metadata.name), value: JSON.stringify(status) } as KvTxnOp);
    }
  }
  for (let i = 0; i < 200; i++) {
    const name = `sia-${String(i * 7).padStart(5, '0')}`;
    const ev = [
      {
        involvedObject: { kind: 'StaticIPAttachment', name },
        type: 'Normal',
        reason: 'ContainerRestarted',
        message: `eth1 missing in c${i * 7}; re-attached`,
        source: 'staticipattachment-controller',
        count: 1,
        firstTimestamp: t,
        lastTimestamp: t,
      },
    ];
    ops.push({ verb: 'set', key: eventsKey(PREFIX, 'StaticIPAttachment', name), value: JSON.stringify(ev) } as KvTxnOp);
  }
  for (let i = 0; i < ops.length; i += 64) await kv.txn(ops.slice(i, i + 64));
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function main(): Promise<number> {
  const agent = await startConsulAgent();
  const kv = new ConsulKv({ address: agent.address });
  const ac = new AbortController();
  const browser = await launchChromium();
  try {
    const all = objects();
    const began = performance.now();
    await writeStatuses(kv, all);
    console.log(
      `# ${COUNT} objects (${HOSTS} hosts, ${all.get('StaticIPAttachment')!.length} attachments); statuses and 200 events written in ${Math.round(performance.now() - began)} ms`,
    );
    // Two pages over the same store: the first is opened by a browser that has loaded nothing yet
    // (Chromium's own start-up included), the second by a warmed browser, so its first load shows
    // the page's own cold start (watchers started, every status listed) alone.
    const open = async () => {
      const page = new StatusPage({
        objects: (k) => all.get(k) ?? [],
        kv,
        prefix: PREFIX,
        metrics: new RuntimeMetrics({ processMetrics: false }),
      });
      void page.start(ac.signal);
      const server = new UiServer({ addr: '127.0.0.1:0', page });
      const a = await server.listen();
      void server.start(ac.signal);
      return { page, url: `http://127.0.0.1:${a.port}/ui/` };
    };
    const first = await open();
    const { page, url } = await open();

    const load = async (target = url): Promise<{ fcp: number; load: number; bytes: number; rows: number }> => {
      const tab = await browser.newPage();
      await tab.goto(target, { waitUntil: 'load' });
      const r = await tab.evaluate(async () => {
        // The paint entry can be recorded after the load event: wait for it (buffered observer).
        const fcp = await new Promise<number>((resolve) => {
          new PerformanceObserver((list) => {
            const e = list.getEntriesByName('first-contentful-paint')[0];
            if (e) resolve(e.startTime);
          }).observe({ type: 'paint', buffered: true });
          setTimeout(() => resolve(-1), 5_000);
        });
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { fcp, load: nav.loadEventEnd, bytes: nav.transferSize, rows: document.querySelectorAll('tr[data-kind]').length };
      });
      if (r.fcp < 0) throw new Error('Chromium reported no first-contentful-paint within 5 s');
      await tab.close();
      return r;
    };
    const fresh = await load(first.url);
    const cold = await load();
    if (!page.feed.hasSynced() || !first.page.feed.hasSynced()) throw new Error('the page rendered before the statuses were listed');
    const warm: { fcp: number; load: number; bytes: number; rows: number }[] = [];
    for (let i = 0; i < LOADS; i++) warm.push(await load());
    const fcps = warm.map((w) => w.fcp).sort((x, y) => x - y);
    const loads = warm.map((w) => w.load).sort((x, y) => x - y);
    const p99 = quantile(fcps, 0.99);
    const statusesReady = (await (await fetch(url)).text()).match(/(\d+)\/(\d+) objects Ready/);
    console.log(
      `# page: ${Math.round(warm[0]!.bytes / 1024)} KiB of HTML, ${warm[0]!.rows} object rows rendered (50 per kind, paged server-side); ${statusesReady?.[0] ?? '?'}`,
    );
    console.log(
      `status page first paint, browser's first page ever (Chromium start-up + page cold)   ${fresh.fcp.toFixed(0)} ms (load event ${fresh.load.toFixed(0)} ms)`,
    );
    console.log(
      `status page first paint, page cold (starts the watchers, lists ${COUNT} statuses)   ${cold.fcp.toFixed(0)} ms (load event ${cold.load.toFixed(0)} ms)`,
    );
    console.log(
      `status page first paint, n=${LOADS}: p50 ${quantile(fcps, 0.5).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; load event p50 ${quantile(loads, 0.5).toFixed(0)} ms`,
    );
    const ok = p99 < 1000 && cold.fcp < 1000;
    // No anchor runs here: nothing else shows these documents (Consul's UI lists raw KV).
    const anchor = '— (no other page shows these documents)';
    reportFigure({
      what: `status page first paint with ${COUNT} objects (headless Chromium): the page's first load (starts its watchers, lists ${COUNT} statuses)`,
      figure: `${cold.fcp.toFixed(0)} ms; with Chromium's own start-up ${fresh.fcp.toFixed(0)} ms`,
      anchor,
      target: '< 1000 ms',
      met: cold.fcp < 1000,
    });
    reportFigure({
      what: `status page first paint with ${COUNT} objects (headless Chromium): later loads`,
      figure: `n=${LOADS} p50 ${quantile(fcps, 0.5).toFixed(0)} ms  p99 ${p99.toFixed(0)} ms  max ${fcps[fcps.length - 1]!.toFixed(0)} ms`,
      anchor,
      target: 'p99 < 1000 ms',
      met: p99 < 1000,
    });
    console.log(`target first paint < 1000 ms with ${COUNT} objects: ${ok ? 'met' : 'MISSED'}`);
    return ok ? 0 : 1;
  } finally {
    await browser.close();
    ac.abort();
    kv.close();
    await agent.stop();
  }
}

process.exitCode = await main();
