import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuntimeMetrics } from '../runtime/metrics.js';
import { renderChartSvg } from './chart.js';
import { MetricsHistory, perMinute, type MetricsSample } from './metrics-history.js';

const M = 60_000;
const T0 = Date.parse('2026-11-29T20:00:00Z');
const s = (t: number, repairs: number, reconciles = 0, reconcileSeconds = 0): MetricsSample => ({
  t,
  repairs,
  reconciles,
  reconcileSeconds,
});

describe('perMinute', () => {
  it('turns counter samples into per-minute deltas and mean latency', () => {
    const samples = [s(T0 + 5_000, 0), s(T0 + 50_000, 2, 4, 0.2), s(T0 + M + 30_000, 5, 6, 0.6)];
    const pts = perMinute(samples, T0 + M + 40_000, 3);
    assert.deepEqual(
      pts.map((p) => [p.start - T0, p.repairs, p.reconciles, p.meanLatencyMs === undefined ? undefined : Math.round(p.meanLatencyMs)]),
      [
        [-M, 0, 0, undefined],
        [0, 2, 4, 50],
        [M, 3, 2, 200],
      ],
    );
  });

  it('counts a counter that went down (registry reset) from zero', () => {
    const pts = perMinute([s(T0 + 1_000, 10), s(T0 + M + 1_000, 3)], T0 + M + 2_000, 1);
    assert.equal(pts[0]!.repairs, 3);
  });
});

describe('MetricsHistory', () => {
  it('reads repairs and reconcile durations from the operator registry', async () => {
    const metrics = new RuntimeMetrics({ processMetrics: false });
    let now = T0 + 1_000;
    const h = new MetricsHistory({ metrics, now: () => now });
    await h.sample();
    metrics.recordDriftRepair('StaticIPAttachment', 'ContainerRestarted');
    metrics.recordDriftRepair('ConsulCluster', 'MemberRejoined');
    metrics.reconcileDuration.observe({ controller: 'a' }, 0.1);
    metrics.reconcileDuration.observe({ controller: 'b' }, 0.3);
    now = T0 + 30_000;
    const pts = await h.points();
    const last = pts[pts.length - 1]!;
    assert.equal(pts.length, 30);
    assert.equal(last.repairs, 2);
    assert.equal(last.reconciles, 2);
    assert.equal(Math.round(last.meanLatencyMs!), 200);
  });
});

describe('renderChartSvg', () => {
  it('draws one bar per minute with repairs and states the total', () => {
    const svg = renderChartSvg([
      { start: T0, repairs: 0, reconciles: 0, meanLatencyMs: undefined },
      { start: T0 + M, repairs: 4, reconciles: 2, meanLatencyMs: 12 },
    ]);
    assert.equal((svg.match(/<rect class="bar"/g) ?? []).length, 1);
    assert.match(svg, /data-total-repairs="4"/);
    assert.match(svg, /<title>20:01 UTC: 4 repairs<\/title>/);
    assert.match(svg, /<polyline class="latency"/);
    assert.equal((svg.match(/<circle class="latency-point"/g) ?? []).length, 1);
  });
});
