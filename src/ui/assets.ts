/**
 * The page's only assets, shipped inside the package as strings (compiled with the code, so
 * nothing has to be copied next to dist/ and nothing comes from a CDN). The script adds the live
 * parts; the tables are complete without it. It never writes data as markup: entries from the
 * stream become text nodes.
 */
export const UI_CSS = `
:root{--ok:#1f7a3a;--bad:#b42318;--unk:#8a6d00;--mut:#666;--line:#e3e3e3}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:0;color:#1d1d1d;background:#fafafa}
header{display:flex;gap:1em;align-items:baseline;padding:.6em 1.2em;background:#1d2733;color:#fff}
header h1{font-size:1.15em;margin:0}
header .meta{color:#c9d3de;font-size:.9em}
#live{margin-left:auto;font-size:.85em;padding:.1em .6em;border-radius:1em;background:#555}
#live.on{background:var(--ok)}#live.off{background:var(--bad)}
main{padding:0 1.2em 2em}
section{margin-top:1.2em}
h2{font-size:1.05em;margin:.2em 0 .4em}
h2 small{font-weight:normal;color:var(--mut)}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}
th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f0f2f4;font-weight:600}
td.name{font-family:"DejaVu Sans Mono",monospace;white-space:nowrap}
.True{color:var(--ok);font-weight:600}.False{color:var(--bad);font-weight:600}.Unknown{color:var(--unk);font-weight:600}
.msg{color:#333;word-break:break-word}
.labels span{display:inline-block;background:#eef1f5;border-radius:3px;padding:0 .3em;margin:0 .2em .1em 0;font-family:monospace;font-size:.9em}
.pager{margin:.3em 0;color:var(--mut)}.pager a{margin-right:.6em}
.grid{display:grid;grid-template-columns:minmax(0,1fr) 660px;gap:1.2em}
@media (max-width:1200px){.grid{grid-template-columns:minmax(0,1fr)}}
ol#timeline{list-style:none;margin:0;padding:0;max-height:26em;overflow:auto;background:#fff;border:1px solid var(--line)}
ol#timeline li{padding:.25em .5em;border-bottom:1px solid var(--line)}
ol#timeline li.Warning{background:#fff4f2}
ol#timeline li.fresh{animation:flash 2s ease-out}
@keyframes flash{from{background:#fff3c4}to{background:#fff}}
ol#timeline time{font-family:monospace;color:var(--mut);margin-right:.5em}
.obj{font-family:monospace;margin-right:.5em}.reason{font-weight:600;margin-right:.5em}
.count{color:var(--mut);margin-left:.4em}
ul.att{margin:0;padding-left:1.1em}
.empty{color:var(--mut);font-style:italic}
`;

export const UI_JS = `(function () {
  'use strict';
  var list = document.getElementById('timeline');
  var live = document.getElementById('live');
  var chart = document.getElementById('chart');
  if (!list || !window.EventSource) return;
  var known = {};
  Array.prototype.forEach.call(list.querySelectorAll('li[data-id]'), function (li) { known[li.getAttribute('data-id')] = true; });
  function span(cls, text) { var s = document.createElement('span'); s.className = cls; s.textContent = text; return s; }
  function entry(e) {
    var li = document.createElement('li');
    li.className = 'ev ' + (e.type === 'Warning' ? 'Warning' : 'Normal') + ' fresh';
    li.setAttribute('data-id', e.id);
    li.setAttribute('data-series', e.series);
    li.setAttribute('data-object', e.kind + '/' + e.name);
    li.setAttribute('data-reason', e.reason);
    var t = document.createElement('time');
    t.setAttribute('datetime', e.time);
    t.textContent = String(e.time).replace('T', ' ').slice(0, 19);
    li.appendChild(t);
    li.appendChild(span('obj', e.kind.toLowerCase() + '/' + e.name));
    li.appendChild(span('reason', e.reason));
    li.appendChild(span('msg', e.message));
    if (e.count > 1) li.appendChild(span('count', '\\u00d7' + e.count));
    return li;
  }
  var es = new EventSource('events');
  es.addEventListener('open', function () { live.textContent = 'live'; live.className = 'on'; });
  es.addEventListener('error', function () { live.textContent = 'reconnecting'; live.className = 'off'; });
  es.addEventListener('timeline', function (m) {
    var entries = JSON.parse(m.data);
    var empty = list.querySelector('.empty');
    if (empty) empty.remove();
    for (var i = 0; i < entries.length; i++) {
      var e = entries[i];
      if (known[e.id]) continue;
      known[e.id] = true;
      var older = list.querySelectorAll('li[data-series]');
      for (var j = 0; j < older.length; j++) if (older[j].getAttribute('data-series') === e.series) older[j].remove();
      list.insertBefore(entry(e), list.firstChild);
    }
    while (list.children.length > 200) list.removeChild(list.lastChild);
    // A new event is often a repair: redraw the chart soon rather than at the next tick.
    clearTimeout(pending);
    pending = setTimeout(refreshChart, 300);
  });
  var pending = 0;
  function refreshChart() { if (chart) chart.src = 'chart.svg?t=' + Date.now(); }
  es.addEventListener('metrics', refreshChart);
})();
`;
