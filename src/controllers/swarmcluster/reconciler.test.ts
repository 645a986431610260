import assert from 'node:assert/strict';
import { SwarmopError } from '../../errors.js';
import { test } from 'node:test';
import type Docker from 'dockerode';
import winston from 'winston';
import type { Resource } from '../../crds/meta.js';
import type { SwarmClusterSpec } from '../../crds/swarm-cluster.js';
import { MemoryKv } from '../../../testing/fakes/memory-kv.js';
import type { HostHandle, KindReconcileContext, Repair } from '../kind-reconciler.js';
import { FakeSwarm } from '../../../testing/fakes/fake-swarm.js';
import { SwarmClusterReconciler } from './reconciler.js';
import type { ClusterCredentials } from '../consul-credentials.js';
import { defaultTrustPolicy, type TrustPolicy } from '../trust-policy.js';

const ADDR: Record<string, string> = { consulsvr: '10.0.0.111', consul01: '10.0.0.112', consul02: '10.0.0.113', consul03: '10.0.0.114' };

function setup(
  spec: Partial<SwarmClusterSpec> = {},
  options: { kv?: MemoryKv; downGraceMs?: number; policy?: TrustPolicy; secrets?: Record<string, string> } = {},
) {
  const swarm = new FakeSwarm();
  for (const [h, a] of Object.entries(ADDR)) swarm.addHost(h, a);
  const handles = new Map<string, HostHandle>(
    Object.entries(ADDR).map(([name, address]) => [name, { name, address, docker: {} as Docker, ready: true }]),
  );
  const repairs: Repair[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  const objects = new Map<string, Resource<any, any>>();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const ctx: KindReconcileContext = {
    log: winston.createLogger({ silent: true }),
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts: { get: (n) => handles.get(n), list: () => [...handles.values()] },
    cache: {
      get: ((k: string, n: string) => objects.get(`${k}/${n}`)) as KindReconcileContext['cache']['get'],
      list: ((k: string) => [...objects.values()].filter((o) => o.kind === k)) as KindReconcileContext['cache']['list'],
      byIndex: () => [],
    },
    repaired: async (r) => void repairs.push(r),
    event: async (type, reason, message) => void events.push({ type, reason, message }),
    now: () => new Date(now),
  };
  const kvAddresses: string[] = [];
  const kvCredentials: ClusterCredentials[] = [];
  const reconciler = new SwarmClusterReconciler({
    ...(options.secrets ? { readSecret: async (k: string) => options.secrets![k] } : {}),
    apiFor: (h) => swarm.api(h.name),
    downGraceMs: options.downGraceMs ?? 15_000,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.kv ? { kvFor: (a: string, c: ClusterCredentials) => (kvAddresses.push(a), kvCredentials.push(c), options.kv!) } : {}),
  });
  const resource = {
    apiVersion: 'swarmop.io/v1alpha1' as const,
    kind: 'SwarmCluster',
    metadata: { name: 'swarm' },
    spec: { managers: ['consulsvr'], workers: ['consul01', 'consul02'], availability: 'active', prune: false, ...spec } as SwarmClusterSpec,
  };
  return {
    swarm,
    ctx,
    repairs,
    events,
    objects,
    kvAddresses,
    kvCredentials,
    reconcile: () => reconciler.reconcile(resource, ctx),
    reconciler,
    resource,
    advance: (ms: number) => (now += ms),
  };
}

const ready = (o: { conditions: { type: string; status: string }[] }) => o.conditions.find((c) => c.type === 'Ready')?.status;

test('forms the swarm from nothing in one reconcile: init on the first manager, workers join, no repairs', async () => {
  const s = setup();
  const out = await s.reconcile();
  assert.equal(ready(out), 'True');
  assert.deepEqual(s.swarm.calls, ['init consulsvr', 'join consul01 SWMTKN-w-1', 'join consul02 SWMTKN-w-1']);
  assert.deepEqual(s.repairs, []);
  assert.deepEqual(
    s.events.map((e) => e.reason),
    ['SwarmInitialized', 'NodeJoined', 'NodeJoined'],
  );
  assert.equal(out.observed.swarmID, s.swarm.clusterID);
  assert.deepEqual(
    out.observed.nodes?.map((n) => `${n.hostname}:${n.role}:${n.state}`),
    ['consul01:worker:ready', 'consul02:worker:ready', 'consulsvr:manager:ready'],
  );
  assert.equal(out.requeueAfter, undefined);
});

