/**
 * The status page as server-rendered HTML: readable and complete without JavaScript (tables,
 * timeline, chart image); the script only adds the live timeline and refreshes the chart. Every
 * value from a document, a status or an event goes through `html`'s escaping.
 */
import { html, type SafeHtml } from './html.js';
import type { HostPage, HostRow, KindPage, ObjectRow, ReadyView, TimelineEntry } from './view-model.js';

export interface PageModel {
  prefix: string;
  generatedAt: string;
  kinds: KindPage[];
  hosts: HostPage;
  timeline: TimelineEntry[];
  /** False when the store's statuses could not be read in time (the page says so). */
  statusesSynced: boolean;
  /** Who holds the operators' leader lock, when the operator runs with --leader-elect. */
  leader?: LeaderView;
}

export interface LeaderView {
  /** The leading replica's identity (host/pid), or undefined when no replica holds the lock. */
  holder: string | undefined;
  /** True when the replica serving this page is the one leading. */
  self: boolean;
}

const leaderText = (l: LeaderView | undefined): SafeHtml =>
  l === undefined
    ? html``
    : l.holder === undefined
      ? html` · <span class="False">no operator leads</span>`
      : html` · operator led by <code>${l.holder}</code>${l.self ? ' (this replica)' : ' (another replica; this one is a standby)'}`;

const ready = (r: ReadyView): SafeHtml => html`<span class="${r.status}" title="${r.message}">${r.status}</span>`;

function objectRowHtml(r: ObjectRow): SafeHtml {
  return html`<tr data-kind="${r.kind}" data-name="${r.name}" data-ready="${r.ready.status}">
    <td class="name">${r.name}${r.terminating ? ' (terminating)' : ''}</td>
    <td class="ready">${ready(r.ready)}</td>
    <td class="reason">${r.ready.reason}</td>
    <td class="msg">${r.ready.message}</td>
    <td class="age">${r.age}</td>
    <td class="summary">${r.summary}</td>
    <td class="labels">${r.labels.map(([k, v]) => html`<span>${k}=${v}</span>`)}</td>
  </tr>`;
}

/** Page links; `query(page)` is the query string (without "?") of that page. */
function pager(p: { page: number; pages: number }, anchor: string, query: (page: number) => string): SafeHtml {
  if (p.pages <= 1) return html``;
  const link = (page: number, label: string) => html`<a href="?${query(page)}#${anchor}">${label}</a>`;
  return html`<div class="pager">
    page ${p.page} of ${p.pages} ·
    ${p.page > 1 ? [link(1, 'first'), link(p.page - 1, 'previous')] : ''}${p.page < p.pages ? [link(p.page + 1, 'next'), link(p.pages, 'last')] : ''}
  </div>`;
}

function kindSection(p: KindPage): SafeHtml {
  const from = p.total === 0 ? 0 : (p.page - 1) * p.pageSize + 1;
  const to = Math.min(p.total, p.page * p.pageSize);
  return html`<section id="${p.kind}" class="kind">
    <h2>${p.kind} <small>${p.readyCount}/${p.total} Ready${p.total > p.pageSize ? ` · showing ${from}–${to}` : ''}</small></h2>
    ${pager(p, p.kind, (page) => `kind=${p.kind}&page=${page}`)}
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Ready</th>
          <th>Reason</th>
          <th>Message</th>
          <th>Age</th>
          <th>Declares</th>
          <th>Labels</th>
        </tr>
      </thead>
      <tbody>
        ${
          p.rows.length
            ? p.rows.map(objectRowHtml)
            : html`<tr>
                <td colspan="7" class="empty">none declared</td>
              </tr>`
        }
      </tbody>
    </table>
  </section>`;
}

