/**
 * The status page on the lab, in headless Chromium: the real operator serves it (`--ui-addr`),
 * the reference topology is applied under the spec's own prefix, every object shows Ready=True,
 * the hosts show their engine, swarm and Consul state and ubuntu114/ubuntu119's addresses, and
 * a `docker restart ubuntu114` shows up in the open page's drift timeline, without a
 * reload. Saves a screenshot to e2e/artifacts/status-page/ (docs/status-page.png is a copy).
 *
 * Leaves the lab as it found it: attachments and the ConsulCluster are deleted (finalizers undo
 * them on the hosts) and every host leaves the swarm, as the fault spec does.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../testing/harness/browser.js';
import { describeE2E, itE2E } from './framework/framework.js';
import { ATTACHMENTS, CONSUL_LABEL, HOSTS, MANAGER, OBJECTS, docker, ensureWorkload, topologyYaml } from './framework/faults.js';
import { dockerOnHost, hostDocker } from './framework/lab.js';
import { eventually } from '../testing/util/wait-until.js';

/** The workload whose restart the open page must show (the lab's first one, ubuntu114 by default). */
const RESTARTED = ATTACHMENTS[0]!;
/** What the hosts table must show for the reference topology on this lab, sorted by host name as the page is. */
const EXPECTED_HOSTS = HOSTS.map((h) => ({
  host: h.name,
  swarm: h.name === MANAGER ? 'manager (leader) · ready · active' : 'worker · ready · active',
  consul: 'alive',
  attachments: ATTACHMENTS.filter((a) => a.host === h.name).map((a) => `${a.name} ${a.cidr} True`),
})).sort((a, b) => a.host.localeCompare(b.host));

const KIND_NAME: Record<string, string> = {
  dockerhost: 'DockerHost',
  consulcluster: 'ConsulCluster',
  swarmcluster: 'SwarmCluster',
  staticipattachment: 'StaticIPAttachment',
};