test('a converged swarm is a no-op: no calls that change anything, no events, same status', async () => {
  const s = setup();
  const first = await s.reconcile();
  const calls = s.swarm.calls.length;
  const events = s.events.length;
  const second = await s.reconcile();
  assert.equal(s.swarm.calls.length, calls);
  assert.equal(s.events.length, events);
  assert.deepEqual(second, first);
});

test('a worker that left joins again: one repair, stale entry removed', async () => {
  const s = setup();
  await s.reconcile();
  await s.swarm.api('consul01').leave(true);
  s.swarm.calls.length = 0;
  const out = await s.reconcile();
  assert.equal(ready(out), 'True');
  assert.equal(s.repairs.length, 1);
  assert.equal(s.repairs[0]!.reason, 'NodeRejoined');
  assert.equal(s.repairs[0]!.host, 'consul01');
  assert.deepEqual(s.swarm.calls, ['rm consul01', 'join consul01 SWMTKN-w-1']);
  assert.equal([...s.swarm.nodes.values()].filter((n) => n.hostname === 'consul01').length, 1);
});

test('after a token rotation a node that lost its swarm state joins with the fresh token', async () => {
  const s = setup();
  await s.reconcile();
  s.swarm.rotateTokens();
  s.swarm.wipe('consul02');
  s.swarm.calls.length = 0;
  const out = await s.reconcile();
  assert.equal(ready(out), 'True');
  assert.deepEqual(s.swarm.calls, ['rm consul02', `join consul02 ${s.swarm.tokens.worker}`]);
  assert.deepEqual(
    s.repairs.map((r) => r.reason),
    ['NodeRejoined'],
  );
});

/**
 * Wraps the fake swarm's API: the first `failedUpdates` node updates time out without effect, and
 * while `blind` is set no manager answers a node listing (swarmkit electing a leader).
 */
function flakySwarm(swarm: FakeSwarm, o: { failedUpdates: number }): { blind: boolean } {
  const state = { blind: false };
  let failures = o.failedUpdates;
  const api = swarm.api.bind(swarm);
  swarm.api = (host: string) => {
    const a = api(host);
    return {
      ...a,
      listNodes: async () => {
        if (state.blind)
          throw new SwarmopError('Unavailable', 'node ls: rpc error: code = Unknown desc = The swarm does not have a leader');
        return a.listNodes();
      },
      updateNode: async (node, change) => {
        if (failures-- > 0) throw new SwarmopError('Unavailable', 'update node: context deadline exceeded (timeout)');
        await a.updateNode(node, change);
      },
    };
  };
  return state;
}

test('roles changed by hand are set back (promote first, then demote) as two repairs', async () => {
  const s = setup();
  await s.reconcile();
  const mgr = s.swarm.api('consulsvr');
  await mgr.updateNode(s.swarm.nodeOf('consul01')!, { role: 'manager' });
  await mgr.updateNode(s.swarm.nodeOf('consulsvr')!, { role: 'worker' });
  s.swarm.calls.length = 0;
  const out = await s.reconcile();
  assert.equal(ready(out), 'True');
  assert.deepEqual(s.swarm.calls, ['update consulsvr manager', 'update consul01 worker']);
  assert.deepEqual(
    s.repairs.map((r) => `${r.reason}@${r.host}`),
    ['RoleRestored@consulsvr', 'RoleRestored@consul01'],
  );
});

test('a role change whose call times out but that swarmkit commits anyway is the repair it was, not a failure', async () => {
  const s = setup();
  await s.reconcile();
  const mgr = s.swarm.api('consulsvr');
  await mgr.updateNode(s.swarm.nodeOf('consul01')!, { role: 'manager' });
  // swarmkit commits the demotion but answers only after the client gave up (seen under load).
  const api = s.swarm.api.bind(s.swarm);
  s.swarm.api = (host: string) => {
    const a = api(host);
    return {
      ...a,
      updateNode: async (node, change) => {
        await a.updateNode(node, change);
        throw new SwarmopError('Unavailable', 'update node: context deadline exceeded (timeout)');
      },
    };
  };
  const out = await s.reconcile();
  assert.deepEqual(
    s.repairs.map((r) => `${r.reason}@${r.host}`),
    ['RoleRestored@consul01'],
  );
  assert.match(s.repairs[0]!.action, /the call failed: update node: context deadline exceeded \(timeout\); the change took effect/);
  assert.equal(ready(out), 'True');
  assert.equal(out.repairFailed, undefined);
});

