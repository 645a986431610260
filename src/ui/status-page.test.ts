import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KindName } from '../crds/kind-info.js';
import type { Resource } from '../crds/meta.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { StatusPage } from './status-page.js';
import { UiServer } from './ui-server.js';

const PREFIX = 'uitest/';
const HOSTILE_LABEL = '<b class="pwn">label</b>';
const HOSTILE_MESSAGE = '<img src=x onerror="window.pwned=1">eth1 missing & re-added';

const objects: Resource[] = [
  {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name: 'h1', labels: { role: HOSTILE_LABEL }, generation: 1, creationTimestamp: new Date().toISOString() },
    spec: { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1' },
  },
  ...Array.from({ length: 120 }, (_, i): Resource => ({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name: `sia-${String(i).padStart(3, '0')}`, generation: 1 },
    spec: { host: 'h1', container: `c${i}`, bridge: 'br0', address: `10.0.1.${i + 1}/16` },
  })),
];

describe('StatusPage over HTTP', () => {
  const kv = new MemoryKv({ defaultWaitMs: 500 });
  const store = new ResourceStore({ kv, prefix: PREFIX });
  const ac = new AbortController();
  let base = '';
  let page: StatusPage;

  before(async () => {
    await kv.set(
      `${PREFIX}status/dockerhosts/h1`,
      JSON.stringify({
        conditions: [
          { type: 'Ready', status: 'False', reason: 'Unreachable', message: HOSTILE_MESSAGE, lastTransitionTime: new Date().toISOString() },
        ],
      }),
    );
    await store.recordEvent(
      { kind: 'DockerHost', name: 'h1' },
      { type: 'Warning', reason: 'Unreachable', message: HOSTILE_MESSAGE, source: 'dockerhost-controller' },
    );
    page = new StatusPage({
      objects: (k: KindName) => objects.filter((o) => o.kind === k),
      kv,
      prefix: PREFIX,
      metrics: new RuntimeMetrics({ processMetrics: false }),
      feedIdleMs: 60_000,
    });
    void page.start(ac.signal);
    const server = new UiServer({ addr: '127.0.0.1:0', page });
    const a = await server.listen();
    void server.start(ac.signal);
    base = `http://127.0.0.1:${a.port}`;
  });
  after(() => ac.abort());

  it('serves the page with every document and event string escaped', async () => {
    const res = await fetch(`${base}/ui/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const body = await res.text();
    assert.ok(!body.includes(HOSTILE_LABEL) && !body.includes('<img src=x'), 'raw markup must not reach the page');
    assert.ok(body.includes('role=&lt;b class=&quot;pwn&quot;&gt;label&lt;/b&gt;'), 'label value shown escaped');
    assert.ok(
      body.includes('&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;eth1 missing &amp; re-added'),
      'event/condition message shown escaped',
    );
    assert.match(body, /<tr data-kind="DockerHost" data-name="h1" data-ready="False">/);
  });

  it('pages a long kind server-side: 50 rows and links to the next page', async () => {
    const body = await (await fetch(`${base}/ui/?kind=StaticIPAttachment&page=3`)).text();
    const rows = body.match(/<tr data-kind="StaticIPAttachment" data-name="[^"]+"/g) ?? [];
    assert.equal(rows.length, 20);
    assert.equal(rows[0], '<tr data-kind="StaticIPAttachment" data-name="sia-100"');
    assert.match(body, /page 3 of 3/);
    assert.match(body, /href="\?kind=StaticIPAttachment&amp;page=2#StaticIPAttachment">previous</);
  });

  it('is read-only: anything but GET/HEAD is refused with 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(`${base}/ui/`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
    }
  });

  it('redirects / and /ui to /ui/, serves its assets and 404s the rest', async () => {
    for (const p of ['/', '/ui']) {
      const res = await fetch(`${base}${p}`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/ui/');
    }
    assert.equal((await fetch(`${base}/ui/assets/ui.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(`${base}/ui/assets/ui.css`)).headers.get('content-type'), 'text/css; charset=utf-8');
    assert.match(await (await fetch(`${base}/ui/chart.svg`)).text(), /^<svg /);
    assert.equal((await fetch(`${base}/ui/nope`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`)).status, 404);
  });

  it('streams events stored after the stream opened, and not the ones before', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${base}/ui/events`, { signal: ctl.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: RegExp) => {
      const end = Date.now() + 5_000;
      while (!until.test(text) && Date.now() < end) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await read(/retry: 2000/);
    await store.recordEvent(
      { kind: 'StaticIPAttachment', name: 'sia-001' },
      { type: 'Normal', reason: 'ContainerRestarted', message: 'eth1 missing; re-attached', source: 'staticipattachment-controller' },
    );
    await read(/event: timeline\ndata: .*\n\n/);
    ctl.abort();
    const m = /event: timeline\ndata: (.*)\n/.exec(text);
    assert.ok(m, `no timeline event in ${JSON.stringify(text)}`);
    const entries = JSON.parse(m[1]!) as { kind: string; name: string; reason: string; message: string }[];
    assert.deepEqual(
      entries.map((e) => [e.kind, e.name, e.reason, e.message]),
      [['StaticIPAttachment', 'sia-001', 'ContainerRestarted', 'eth1 missing; re-attached']],
    );
  });
});

describe('StatusFeed idling', () => {
  it('watches only after a touch and stops after idleMs without one', async () => {
    const kv = new MemoryKv({ defaultWaitMs: 100 });
    await kv.set(
      `${PREFIX}status/dockerhosts/h1`,
      JSON.stringify({
        conditions: [{ type: 'Ready', status: 'True', reason: 'Reachable', message: '', lastTransitionTime: new Date().toISOString() }],
      }),
    );
    const page = new StatusPage({
      objects: () => [],
      kv,
      prefix: PREFIX,
      metrics: new RuntimeMetrics({ processMetrics: false }),
      feedIdleMs: 200,
    });
    const ac = new AbortController();
    const running = page.start(ac.signal);
    assert.equal(page.feed.watching, false);
    page.feed.touch();
    assert.equal(page.feed.watching, true);
    assert.equal(await page.feed.waitSynced(2_000), true);
    assert.equal(page.feed.status('DockerHost', 'h1')?.conditions?.[0]?.reason, 'Reachable');
    const end = Date.now() + 3_000;
    while (page.feed.watching && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.equal(page.feed.watching, false);
    assert.equal(page.feed.status('DockerHost', 'h1'), undefined, 'an idle feed drops what it held');
    page.feed.touch();
    assert.equal(await page.feed.waitSynced(2_000), true);
    assert.equal(page.feed.status('DockerHost', 'h1')?.conditions?.[0]?.reason, 'Reachable', 'the next visit lists again');
    ac.abort();
    await running;
  });
});

describe('StatusPage on the metrics server', () => {
  it('is served under /ui next to /metrics and /healthz, which keep working', async () => {
    const { MetricsServer } = await import('../runtime/metrics-server.js');
    const metrics = new RuntimeMetrics({ processMetrics: false });
    const page = new StatusPage({ objects: () => [], kv: new MemoryKv({ defaultWaitMs: 100 }), prefix: PREFIX, metrics, syncWaitMs: 500 });
    const ac = new AbortController();
    void page.start(ac.signal);
    const server = new MetricsServer({ addr: '127.0.0.1:0', metrics, readiness: () => ({ ready: true, checks: [] }), routes: [page] });
    const a = await server.listen();
    try {
      const base = `http://127.0.0.1:${a.port}`;
      const ui = await fetch(`${base}/ui/`);
      assert.equal(ui.status, 200);
      assert.match(await ui.text(), /<title>swarmop status \(0\/0 Ready\)<\/title>/);
      assert.match(await (await fetch(`${base}/metrics`)).text(), /swarmop_drift_repairs_total/);
      assert.equal(await (await fetch(`${base}/healthz`)).text(), 'ok\n');
      assert.equal((await fetch(`${base}/uix`)).status, 404);
    } finally {
      ac.abort();
      await server.close();
    }
  });
});

describe('the status page says which operator replica leads', () => {
  it('names the holder of the lock, whether it is this replica, and says so when no replica leads (escaped)', async () => {
    let holder: string | undefined = 'consul01/4242';
    let self = true;
    const page = new StatusPage({
      objects: () => [],
      kv: new MemoryKv({ defaultWaitMs: 100 }),
      prefix: PREFIX,
      metrics: new RuntimeMetrics({ processMetrics: false }),
      syncWaitMs: 200,
      leader: async () => ({ holder, self }),
    });
    const get = async (): Promise<string> => {
      let body = '';
      const res = {
        headersSent: false,
        writeHead: () => res,
        end: (b?: string) => void (body = b ?? ''),
      };
      await page.handle({ url: '/ui/', method: 'GET', headers: {} } as never, res as never);
      return body;
    };
    assert.match(await get(), /operator led by <code>consul01\/4242<\/code> \(this replica\)/);
    self = false;
    holder = 'consul02/<i>77</i>';
    const other = await get();
    assert.match(other, /operator led by <code>consul02\/&lt;i&gt;77&lt;\/i&gt;<\/code> \(another replica; this one is a standby\)/);
    holder = undefined;
    assert.match(await get(), /no operator leads/);
  });
});
