import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SerfStatus, WanView } from './model.js';
import { analyzeWan, planWan, wanCondition, wanInflightFor, wanStatus } from './wan-analysis.js';
import type { WanPeers, WanServer } from './wan-peers.js';

// `two` (dc2, one server b1) names `one` (dc1, servers a1 a2) in its wanJoin.
const server = (cluster: string, datacenter: string, node: string, address: string): WanServer => ({
  cluster,
  datacenter,
  node,
  name: `${node}.${datacenter}`,
  address,
});
const A1 = server('one', 'dc1', 'a1', '10.0.1.1');
const A2 = server('one', 'dc1', 'a2', '10.0.1.2');
const B1 = server('two', 'dc2', 'b1', '10.0.2.1');
const seenByTwo: WanPeers = {
  peers: [{ cluster: 'one', datacenter: 'dc1', servers: [A1, A2], repairs: true }],
  problems: [],
  retryJoinWan: [A1.address, A2.address],
};
const seenByOne: WanPeers = {
  peers: [{ cluster: 'two', datacenter: 'dc2', servers: [B1], repairs: false }],
  problems: [],
  retryJoinWan: [],
};

/** A server's WAN view: every one of the three alive unless `over` says otherwise ('none': absent). */
function view(s: WanServer, over: Record<string, SerfStatus> = {}, datacenters = ['dc1', 'dc2']): WanView {
  const members = [A1, A2, B1]
    .map((m) => ({ name: m.name, datacenter: m.datacenter, address: `${m.address}:8302`, status: over[m.name] ?? ('alive' as SerfStatus) }))
    .filter((m) => m.status !== 'none');
  return { address: s.address, reachable: true, members, datacenters };
}
const silent = (s: WanServer): WanView => ({ address: s.address, reachable: false, members: [] });

test("federated: no gap, nothing to do, WanFederated=True and the status lists the pool and each server's datacenters", () => {
  const w = analyzeWan([B1], seenByTwo, [view(B1), view(A1), view(A2)]);
  assert.deepEqual(w.gaps, []);
  assert.deepEqual(planWan(w, undefined, 0), {});
  assert.deepEqual(wanCondition(w), {
    type: 'WanFederated',
    status: 'True',
    reason: 'Federated',
    message: '3 servers of 2 datacenters alive in the WAN pool; every server lists dc2, dc1',
  });
  assert.deepEqual(wanStatus(w, B1.address), {
    members: [
      { name: 'a1.dc1', datacenter: 'dc1', address: '10.0.1.1:8302', status: 'alive' },
      { name: 'a2.dc1', datacenter: 'dc1', address: '10.0.1.2:8302', status: 'alive' },
      { name: 'b1.dc2', datacenter: 'dc2', address: '10.0.2.1:8302', status: 'alive' },
    ],
    servers: [{ node: 'b1', datacenters: ['dc1', 'dc2'] }],
  });
});

test('after a healed partition only the peer shows our server failed: joined through OUR server to that peer server, as drift', () => {
  const w = analyzeWan([B1], seenByTwo, [view(B1), view(A1, { 'b1.dc2': 'failed' }), view(A2, { 'b1.dc2': 'failed' })]);
  assert.deepEqual(planWan(w, undefined, 1000), {
    join: { type: 'wanJoin', via: '10.0.2.1', target: '10.0.1.1', status: 'failed', found: 'a1.dc1 sees b1.dc2 failed in the WAN pool' },
  });
  assert.deepEqual(wanCondition(w), {
    type: 'WanFederated',
    status: 'False',
    reason: 'WanMembersMissing',
    message: 'a1.dc1 sees b1.dc2 failed; a2.dc1 sees b1.dc2 failed',
  });
});

test('our server sees a peer server failed: joined from our server to it', () => {
  const w = analyzeWan([B1], seenByTwo, [view(B1, { 'a2.dc1': 'failed' }), view(A1), view(A2)]);
  assert.deepEqual(planWan(w, undefined, 0).join, {
    type: 'wanJoin',
    via: '10.0.2.1',
    target: '10.0.1.2',
    status: 'failed',
    found: 'b1.dc2 sees a2.dc1 failed in the WAN pool',
  });
});

