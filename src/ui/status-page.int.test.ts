/**
 * The status page in a real browser (Debian's headless Chromium) over a real Consul: strings that
 * carry markup (a label value, a condition message, stored event messages, one arriving live over
 * the event stream) are shown as text in the DOM and never become elements; the tables are there
 * with JavaScript off; a new event appears without a reload; nothing is fetched from elsewhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import type { KindName } from '../crds/kind-info.js';
import type { Resource } from '../crds/meta.js';
import { RuntimeMetrics } from '../runtime/metrics.js';
import type { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { launchChromium } from '../../testing/harness/browser.js';
import { useRealConsul } from '../../testing/harness/real-consul.js';
import { StatusPage } from './status-page.js';
import { UiServer } from './ui-server.js';

const PREFIX = 'uibrowser/';
// Each would create an element with class "pwn" (or run script) if it were parsed as markup.
const LABEL = '<b class="pwn">bold</b>';
const CONDITION = '</td></tr></table><i class="pwn">broke out</i>';
const MESSAGE = '<img class="pwn" src=x onerror="window.pwned=1">eth1 missing; re-attached';
const LIVE = '<script class="pwn">window.pwned=2</script><u class="pwn">live</u> & more';

let kv: ConsulKv;
useRealConsul((_a, k) => (kv = k));

describe('status page in headless Chromium', () => {
  const ac = new AbortController();
  let browser: Browser;
  let url = '';
  let store: ResourceStore;

  before(async () => {
    store = new ResourceStore({ kv, prefix: PREFIX });
    const objects: Resource[] = [
      {
        apiVersion: 'swarmop.io/v1alpha1',
        kind: 'DockerHost',
        metadata: { name: 'h1', labels: { note: LABEL }, generation: 1, creationTimestamp: new Date().toISOString() },
        spec: { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1' },
      },
      {
        apiVersion: 'swarmop.io/v1alpha1',
        kind: 'StaticIPAttachment',
        metadata: { name: 'web', generation: 1 },
        spec: { host: 'h1', container: 'web', bridge: 'br0', address: '10.0.0.114/24' },
      },
    ];
    await kv.set(
      `${PREFIX}status/dockerhosts/h1`,
      JSON.stringify({
        conditions: [
          { type: 'Ready', status: 'False', reason: 'Unreachable', message: CONDITION, lastTransitionTime: new Date().toISOString() },
        ],
      }),
    );
    await kv.set(
      `${PREFIX}status/staticipattachments/web`,
      JSON.stringify({
        address: '10.0.0.114/24',
        conditions: [{ type: 'Ready', status: 'True', reason: 'Attached', message: 'ok', lastTransitionTime: new Date().toISOString() }],
      }),
    );
    await store.recordEvent(
      { kind: 'StaticIPAttachment', name: 'web' },
      { type: 'Normal', reason: 'ContainerRestarted', message: MESSAGE, source: 'staticipattachment-controller' },
    );
    const page = new StatusPage({
      objects: (k: KindName) => objects.filter((o) => o.kind === k),
      kv,
      prefix: PREFIX,
      metrics: new RuntimeMetrics({ processMetrics: false }),
    });
    void page.start(ac.signal);
    const server = new UiServer({ addr: '127.0.0.1:0', page });
    const a = await server.listen();
    void server.start(ac.signal);
    url = `http://127.0.0.1:${a.port}/ui/`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    ac.abort();
  });

  it("loads everything it shows from the operator itself: no request leaves the page's origin", async () => {
    const tab = await browser.newPage();
    const requests: string[] = [];
    const answered = new Map<string, number>();
    tab.on('request', (r) => void requests.push(r.url()));
    tab.on('response', (r) => void answered.set(new URL(r.url()).pathname, r.status()));
    await tab.goto(url, { waitUntil: 'load' });
    await tab.waitForFunction(() => document.getElementById('live')?.textContent === 'live', { timeout: 5_000 });
    const origin = new URL(url).origin;
    assert.deepEqual(
      requests.filter((r) => new URL(r).origin !== origin),
      [],
    );
    assert.deepEqual(
      ['/ui/', '/ui/assets/ui.css', '/ui/assets/ui.js', '/ui/chart.svg', '/ui/events'].map((p) => [p, answered.get(p)]),
      [
        ['/ui/', 200],
        ['/ui/assets/ui.css', 200],
        ['/ui/assets/ui.js', 200],
        ['/ui/chart.svg', 200],
        ['/ui/events', 200],
      ],
    );
    await tab.close();
  });

  it('shows markup from labels, conditions and events as text, and none of it becomes an element', async () => {
    const tab = await browser.newPage();
    await tab.goto(url, { waitUntil: 'load' });
    const seen = await tab.evaluate(() => ({
      pwn: document.querySelectorAll('.pwn').length,
      pwned: (window as unknown as { pwned?: number }).pwned ?? null,
      label: document.querySelector('tr[data-name="h1"] td.labels span')?.textContent ?? null,
      condition: document.querySelector('tr[data-name="h1"] td.msg')?.textContent ?? null,
      event: document.querySelector('#timeline li[data-reason="ContainerRestarted"] .msg')?.textContent ?? null,
      rows: document.querySelectorAll('tr[data-kind]').length,
      ready: [...document.querySelectorAll('tr[data-kind]')].map(
        (tr) => `${tr.getAttribute('data-name')}=${tr.querySelector('td.ready')?.textContent}`,
      ),
    }));
    assert.deepEqual(seen, {
      pwn: 0,
      pwned: null,
      label: `note=${LABEL}`,
      condition: CONDITION,
      event: MESSAGE,
      rows: 2,
      ready: ['h1=False', 'web=True'],
    });
    await tab.close();
  });

  it('adds an event stored after load to the timeline without a reload, as text', async () => {
    const tab = await browser.newPage();
    await tab.goto(url, { waitUntil: 'load' });
    await tab.waitForFunction(() => document.getElementById('live')?.textContent === 'live', { timeout: 5_000 });
    await tab.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const t0 = Date.now();
    await store.recordEvent(
      { kind: 'StaticIPAttachment', name: 'web' },
      { type: 'Warning', reason: 'LiveCheck', message: LIVE, source: 'test' },
    );
    await tab.waitForSelector('#timeline li[data-reason="LiveCheck"]', { timeout: 5_000 });
    const ms = Date.now() - t0;
    const seen = await tab.evaluate(() => ({
      marker: (window as unknown as { marker?: number }).marker ?? null,
      text: document.querySelector('#timeline li[data-reason="LiveCheck"] .msg')?.textContent ?? null,
      first: document.querySelector('#timeline li')?.getAttribute('data-reason') ?? null,
      pwn: document.querySelectorAll('.pwn').length,
      pwned: (window as unknown as { pwned?: number }).pwned ?? null,
    }));
    assert.deepEqual(seen, { marker: 42, text: LIVE, first: 'LiveCheck', pwn: 0, pwned: null });
    console.log(`# live event on the open page ${ms} ms after it was stored`);
    // The same event again is stored as count 2: the page shows one entry for it, with its count.
    await store.recordEvent(
      { kind: 'StaticIPAttachment', name: 'web' },
      { type: 'Warning', reason: 'LiveCheck', message: LIVE, source: 'test' },
    );
    await tab.waitForSelector('#timeline li[data-reason="LiveCheck"] .count', { timeout: 5_000 });
    const repeat = await tab.evaluate(() =>
      [...document.querySelectorAll('#timeline li[data-reason="LiveCheck"]')].map((li) => li.querySelector('.count')?.textContent ?? ''),
    );
    assert.deepEqual(repeat, ['×2']);
    await tab.close();
  });

  it('shows the tables with JavaScript off', async () => {
    const tab = await browser.newPage();
    await tab.setJavaScriptEnabled(false);
    await tab.goto(url, { waitUntil: 'load' });
    const seen = await tab.evaluate(() => ({
      rows: [...document.querySelectorAll('tr[data-kind]')].map((tr) => tr.getAttribute('data-name')),
      hosts: [...document.querySelectorAll('tr[data-host]')].map((tr) => tr.querySelector('li[data-attachment]')?.textContent ?? ''),
      timeline: document.querySelectorAll('#timeline li[data-id]').length,
      live: document.getElementById('live')?.textContent,
    }));
    assert.deepEqual(seen, { rows: ['h1', 'web'], hosts: ['web 10.0.0.114/24 True'], timeline: 2, live: 'static' });
    await tab.close();
  });
});
