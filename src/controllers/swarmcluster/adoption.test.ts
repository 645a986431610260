import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import type { DockerHost, KindName, SwarmCluster } from '../../crds/index.js';
import type { HostHandle, KindTypes, ObjectCache } from '../kind-reconciler.js';
import { defaultTrustPolicy } from '../trust-policy.js';
import { FakeSwarm } from '../../../testing/fakes/fake-swarm.js';
import { assessSwarmAdoption, readOnlySwarmApi } from './adoption.js';

const ADDR: Record<string, string> = { consulsvr: '10.0.0.111', consul01: '10.0.0.112', consul02: '10.0.0.113' };
const LOCAL = { ...defaultTrustPolicy('swarmop/') };

function dockerHost(name: string, endpoint: string): DockerHost {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name },
    spec: { endpoint, address: ADDR[name]! },
  } as DockerHost;
}

function cluster(spec: Record<string, unknown> = {}): SwarmCluster {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'SwarmCluster',
    metadata: { name: 'swarm' },
    spec: { managers: ['consulsvr'], workers: ['consul01', 'consul02'], availability: 'active', prune: false, ...spec },
  } as SwarmCluster;
}

/** Three engines reached over local sockets, and a swarm built on them by hand (as `docker swarm init/join` would). */
async function handBuilt(options: { swarm?: boolean; down?: string; endpoint?: string } = {}) {
  const swarm = new FakeSwarm();
  for (const [h, a] of Object.entries(ADDR)) swarm.addHost(h, a);
  if (options.swarm !== false) {
    await swarm.api('consulsvr').init({ advertiseAddr: ADDR['consulsvr']!, listenAddr: '0.0.0.0:2377', forceNewCluster: false });
    for (const w of ['consul01', 'consul02'])
      await swarm.api(w).join({
        remoteAddrs: [`${ADDR['consulsvr']}:2377`],
        joinToken: swarm.tokens.worker,
        advertiseAddr: ADDR[w]!,
        listenAddr: '0.0.0.0:2377',
      });
  }
  const handBuiltCalls = swarm.calls.length;
  const handles = new Map<string, HostHandle>(
    Object.entries(ADDR).map(([name, address]) => [name, { name, address, docker: {} as Docker, ready: name !== options.down }]),
  );
  const hosts = Object.keys(ADDR).map((h) => dockerHost(h, options.endpoint ?? `unix:///run/${h}/docker.sock`));
  const ofKind = <K extends KindName>(k: K) => hosts.filter((o) => o.kind === k) as unknown as KindTypes[K][];
  const cache: ObjectCache = {
    get: <K extends KindName>(k: K, n: string) => ofKind(k).find((o) => o.metadata.name === n),
    list: ofKind,
    byIndex: () => [],
  };
  const ctx = {
    hosts: { get: (n: string) => handles.get(n), list: () => [...handles.values()] },
    cache,
    policy: LOCAL,
    apiFor: (h: HostHandle) => swarm.api(h.name),
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
  /** Calls made after the swarm was built: the report must make none. */
  const newCalls = () => swarm.calls.slice(handBuiltCalls);
  return { swarm, ctx, newCalls };
}

test('a swarm built by hand exactly as listed is adopt-as-is (workers in any order); no engine is changed', async () => {
  const s = await handBuilt();
  for (const spec of [{}, { managers: ['consulsvr'], workers: ['consul02', 'consul01'] }]) {
    const f = await assessSwarmAdoption(cluster(spec), s.ctx);
    assert.equal(f.verdict, 'adopt-as-is', JSON.stringify(f));
    assert.match(f.found[0]!, /^3 nodes ready \(1 manager, 2 workers\)$/);
  }
  assert.deepEqual(s.newCalls(), []);
});

test('a role that differs from the list is would-change, with the call the controller would make', async () => {
  const s = await handBuilt();
  const f = await assessSwarmAdoption(cluster({ managers: ['consulsvr', 'consul01'], workers: ['consul02'] }), s.ctx);
  assert.equal(f.verdict, 'would-change', JSON.stringify(f));
  assert.ok(
    f.steps.some((x) => /^consul01: set node \S+ role manager \(/.test(x)),
    f.steps.join('\n'),
  );
  assert.deepEqual(s.newCalls(), []);
});

test('no swarm yet: would-change, an init on the first manager and the joins after it', async () => {
  const s = await handBuilt({ swarm: false });
  const f = await assessSwarmAdoption(cluster(), s.ctx);
  assert.equal(f.verdict, 'would-change');
  assert.match(f.steps[0]!, /^consulsvr: docker swarm init --advertise-addr 10\.0\.0\.111 on consulsvr /);
  assert.match(f.steps.at(-1)!, /^then join the other listed nodes/);
  assert.deepEqual(s.newCalls(), []);
});

test("engines on plain tcp are blocked NotAllowed under the operator's default policy, as its reconciler refuses them", async () => {
  const s = await handBuilt({ endpoint: 'tcp://10.0.0.1:2375' });
  const f = await assessSwarmAdoption(cluster(), s.ctx);
  assert.deepEqual([f.verdict, f.reason], ['blocked', 'NotAllowed']);
  assert.match(f.message ?? '', /--allow-insecure-engines/);
  const allowed = await assessSwarmAdoption(cluster(), { ...s.ctx, policy: { ...LOCAL, allowInsecureEngines: true } });
  assert.equal(allowed.verdict, 'adopt-as-is');
  assert.deepEqual(s.newCalls(), []);
});

test('a listed engine that does not answer makes the line unreachable', async () => {
  const s = await handBuilt({ down: 'consul02' });
  const f = await assessSwarmAdoption(cluster(), s.ctx);
  assert.deepEqual([f.verdict, f.reason], ['unreachable', 'HostUnreachable']);
  assert.deepEqual(s.newCalls(), []);
});

test('the read-only swarm API refuses every changing call before it reaches the engine', async () => {
  const s = await handBuilt();
  const api = readOnlySwarmApi(s.swarm.api('consulsvr'), 'consulsvr');
  assert.equal((await api.info()).swarm.localNodeState, 'active');
  const node = (await api.listNodes())[0]!;
  await assert.rejects(api.init({ advertiseAddr: 'x', listenAddr: 'y', forceNewCluster: true }), /read-only: refused swarm init/);
  await assert.rejects(api.join({ remoteAddrs: [], joinToken: 't', advertiseAddr: 'x', listenAddr: 'y' }), /refused swarm join/);
  await assert.rejects(api.leave(true), /refused swarm leave/);
  await assert.rejects(api.updateNode(node, { role: 'worker' }), /refused swarm node update/);
  await assert.rejects(api.removeNode(node.id, true), /refused swarm node rm/);
  assert.deepEqual(s.newCalls(), []);
});
