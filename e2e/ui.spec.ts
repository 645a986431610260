/**
 * The status page on the lab, in headless Chromium: the real operator serves it (`--ui-addr`),
 * the reference topology is applied under the spec's own prefix, every object shows Ready=True,
 * the hosts show their engine, swarm and Consul state and ubuntu114/ubuntu119's addresses, and
 * a `docker restart ubuntu114` shows up in the open page's drift timeline within 2 s, without a
 * reload. Saves a screenshot to e2e/artifacts/status-page/ (docs/status-page.png is a copy).
 *
 * Leaves the lab as it found it: attachments and the ConsulCluster are deleted (finalizers undo
 * them on the hosts) and every host leaves the swarm, as the fault spec does.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../testing/browser.js';
import { describeE2E, itE2E } from './framework/framework.js';
import { ATTACHMENTS, CONSUL_LABEL, HOSTS, OBJECTS, docker, ensureWorkload, topologyYaml } from './framework/faults.js';
import { dockerOnHost, hostDocker } from './framework/lab.js';
import { eventually } from '../testing/wait-until.js';

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
        const ids = (await dockerOnHost(h.name, ['ps', '-aq', '--filter', `label=${CONSUL_LABEL}`], 15_000)).stdout.trim().split('\n').filter(Boolean);
        if (ids.length) await dockerOnHost(h.name, ['rm', '-f', ...ids], 30_000);
      }
      for (const h of [...HOSTS].reverse()) await hostDocker(h.name).swarmLeave({ force: true }).catch(() => undefined);
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
        [...document.querySelectorAll('tr[data-kind]')].map((tr) => `${tr.getAttribute('data-kind')}/${tr.getAttribute('data-name')}=${tr.querySelector('td.ready')?.textContent}`),
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
      assert.deepEqual(hosts, [
        { host: 'consul01', swarm: 'worker · ready · active', consul: 'alive', attachments: ['ubuntu114 192.168.116.114/24 True'] },
        { host: 'consul02', swarm: 'worker · ready · active', consul: 'alive', attachments: ['ubuntu119 192.168.116.119/24 True'] },
        { host: 'consulsvr', swarm: 'manager (leader) · ready · active', consul: 'alive', attachments: [] },
      ]);
    });

    itE2E(f, 'docker restart ubuntu114: the repair appears in the open page within 2 s, without a reload', async () => {
      assert.ok(browser, 'the first test opened the page');
      await tab.waitForFunction(() => document.getElementById('live')?.textContent === 'live', { timeout: 10_000 });
      await tab.evaluate(() => {
        (window as unknown as { marker: number }).marker = 1;
        (window as unknown as { before: number }).before = document.querySelectorAll('#timeline li[data-object="StaticIPAttachment/ubuntu114"][data-reason="ContainerRestarted"]').length;
      });
      const marks = f.operator.lines.length;
      const began = Date.now();
      await docker('consul01', ['restart', '-t', '0', 'ubuntu114']);
      await tab.waitForFunction(
        // The stop half of the restart is an event too (Ready=False); the repair is ContainerRestarted.
        () => document.querySelectorAll('#timeline li[data-object="StaticIPAttachment/ubuntu114"][data-reason="ContainerRestarted"]').length > (window as unknown as { before: number }).before,
        { timeout: 10_000, polling: 'mutation' },
      );
      const ms = Date.now() - began;
      const seen = await tab.evaluate(() => ({
        marker: (window as unknown as { marker?: number }).marker ?? null,
        first: document.querySelector('#timeline li[data-reason="ContainerRestarted"]')?.getAttribute('data-object') ?? null,
        text: document.querySelector('#timeline li[data-reason="ContainerRestarted"] .msg')?.textContent ?? '',
      }));
      const repair = await eventually('drift repaired log line for ubuntu114', () => f.operator.lines.slice(marks).find((l) => l.message === 'drift repaired' && l['name'] === 'ubuntu114'), { timeoutMs: 10_000 });
      console.log(`# status page: ubuntu114's repair shown ${ms} ms after docker restart was issued (${String(repair['why'])})`);
      assert.deepEqual({ marker: seen.marker, first: seen.first }, { marker: 1, first: 'StaticIPAttachment/ubuntu114' });
      assert.ok(seen.text.includes(String(repair['what'])), `timeline says "${seen.text}", the log line says what="${String(repair['what'])}"`);
      // The chart counts the repair (from the operator's own metrics) and the open page redraws it.
      const svg = await (await fetch(new URL('chart.svg', url))).text();
      assert.ok(Number(/data-total-repairs="(\d+)"/.exec(svg)?.[1]) >= 1, `chart counts no repair: ${svg.slice(0, 300)}`);
      await tab.waitForFunction(() => (document.getElementById('chart') as HTMLImageElement | null)?.src.includes('chart.svg?t=') === true, { timeout: 5_000 });
      await new Promise((r) => setTimeout(r, 2_100)); // let the highlight fade before the screenshot
      await tab.screenshot({ path: join(f.artifactsDir, 'status-page.png'), fullPage: true });
    });

    itE2E(f, 'deleting the topology leaves the lab as the suites expect', async () => {
      await f.swarmop(['delete', 'staticipattachment', ...ATTACHMENTS.map((a) => a.name)]);
      await f.swarmop(['delete', 'consulcluster', 'datacenter']);
      await f.swarmop(['delete', 'swarmcluster', 'swarm']);
      for (const [k, n] of [...ATTACHMENTS.map((a) => ['staticipattachment', a.name]), ['consulcluster', 'datacenter'], ['swarmcluster', 'swarm']] as const) {
        await eventually(`${k}/${n} gone`, async () => ((await f.get(k, n)) ? undefined : true), { timeoutMs: 90_000 });
      }
      for (const h of HOSTS) assert.equal((await docker(h.name, ['ps', '-aq', '--filter', `label=${CONSUL_LABEL}`])).trim(), '', `agent left on ${h.name}`);
      for (const h of [...HOSTS].reverse()) await hostDocker(h.name).swarmLeave({ force: true }).catch(() => undefined);
    });
  },
  { operatorArgs: ['--ui-addr', '127.0.0.1:0'] },
);