describeE2E(
  'status page',
  (f) => {
    let browser: Browser | undefined;
    let tab: Page;
    let url = '';

    after(async () => {
      await browser?.close();
      if (!f.lab) return;
      for (const h of HOSTS) {
        const ids = (await dockerOnHost(h.name, ['ps', '-aq', '--filter', `label=${CONSUL_LABEL}`], 15_000)).stdout
          .trim()
          .split('\n')
          .filter(Boolean);
        if (ids.length) await dockerOnHost(h.name, ['rm', '-f', ...ids], 30_000);
      }
      for (const h of [...HOSTS].reverse())
        await hostDocker(h.name)
          .swarmLeave({ force: true })
          .catch(() => undefined);
    });

    itE2E(f, 'the page lists every object of the reference topology Ready, and the hosts with their state', async () => {
      for (const a of ATTACHMENTS) await ensureWorkload(a.host, a.name);
      const line = await f.operator.waitForLog('status page listening', (l) => l.message === 'status page listening', 30_000);
      url = String(line['url']);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/ui\/$/);
      await f.apply(topologyYaml());
      for (const [kind, name] of OBJECTS) await f.waitCondition(kind, name, 'True', { timeoutMs: 100_000 });
      browser = await launchChromium();
      tab = await browser.newPage();
      await tab.setViewport({ width: 1400, height: 1000 });
      await tab.goto(url, { waitUntil: 'load' });
      const rows = await tab.evaluate(() =>
        [...document.querySelectorAll('tr[data-kind]')].map(
          (tr) => `${tr.getAttribute('data-kind')}/${tr.getAttribute('data-name')}=${tr.querySelector('td.ready')?.textContent}`,
        ),
      );
      assert.deepEqual(rows.sort(), OBJECTS.map(([k, n]) => `${KIND_NAME[k]}/${n}=True`).sort());
      const hosts = await tab.evaluate(() =>
        [...document.querySelectorAll('tr[data-host]')].map((tr) => ({
          host: tr.getAttribute('data-host'),
          swarm: tr.querySelector('td.swarm')?.textContent?.split('swarm')[0]?.trim(),
          consul: tr.querySelector('td.consul b')?.textContent,
          attachments: [...tr.querySelectorAll('li[data-attachment]')].map((li) => li.textContent),
        })),
      );
      assert.deepEqual(hosts, EXPECTED_HOSTS);
    });

    itE2E(f, `docker restart ${RESTARTED.name}: the repair appears in the open page, without a reload`, async () => {
      assert.ok(browser, 'the first test opened the page');
      await tab.waitForFunction(() => document.getElementById('live')?.textContent === 'live', { timeout: 10_000 });
      const selector = `#timeline li[data-object="StaticIPAttachment/${RESTARTED.name}"][data-reason="ContainerRestarted"]`;
      await tab.evaluate((sel) => {
        (window as unknown as { marker: number }).marker = 1;
        (window as unknown as { before: number }).before = document.querySelectorAll(sel).length;
      }, selector);
      const marks = f.operator.lines.length;
      const began = Date.now();
      await docker(RESTARTED.host, ['restart', '-t', '0', RESTARTED.name]);
      await tab.waitForFunction(
        // The stop half of the restart is an event too (Ready=False); the repair is ContainerRestarted.
        (sel) => document.querySelectorAll(sel).length > (window as unknown as { before: number }).before,
        { timeout: 10_000, polling: 'mutation' },
        selector,
      );
      const ms = Date.now() - began;
      const seen = await tab.evaluate(() => ({
        marker: (window as unknown as { marker?: number }).marker ?? null,
        first: document.querySelector('#timeline li[data-reason="ContainerRestarted"]')?.getAttribute('data-object') ?? null,
        text: document.querySelector('#timeline li[data-reason="ContainerRestarted"] .msg')?.textContent ?? '',
      }));
      const repair = await eventually(
        `drift repaired log line for ${RESTARTED.name}`,
        () => f.operator.lines.slice(marks).find((l) => l.message === 'drift repaired' && l['name'] === RESTARTED.name),
        { timeoutMs: 10_000 },
      );
      console.log(`# status page: ${RESTARTED.name}'s repair shown ${ms} ms after docker restart was issued (${String(repair['why'])})`);
      assert.deepEqual({ marker: seen.marker, first: seen.first }, { marker: 1, first: `StaticIPAttachment/${RESTARTED.name}` });
      assert.ok(
        seen.text.includes(String(repair['what'])),
        `timeline says "${seen.text}", the log line says what="${String(repair['what'])}"`,
      );
      // The chart counts the repair (from the operator's own metrics) and the open page redraws it.
      const svg = await (await fetch(new URL('chart.svg', url))).text();
      assert.ok(Number(/data-total-repairs="(\d+)"/.exec(svg)?.[1]) >= 1, `chart counts no repair: ${svg.slice(0, 300)}`);
      await tab.waitForFunction(
        () => (document.getElementById('chart') as HTMLImageElement | null)?.src.includes('chart.svg?t=') === true,
        { timeout: 5_000 },
      );
      await new Promise((r) => setTimeout(r, 2_100)); // let the highlight fade before the screenshot
      await tab.screenshot({ path: join(f.artifactsDir, 'status-page.png'), fullPage: true });
    });

    itE2E(f, 'deleting the topology leaves the lab as the suites expect', async () => {
      await f.swarmop(['delete', 'staticipattachment', ...ATTACHMENTS.map((a) => a.name)]);
      await f.swarmop(['delete', 'consulcluster', 'datacenter']);
      await f.swarmop(['delete', 'swarmcluster', 'swarm']);
      for (const [k, n] of [
        ...ATTACHMENTS.map((a) => ['staticipattachment', a.name]),
        ['consulcluster', 'datacenter'],
        ['swarmcluster', 'swarm'],
      ] as const) {
        await eventually(`${k}/${n} gone`, async () => ((await f.get(k, n)) ? undefined : true), { timeoutMs: 90_000 });
      }
      for (const h of HOSTS)
        assert.equal((await docker(h.name, ['ps', '-aq', '--filter', `label=${CONSUL_LABEL}`])).trim(), '', `agent left on ${h.name}`);
      for (const h of [...HOSTS].reverse())
        await hostDocker(h.name)
          .swarmLeave({ force: true })
          .catch(() => undefined);
    });
  },
  { operatorArgs: ['--ui-addr', '127.0.0.1:0'] },
);