test('a role change whose first call fails without effect and whose retry succeeds is one repair, not two', async () => {
  const s = setup();
  await s.reconcile();
  const mgr = s.swarm.api('consulsvr');
  await mgr.updateNode(s.swarm.nodeOf('consul01')!, { role: 'manager' });
  // The first demotion times out before swarmkit commits it; the next pass sends it again and it lands.
  flakySwarm(s.swarm, { failedUpdates: 1 });
  const first = await s.reconcile();
  assert.match(first.repairFailed ?? '', /demoted to worker failed/);
  assert.equal(s.repairs.length, 0, 'a failed call is not a repair yet');
  const second = await s.reconcile();
  assert.equal(ready(second), 'True');
  await s.reconcile();
  assert.deepEqual(
    s.repairs.map((r) => `${r.reason}@${r.host}:${r.action}`),
    ['RoleRestored@consul01:demoted to worker'],
  );
});

test('a failed role change is not taken as landed while the swarm cannot be seen: the retry that lands is the one repair', async () => {
  const s = setup();
  await s.reconcile();
  const mgr = s.swarm.api('consulsvr');
  await mgr.updateNode(s.swarm.nodeOf('consul01')!, { role: 'manager' });
  // Pass 1: the demotion fails without effect. Pass 2: no manager answers a node listing (a leader
  // election in swarmkit), so the plan asks for nothing. Pass 3: the retry lands.
  const flaky = flakySwarm(s.swarm, { failedUpdates: 1 });
  await s.reconcile();
  flaky.blind = true;
  await s.reconcile();
  assert.equal(s.repairs.length, 0, 'nothing seen, nothing confirmed');
  flaky.blind = false;
  const out = await s.reconcile();
  assert.equal(ready(out), 'True');
  await s.reconcile();
  assert.deepEqual(
    s.repairs.map((r) => `${r.reason}@${r.host}:${r.action}`),
    ['RoleRestored@consul01:demoted to worker'],
  );
});

test('a node Down past the grace period while its engine answers is made to leave and join again', async () => {
  const s = setup({}, { downGraceMs: 10_000 });
  await s.reconcile();
  const n = s.swarm.nodeOf('consul02')!;
  n.state = 'down';
  n.updatedAt = new Date(s.ctx.now().getTime()).toISOString();
  const early = await s.reconcile();
  assert.equal(ready(early), 'False');
  assert.equal(early.requeueAfter, 2000);
  assert.equal(s.repairs.length, 0);
  s.advance(11_000);
  s.swarm.calls.length = 0;
  const out = await s.reconcile();
  assert.equal(ready(out), 'True');
  assert.deepEqual(s.swarm.calls, ['leave consul02', 'rm consul02', 'join consul02 SWMTKN-w-1']);
  assert.deepEqual(
    s.repairs.map((r) => r.reason),
    ['NodeRejoined'],
  );
});

test('an unreachable listed host leaves the swarm not Ready, names the host, and touches nothing', async () => {
  const s = setup();
  await s.reconcile();
  s.swarm.engines.get('consul01')!.up = false;
  s.swarm.nodeOf('consul01')!.state = 'down';
  s.swarm.calls.length = 0;
  const out = await s.reconcile();
  assert.equal(ready(out), 'False');
  assert.match(out.conditions.find((c) => c.type === 'Degraded')!.message, /consul01: engine not answering/);
  assert.deepEqual(s.swarm.calls, []);
});

test('removing a worker from the spec with prune drains it, then removes it', async () => {
  const s = setup();
  await s.reconcile();
  s.resource.spec.workers = ['consul01'];
  s.resource.spec.prune = true;
  s.swarm.calls.length = 0;
  const out = await s.reconcile();
  assert.equal(ready(out), 'True');
  assert.deepEqual(s.swarm.calls, ['update consul02 drain', 'rm consul02']);
  assert.deepEqual(
    s.repairs.map((r) => r.reason),
    ['NodePruned'],
  );
  assert.deepEqual(s.events.at(-1)?.reason, 'NodeDraining');
});