function hostRowHtml(h: HostRow): SafeHtml {
  return html`<tr data-host="${h.name}">
    <td class="name">${h.name}<br /><small>${h.address}</small></td>
    <td>${ready(h.ready)}<br /><small>${h.ready.reason}</small></td>
    <td class="engine">${h.engine}<br /><small>${h.endpoint}</small></td>
    <td class="swarm">
      ${h.swarm ? html`${h.swarm.role}${h.swarm.leader ? ' (leader)' : ''} · ${h.swarm.state}${h.swarm.availability ? ` · ${h.swarm.availability}` : ''}<br /><small>${h.swarm.cluster}</small>` : html`<span class="empty">not in a swarm</span>`}
    </td>
    <td class="consul">
      ${h.consul.length ? h.consul.map((c) => html`<div>${c.node} (${c.role}): <b>${c.status}</b> <small>${c.cluster}</small></div>`) : html`<span class="empty">no agent</span>`}
    </td>
    <td class="attachments">
      ${
        h.attachments.length
          ? html`<ul class="att">
              ${h.attachments.map((a) => html`<li data-attachment="${a.name}">${a.container} <b>${a.address}</b> ${ready(a.ready)}</li>`)}
            </ul>`
          : html`<span class="empty">none</span>`
      }${h.moreAttachments ? html`<small>and ${h.moreAttachments} more</small>` : ''}
    </td>
  </tr>`;
}

export function timelineItem(e: TimelineEntry): SafeHtml {
  return html`<li
    class="ev ${e.type === 'Warning' ? 'Warning' : 'Normal'}"
    data-id="${e.id}"
    data-series="${e.series}"
    data-object="${e.kind}/${e.name}"
    data-reason="${e.reason}"
  >
    <time datetime="${e.time}">${e.time.replace('T', ' ').slice(0, 19)}</time><span class="obj">${e.kind.toLowerCase()}/${e.name}</span
    ><span class="reason">${e.reason}</span
    ><span class="msg">${e.message}</span>${e.count > 1 ? html`<span class="count">×${e.count}</span>` : ''}
  </li>`;
}

export function renderPage(m: PageModel): string {
  const total = m.kinds.reduce((n, k) => n + k.total, 0);
  const readyTotal = m.kinds.reduce((n, k) => n + k.readyCount, 0);
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>swarmop status (${readyTotal}/${total} Ready)</title>
        <link rel="stylesheet" href="assets/ui.css" />
      </head>
      <body>
        <header>
          <h1>swarmop status</h1>
          <span class="meta"
            >store prefix <code>${m.prefix}</code> · ${readyTotal}/${total} objects Ready${leaderText(m.leader)} · rendered
            ${m.generatedAt}</span
          ><span id="live">static</span>
        </header>
        <main>
          ${m.statusesSynced ? '' : html`<p class="empty">Statuses are still loading from the store; reload in a moment for Ready conditions.</p>`}
          <nav>
            ${m.kinds.map((k: KindPage) => html`<a href="#${k.kind}">${k.kind} (${k.readyCount}/${k.total})</a> · `)}<a href="#hosts"
              >hosts</a
            >
            · <a href="#drift">drift timeline</a>
          </nav>
          <section id="hosts">
            <h2>Hosts <small>${m.hosts.total}</small></h2>
            ${pager(m.hosts, 'hosts', (page) => `hosts=${page}`)}
            <table>
              <thead>
                <tr>
                  <th>Host</th>
                  <th>Ready</th>
                  <th>Engine</th>
                  <th>Swarm</th>
                  <th>Consul</th>
                  <th>Attachments</th>
                </tr>
              </thead>
              <tbody>
                ${
                  m.hosts.rows.length
                    ? m.hosts.rows.map(hostRowHtml)
                    : html`<tr>
                        <td colspan="6" class="empty">no DockerHost declared</td>
                      </tr>`
                }
              </tbody>
            </table>
          </section>
          <div class="grid">
            <section id="drift">
              <h2>Drift timeline <small>events, newest first</small></h2>
              <ol id="timeline">
                ${m.timeline.length ? m.timeline.map(timelineItem) : html`<li class="empty">no events yet</li>`}
              </ol>
            </section>
            <section id="metrics">
              <h2>Repairs and reconcile latency <small>last 30 minutes, this operator</small></h2>
              <img id="chart" src="chart.svg" width="640" height="180" alt="repairs per minute and mean reconcile latency" />
            </section>
          </div>
          ${m.kinds.map(kindSection)}
        </main>
        <script src="assets/ui.js"></script>
      </body>
    </html>`.value;
}
