import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostWatchContext } from '../kind-reconciler.js';
import { needsReconcile, watchMembers } from './member-watch.js';
import type { SerfMember, WanMember } from './model.js';

/** The watch's view of the operator: host addresses, the cached clusters, and what it queued. */
function watchContext(addresses: Record<string, string>, clusters: readonly object[]): { ctx: HostWatchContext; queued: string[] } {
  const queued: string[] = [];
  const ctx = {
    hosts: { get: (h: string) => ({ name: h, address: addresses[h] }), list: () => [] },
    cache: { get: () => undefined, list: () => clusters },
    enqueue: (n: string) => void queued.push(n),
    log: undefined,
  } as unknown as HostWatchContext;
  return { ctx, queued };
}

test('a cluster is queued while one of its nodes is failed, or once when the views changed; not when all is steady', () => {
  const nodes = ['s1', 's2'];
  const steady = new Map([
    ['10.0.0.1', 's1=alive,s2=alive'],
    ['10.0.0.2', 's1=alive,s2=alive'],
  ]);
  assert.equal(needsReconcile(nodes, steady, undefined), false);
  assert.equal(needsReconcile(nodes, steady, new Map(steady)), false);
  assert.equal(
    needsReconcile(
      nodes,
      new Map([
        ['10.0.0.1', 's1=alive,s2=failed'],
        ['10.0.0.2', '-'],
      ]),
      steady,
    ),
    true,
  );
  // A node outside the spec (another cluster's stray) does not count as a failure of this one.
  assert.equal(
    needsReconcile(nodes, new Map([['10.0.0.1', 's1=alive,s2=alive,x=failed']]), new Map([['10.0.0.1', 's1=alive,s2=alive,x=failed']])),
    false,
  );
  // `left` is queued once (as a change), not every poll.
  const left = new Map([['10.0.0.1', 's1=alive,s2=left']]);
  assert.equal(needsReconcile(nodes, left, new Map([['10.0.0.1', 's1=alive,s2=alive']])), true);
  assert.equal(needsReconcile(nodes, left, new Map(left)), false);
  // An agent that stopped answering is a change.
  assert.equal(
    needsReconcile(
      nodes,
      new Map([
        ['10.0.0.1', 's1=alive,s2=alive'],
        ['10.0.0.2', '-'],
      ]),
      steady,
    ),
    true,
  );
});

test('the watch polls every agent of every cluster and queues the cluster whose member failed, within one interval', async () => {
  const status: Record<string, SerfMember['status']> = { s1: 'alive', s2: 'alive' };
  const cluster = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name: 'c1' },
    spec: {
      datacenter: 'dc',
      image: 'consul:x',
      servers: [
        { host: 'h1', node: 's1' },
        { host: 'h2', node: 's2' },
      ],
    },
  };
  const asked: string[] = [];
  const { ctx, queued } = watchContext({ h1: '10.0.0.1', h2: '10.0.0.2' }, [cluster]);
  const ac = new AbortController();
  const done = watchMembers(ctx, ac.signal, {
    intervalMs: 20,
    readMembers: async (address) => {
      asked.push(address);
      return Object.entries(status).map(([name, s]) => ({ name, address: '', status: s, role: 'server' as const }));
    },
  });
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(queued, [], 'steady cluster: nothing queued');
  assert.ok(asked.includes('10.0.0.1') && asked.includes('10.0.0.2'));
  status.s2 = 'failed';
  const t0 = Date.now();
  while (queued.length === 0 && Date.now() - t0 < 2_000) await new Promise((r) => setTimeout(r, 5));
  ac.abort();
  await done;
  assert.equal(queued[0], 'c1');
  assert.ok(Date.now() - t0 < 1_500, `queued after ${Date.now() - t0} ms`);
});

test('a federated cluster is queued when a peer server it keeps joined sees one of its servers failed in the WAN pool', async () => {
  const cluster = (name: string, dc: string, host: string, wanJoin?: string[]) => ({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name },
    spec: { datacenter: dc, image: 'consul:x', servers: [{ host, node: host }], ...(wanJoin ? { wanJoin } : {}) },
  });
  const clusters = [cluster('one', 'dc1', 'h1'), cluster('two', 'dc2', 'h2', ['one'])];
  const addresses: Record<string, string> = { h1: '10.0.0.1', h2: '10.0.0.2' };
  // As seen from the server of `one` (10.0.0.1): after a partition only that side shows h2 failed.
  const wanSeenBy: Record<string, Record<string, WanMember['status']>> = {
    '10.0.0.1': { 'h1.dc1': 'alive', 'h2.dc2': 'alive' },
    '10.0.0.2': { 'h1.dc1': 'alive', 'h2.dc2': 'alive' },
  };
  const wanAsked = new Set<string>();
  const { ctx, queued } = watchContext(addresses, clusters);
  const ac = new AbortController();
  const done = watchMembers(ctx, ac.signal, {
    intervalMs: 20,
    readMembers: async (address) => [{ name: address === '10.0.0.1' ? 'h1' : 'h2', address, status: 'alive', role: 'server' }],
    readWanMembers: async (address, _signal, asCluster) => {
      wanAsked.add(`${asCluster}@${address}`);
      return Object.entries(wanSeenBy[address]!).map(([name, status]) => ({
        name,
        datacenter: name.split('.')[1]!,
        address: `${address}:8302`,
        status,
      }));
    },
  });
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(queued.join(','), '', 'steady federation: nothing queued');
  // `two` names `one`: it asks its own server and one's server (with one's tokens); `one` asks its own.
  assert.deepEqual([...wanAsked].sort(), ['one@10.0.0.1', 'two@10.0.0.2']);
  wanSeenBy['10.0.0.1']!['h2.dc2'] = 'failed';
  const t0 = Date.now();
  while (!queued.includes('two') && Date.now() - t0 < 2_000) await new Promise((r) => setTimeout(r, 5));
  ac.abort();
  await done;
  assert.ok(queued.includes('two'), `queued: ${queued.join(',')}`);
  assert.ok(queued.includes('one'), 'the named cluster refreshes its status too');
});
