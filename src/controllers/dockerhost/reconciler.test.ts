import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDockerHostReconciler, dockerHostOutcome, unreachableRecheckMs, withHelperImage } from './reconciler.js';
import { engineFacts, failureReason } from './observe.js';

const facts = engineFacts({ Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', KernelVersion: '6.1.0' } as never, {
  Swarm: { LocalNodeState: 'active', NodeID: 'abc', ControlAvailable: true, Cluster: { ID: 'swarm1' } },
});

test('a reachable engine is Ready with its version, platform and swarm state', () => {
  const out = dockerHostOutcome('tcp://192.168.116.111:2375', { reachable: true, facts }, 5000);
  assert.equal(out.conditions[0]?.status, 'True');
  assert.equal(out.conditions[0]?.reason, 'Reachable');
  assert.equal(out.observed.engineVersion, '20.10.24');
  assert.deepEqual(out.observed.swarm, { state: 'active', nodeID: 'abc', controlAvailable: true });
  assert.equal(out.requeueAfter, undefined);
});

test('an unreachable engine is Ready=False, says why, and is re-checked soon', () => {
  const out = dockerHostOutcome(
    'tcp://192.168.116.112:2375',
    { reachable: false, error: 'connection refused', reason: 'Unreachable' },
    5000,
  );
  assert.equal(out.conditions[0]?.status, 'False');
  assert.equal(out.conditions[0]?.reason, 'Unreachable');
  assert.match(out.conditions[0]?.message ?? '', /192\.168\.116\.112:2375.*connection refused/);
  assert.equal(out.observed.reachable, false);
  assert.equal(out.requeueAfter, 5000);
});

test('an engine outside swarm mode reports inactive without node ids', () => {
  const f = engineFacts({ Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', KernelVersion: 'k' } as never, {
    Swarm: { LocalNodeState: '', NodeID: '' },
  });
  assert.deepEqual(f.swarm, { state: 'inactive', controlAvailable: false });
});

test('status rebuilt from the same probe is identical (no status churn)', () => {
  const a = dockerHostOutcome('tcp://h:2375', { reachable: true, facts }, 5000);
  const b = dockerHostOutcome('tcp://h:2375', { reachable: true, facts }, 5000);
  assert.deepEqual(a, b);
});

test('probe errors map to reasons: TLS refused, TLS required, otherwise unreachable', () => {
  assert.equal(failureReason('TLS handshake failed: sslv3 alert bad certificate'), 'TLSHandshakeFailed');
  assert.equal(failureReason('(HTTP code 400) unexpected - Client sent an HTTP request to an HTTPS server.'), 'TLSRequired');
  assert.equal(failureReason('connection refused by 192.168.116.112:2375'), 'Unreachable');
});

test('a reachable host reports its helper image: Imported with the time it took, Present when it was there', () => {
  const out = dockerHostOutcome('tcp://h:2375', { reachable: true, facts }, 5000);
  const imported = withHelperImage(out, { image: 'swarmop/nethelper:1.0.0', state: 'Imported', id: 'sha256:ab', provisionMs: 812 }, 5000);
  assert.deepEqual(
    imported.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'True', 'Reachable'],
      ['HelperImageReady', 'True', 'Imported'],
    ],
  );
  assert.equal(imported.conditions[1]?.message, 'swarmop/nethelper:1.0.0 imported by the operator in 812 ms');
  assert.deepEqual(imported.observed.helperImage, {
    image: 'swarmop/nethelper:1.0.0',
    state: 'Imported',
    id: 'sha256:ab',
    provisionMs: 812,
  });
  assert.equal(imported.requeueAfter, undefined);
  const present = withHelperImage(out, { image: 'swarmop/nethelper:1.0.0', state: 'Present', id: 'sha256:ab' }, 5000);
  assert.equal(present.conditions[1]?.message, 'swarmop/nethelper:1.0.0 is on the host');
});