test('a peer server never seen in the pool is a first join (status none), not a rejoin', () => {
  const w = analyzeWan([B1], seenByTwo, [
    view(B1, { 'a1.dc1': 'none', 'a2.dc1': 'none' }, ['dc2']),
    view(A1, { 'b1.dc2': 'none' }, ['dc1']),
    view(A2, { 'b1.dc2': 'none' }, ['dc1']),
  ]);
  assert.equal(planWan(w, undefined, 0).join?.status, 'none');
  assert.deepEqual(w.datacentersMissing, [{ node: 'b1', missing: ['dc1'] }]);
});

test('a join in flight is waited for until the gap closes (settled) or its deadline (not settled, act again)', () => {
  const broken = analyzeWan([B1], seenByTwo, [view(B1), view(A1, { 'b1.dc2': 'failed' }), view(A2)]);
  const action = planWan(broken, undefined, 0).join!;
  const inflight = wanInflightFor(action, 1000, 10_000);
  assert.deepEqual(inflight, { startedAt: 1000, deadline: 11_000, description: 'WAN join of 10.0.1.1 from 10.0.2.1' });
  assert.deepEqual(planWan(broken, inflight, 5000), { waiting: 'waiting for WAN join of 10.0.1.1 from 10.0.2.1' });
  assert.deepEqual(
    wanCondition(broken, 'waiting for WAN join of 10.0.1.1 from 10.0.2.1').message,
    'a1.dc1 sees b1.dc2 failed; waiting for WAN join of 10.0.1.1 from 10.0.2.1',
  );
  const healed = analyzeWan([B1], seenByTwo, [view(B1), view(A1), view(A2)]);
  assert.deepEqual(planWan(healed, inflight, 5000), { inflightDone: { settled: true, inflight } });
  assert.deepEqual(planWan(broken, inflight, 11_000), { join: action, inflightDone: { settled: false, inflight } });
});

test('the named side reports the gap but leaves the repair to the cluster that names it', () => {
  const w = analyzeWan([A1, A2], seenByOne, [view(A1, { 'b1.dc2': 'failed' }), view(A2)]);
  assert.deepEqual(
    w.gaps.map((g) => [g.observer.name, g.member.name, g.status, g.ours]),
    [['a1.dc1', 'b1.dc2', 'failed', false]],
  );
  assert.deepEqual(planWan(w, undefined, 0), {});
  assert.equal(wanCondition(w).reason, 'WanMembersMissing');
});

test("a server whose agent does not answer is neither asked nor joined: that is the LAN repair's job", () => {
  // b1 does not answer: the peer's view shows it failed, but there is no own server to join through.
  const w = analyzeWan([B1], seenByTwo, [silent(B1), view(A1, { 'b1.dc2': 'failed' }), view(A2, { 'b1.dc2': 'failed' })]);
  assert.deepEqual(planWan(w, undefined, 0), {});
  assert.deepEqual(wanCondition(w), {
    type: 'WanFederated',
    status: 'Unknown',
    reason: 'NoServerAnswers',
    message: 'no server of this cluster answered its WAN members',
  });
  // a peer server that does not answer is not joined to either.
  const w2 = analyzeWan([B1], seenByTwo, [view(B1, { 'a1.dc1': 'failed' }), silent(A1), view(A2)]);
  assert.deepEqual(planWan(w2, undefined, 0), {});
});

test('problems come first in the condition; with nothing to observe there is no join', () => {
  const federation: WanPeers = {
    peers: [],
    problems: [{ cluster: 'missing', reason: 'ClusterNotFound', message: 'wanJoin names ConsulCluster missing, which does not exist' }],
    retryJoinWan: [],
  };
  const w = analyzeWan([B1], federation, [view(B1)]);
  assert.deepEqual(wanCondition(w), {
    type: 'WanFederated',
    status: 'False',
    reason: 'ClusterNotFound',
    message: 'wanJoin names ConsulCluster missing, which does not exist',
  });
  assert.deepEqual(planWan(w, undefined, 0), {});
});

test('a server that does not list a peer datacenter keeps WanFederated False', () => {
  const w = analyzeWan([B1], seenByTwo, [view(B1, {}, ['dc2']), view(A1), view(A2)]);
  assert.deepEqual(wanCondition(w), {
    type: 'WanFederated',
    status: 'False',
    reason: 'DatacentersMissing',
    message: 'b1 does not list dc1 in /v1/catalog/datacenters',
  });
});
