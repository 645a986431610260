/**
 * The status page's chart as inline SVG built from numbers only (no charting library, nothing to
 * fetch): repairs per minute as bars, mean reconcile latency per minute as a line on its own axis.
 * It renders without JavaScript; the page's script only reloads the image.
 */
import type { MinutePoint } from './metrics-history.js';

const W = 640;
const H = 180;
const PAD = { left: 40, right: 48, top: 22, bottom: 26 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 1 : 0));

function hhmm(t: number): string {
  const d = new Date(t);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

export function renderChartSvg(points: readonly MinutePoint[]): string {
  const n = Math.max(points.length, 1);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const bw = iw / n;
  const totalRepairs = points.reduce((s, p) => s + p.repairs, 0);
  const maxR = niceMax(Math.max(0, ...points.map((p) => p.repairs)));
  const lat = points.map((p) => p.meanLatencyMs).filter((x): x is number => x !== undefined);
  const maxL = niceMax(Math.max(0, ...lat));
  const y = (v: number, max: number) => PAD.top + ih - (v / max) * ih;
  const bars = points
    .map((p, i) =>
      p.repairs > 0
        ? `<rect class="bar" fill="#d9822b" x="${(PAD.left + i * bw + 1).toFixed(1)}" y="${y(p.repairs, maxR).toFixed(1)}" width="${Math.max(bw - 2, 1).toFixed(1)}" height="${((p.repairs / maxR) * ih).toFixed(1)}"><title>${hhmm(p.start)} UTC: ${p.repairs} repairs</title></rect>`
        : '',
    )
    .join('');
  const linePts = points
    .map((p, i) =>
      p.meanLatencyMs === undefined ? undefined : `${(PAD.left + i * bw + bw / 2).toFixed(1)},${y(p.meanLatencyMs, maxL).toFixed(1)}`,
    )
    .filter((s): s is string => s !== undefined);
  // A dot per minute too, so a single minute of data (a young operator) still shows.
  const dots = linePts
    .map((p) => `<circle class="latency-point" cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="#2b6cb0"/>`)
    .join('');
  const line = linePts.length
    ? `<polyline class="latency" fill="none" stroke="#2b6cb0" stroke-width="2" points="${linePts.join(' ')}"/>${dots}`
    : '';
  const first = points[0];
  const last = points[points.length - 1];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="repairs per minute and mean reconcile latency" data-total-repairs="${totalRepairs}">`,
    // Presentation attributes, not a <style> element: the page's CSP allows no inline styles.
    '<g font-family="sans-serif" font-size="11">',
    `<text x="${PAD.left}" y="14" fill="#d9822b">repairs/min (max ${fmt(maxR)})</text>`,
    `<text x="${W - PAD.right}" y="14" text-anchor="end" fill="#2b6cb0">mean reconcile latency, ms (max ${fmt(maxL)})</text>`,
    `<line stroke="#999" x1="${PAD.left}" y1="${PAD.top + ih}" x2="${W - PAD.right}" y2="${PAD.top + ih}"/>`,
    `<line stroke="#999" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + ih}"/>`,
    `<line stroke="#999" x1="${W - PAD.right}" y1="${PAD.top}" x2="${W - PAD.right}" y2="${PAD.top + ih}"/>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + 4}" text-anchor="end" fill="#d9822b">${fmt(maxR)}</text>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + ih}" text-anchor="end" fill="#d9822b">0</text>`,
    `<text x="${W - PAD.right + 4}" y="${PAD.top + 4}" fill="#2b6cb0">${fmt(maxL)}</text>`,
    `<text x="${W - PAD.right + 4}" y="${PAD.top + ih}" fill="#2b6cb0">0</text>`,
    first ? `<text x="${PAD.left}" y="${H - 8}">${hhmm(first.start)}</text>` : '',
    last ? `<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${hhmm(last.start)} UTC</text>` : '',
    bars,
    line,
    '</g></svg>',
  ].join('');
}