test('a helper image that could not be provisioned leaves Ready alone, says why and is retried', () => {
  const out = dockerHostOutcome('tcp://h:2375', { reachable: true, facts }, 2000);
  const failed = withHelperImage(
    out,
    { image: 'team/helper:1', state: 'Failed', reason: 'PullFailed', message: 'pull of team/helper:1 failed: no such host' },
    2000,
  );
  assert.deepEqual(
    failed.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['Ready', 'True', 'Reachable', out.conditions[0]!.message],
      ['HelperImageReady', 'False', 'PullFailed', 'pull of team/helper:1 failed: no such host'],
    ],
  );
  assert.equal(failed.requeueAfter, 10_000);
});

test('an unreachable host is re-checked at the base interval at first, then less often the longer it stays down (jittered, capped)', () => {
  const since = (s: number) => ({
    conditions: [
      {
        type: 'Ready',
        status: 'False' as const,
        reason: 'Unreachable',
        message: '',
        lastTransitionTime: new Date(Date.parse('2024-01-01T00:00:00Z') - s * 1000).toISOString(),
      },
    ],
  });
  const now = new Date('2024-01-01T00:00:00Z');
  const mid = () => 0.5; // no jitter
  assert.equal(unreachableRecheckMs(undefined, now, 2000, 60_000, mid), 2000, 'never checked before');
  assert.equal(unreachableRecheckMs(since(4), now, 2000, 60_000, mid), 2000);
  assert.equal(unreachableRecheckMs(since(40), now, 2000, 60_000, mid), 10_000, 'a quarter of the time it has been down');
  assert.equal(unreachableRecheckMs(since(3600), now, 2000, 60_000, mid), 60_000);
  const ready = {
    conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Reachable', message: '', lastTransitionTime: '2023-01-01T00:00:00Z' }],
  };
  assert.equal(unreachableRecheckMs(ready, now, 2000, 60_000, mid), 2000, 'it was up until this probe');
  assert.equal(
    unreachableRecheckMs(since(3600), now, 2000, 60_000, () => 0),
    48_000,
    'jitter: -20 %',
  );
  assert.equal(
    unreachableRecheckMs(since(3600), now, 2000, 60_000, () => 1),
    72_000,
    'jitter: +20 %',
  );
});

test("a tcp endpoint on Docker's TLS port 2376 without a tls block is reported as InsecureTlsPort, reachable or not, and still probed", async () => {
  const engine = {
    version: async () => ({ Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', KernelVersion: 'k' }),
    info: async () => ({ Swarm: {} }),
  };
  const reconciler = createDockerHostReconciler();
  const run = (spec: Record<string, unknown>, handle: boolean) =>
    reconciler.reconcile(
      { apiVersion: 'swarmop.io/v1alpha1', kind: 'DockerHost', metadata: { name: 'h1' }, spec } as never,
      {
        hosts: { get: () => (handle ? { name: 'h1', address: '10.0.0.1', docker: engine, ready: true } : undefined), list: () => [] },
        now: () => new Date(0),
      } as never,
    );
  const plain = await run({ endpoint: 'tcp://10.0.0.1:2376', address: '10.0.0.1' }, true);
  assert.deepEqual(
    plain.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'True', 'Reachable'],
      ['TransportSecure', 'False', 'InsecureTlsPort'],
    ],
  );
  assert.match(
    plain.conditions[1]!.message,
    /tcp:\/\/10\.0\.0\.1:2376 is Docker's TLS port but spec\.tls is not set: calls go over plain HTTP/,
  );
  const unreachable = await run({ endpoint: 'tcp://10.0.0.1:2376', address: '10.0.0.1' }, false);
  assert.deepEqual(
    unreachable.conditions.map((c) => c.reason),
    ['ClientUnavailable', 'InsecureTlsPort'],
  );
  for (const spec of [
    { endpoint: 'tcp://10.0.0.1:2376', address: '10.0.0.1', tls: { caFile: '/ca.pem' } },
    { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1' },
    { endpoint: 'unix:///var/run/docker.sock', address: '10.0.0.1' },
  ]) {
    const out = await run(spec, true);
    assert.deepEqual(
      out.conditions.map((c) => c.type),
      ['Ready'],
      spec.endpoint,
    );
  }
});