test('discovery publishes ready nodes under the classic layout, each key held by a session', async () => {
  const kv = new MemoryKv();
  const s = setup({ discovery: { consulCluster: 'datacenter', path: 'swarm', ttl: '20s' } }, { kv });
  s.objects.set('ConsulCluster/datacenter', {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name: 'datacenter' },
    spec: { servers: [{ host: 'consulsvr', node: 'consulsvr' }] },
  });
  const out = await s.reconcile();
  assert.equal(out.requeueAfter, 10_000, 'renews at half the TTL');
  assert.deepEqual(s.kvAddresses.slice(0, 1), ['http://10.0.0.111:8500']);
  const { pairs } = await kv.list('swarm/docker/swarm/nodes/');
  assert.deepEqual(
    pairs.map((p) => [p.key, p.value]),
    [
      ['swarm/docker/swarm/nodes/10.0.0.111:2375', '10.0.0.111:2375'],
      ['swarm/docker/swarm/nodes/10.0.0.112:2375', '10.0.0.112:2375'],
      ['swarm/docker/swarm/nodes/10.0.0.113:2375', '10.0.0.113:2375'],
    ],
  );
  assert.ok(pairs.every((p) => p.session));

  // Converged: sessions renewed, keys untouched.
  const before = pairs.map((p) => p.modifyIndex);
  await s.reconcile();
  assert.deepEqual(
    (await kv.list('swarm/docker/swarm/nodes/')).pairs.map((p) => p.modifyIndex),
    before,
  );

  // A node that is no longer ready loses its key.
  s.swarm.engines.get('consul02')!.up = false;
  s.swarm.nodeOf('consul02')!.state = 'down';
  await s.reconcile();
  assert.deepEqual(
    (await kv.list('swarm/docker/swarm/nodes/')).pairs.map((p) => p.value),
    ['10.0.0.111:2375', '10.0.0.112:2375'],
  );

  // A key whose session expired is written again under a new session.
  const held = (await kv.get('swarm/docker/swarm/nodes/10.0.0.112:2375'))!;
  await kv.invalidateSession(held.session!);
  await s.reconcile();
  const again = (await kv.get('swarm/docker/swarm/nodes/10.0.0.112:2375'))!;
  assert.ok(again.session && again.session !== held.session);

  // Delete: the finalizer clears the list.
  assert.deepEqual(await s.reconciler.finalize(s.resource, s.ctx), { done: true });
  assert.deepEqual((await kv.list('swarm/docker/swarm/nodes/')).pairs, []);
});

test('events map to the clusters that list the host', () => {
  const s = setup();
  s.objects.set('SwarmCluster/swarm', s.resource);
  s.objects.set('SwarmCluster/other', { ...s.resource, metadata: { name: 'other' }, spec: { managers: ['consul03'], workers: [] } });
  const cache = s.ctx.cache;
  assert.deepEqual(s.reconciler.mapHostConnectivity('consul01', true, cache), ['swarm']);
  assert.deepEqual(s.reconciler.mapHostEvent('consul03', { Type: 'node', Action: 'update', Actor: { ID: 'x' } }, cache), ['other']);
  assert.deepEqual(s.reconciler.mapHostEvent('consulsvr', { Type: 'container', Action: 'start', Actor: { ID: 'x' } }, cache), []);
  assert.deepEqual(s.reconciler.mapObjectChange('DockerHost', 'consul02', cache), ['swarm']);
});

test('a worker that left and was promoted before it re-joined (manager by spec, not in raft) is removed with force and joins as a worker in one repair', async () => {
  const s = setup();
  await s.reconcile();
  const old = s.swarm.nodeOf('consul01')!.id;
  await s.swarm.api('consul01').leave(true);
  s.swarm.promoteOutsideRaft(old);
  s.swarm.calls.length = 0;
  const out = await s.reconcile();
  assert.equal(out.repairFailed, undefined);
  assert.equal(ready(out), 'True', JSON.stringify(out.conditions));
  assert.deepEqual(s.swarm.calls, ['rm consul01', 'join consul01 SWMTKN-w-1'], 'never the demotion swarmkit refuses');
  assert.deepEqual(
    s.repairs.map((r) => `${r.reason}@${r.host}`),
    ['NodeRejoined@consul01'],
  );
  assert.deepEqual([...s.swarm.nodes.values()].map((n) => `${n.hostname}:${n.role}`).sort(), [
    'consul01:worker',
    'consul02:worker',
    'consulsvr:manager',
  ]);
});

test('a failing swarm action makes the run fail (repairFailed) instead of a quiet re-check', async () => {
  const s = setup();
  await s.reconcile();
  const api = s.swarm.api('consul01');
  await api.leave(true);
  // The engine refuses every join: make join throw.
  const orig = s.swarm.api.bind(s.swarm);
  s.swarm.api = (h: string) =>
    h === 'consul01'
      ? {
          ...orig(h),
          join: async () => {
            throw new Error('rpc error: connection refused');
          },
        }
      : orig(h);
  const out = await s.reconcile();
  assert.match(out.repairFailed ?? '', /^consul01: .*failed: rpc error: connection refused$/);
  assert.deepEqual(
    s.events.filter((e) => e.reason === 'ActionFailed'),
    [],
    'the operator records the failure (RepairFailing), not every attempt',
  );
});

test('join tokens never go to an engine reached over plain tcp: refused with a condition naming the host, no swarm call', async () => {
  const s = setup({}, { policy: defaultTrustPolicy('p/') });
  const dh = (name: string, endpoint: string, tls = false) => ({
    apiVersion: 'swarmop.io/v1alpha1' as const,
    kind: 'DockerHost',
    metadata: { name },
    spec: { endpoint, address: ADDR[name]!, ...(tls ? { tls: { caFile: '/ca', certFile: '/c', keyFile: '/k' } } : {}) },
  });
  s.objects.set('DockerHost/consulsvr', dh('consulsvr', 'tcp://10.0.0.111:2376', true));
  s.objects.set('DockerHost/consul01', dh('consul01', 'unix:///var/run/docker.sock'));
  s.objects.set('DockerHost/consul02', dh('consul02', 'tcp://10.0.0.113:2375'));
  const out = await s.reconcile();
  const ready = out.conditions.find((c) => c.type === 'Ready')!;
  assert.equal(ready.reason, 'NotAllowed');
  assert.match(ready.message, /^spec\.workers\[1\]: DockerHost consul02 is reached over plain tcp/);
  assert.deepEqual(s.swarm.calls, []);
  // With --allow-insecure-engines the same swarm forms.
  const allowed = setup({}, { policy: { ...defaultTrustPolicy('p/'), allowInsecureEngines: true } });
  for (const [k, v] of s.objects) allowed.objects.set(k, v);
  await allowed.reconcile();
  assert.ok(allowed.swarm.calls.some((c) => c.startsWith('join consul02')));
});

test("discovery on a ConsulCluster with ACLs and TLS: its own token, HTTPS on 8501 with its CA and the operator's certificate", async () => {
  const kv = new MemoryKv();
  const secrets = { 'secrets/dc/token': 'cluster-token', 'pki/ca.pem': 'CA', 'pki/op.pem': 'CERT', 'pki/op-key.pem': 'KEY' };
  const s = setup({ discovery: { consulCluster: 'datacenter', path: 'swarm', ttl: '20s' } }, { kv, secrets });
  const tls = {
    enabled: true,
    caCertRef: { kvKey: 'pki/ca.pem' },
    agentCertsKvPrefix: 'pki/agents',
    operatorCertRef: { kvKey: 'pki/op.pem' },
  };
  const cluster = (operatorKey: string) => ({
    apiVersion: 'swarmop.io/v1alpha1' as const,
    kind: 'ConsulCluster',
    metadata: { name: 'datacenter' },
    spec: {
      servers: [{ host: 'consulsvr', node: 'consulsvr' }],
      aclTokenRef: { kvKey: 'secrets/dc/token' },
      tls: { ...tls, operatorKeyRef: { kvKey: operatorKey } },
    },
  });
  s.objects.set('ConsulCluster/datacenter', cluster('pki/op-key.pem'));
  await s.reconcile();
  assert.deepEqual(s.kvAddresses.slice(0, 1), ['https://10.0.0.111:8501']);
  assert.deepEqual(s.kvCredentials[0], { token: 'cluster-token', tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } });
  assert.equal((await kv.list('swarm/docker/swarm/nodes/')).pairs.length, 3);

  // The client key missing from the store: nothing is written, and the condition says which key.
  s.objects.set('ConsulCluster/datacenter', cluster('pki/missing.pem'));
  const asked = s.kvAddresses.length;
  const out = await s.reconcile();
  assert.equal(s.kvAddresses.length, asked);
  const discovery = out.conditions.find((c) => /pki\/missing\.pem/.test(c.message));
  assert.ok(discovery, JSON.stringify(out.conditions));
  assert.match(
    discovery.message,
    /ConsulCluster datacenter runs TLS and the operator's client key \(pki\/missing\.pem\) is not in the store/,
  );
});
