import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerHostOutcome } from './dockerhost-reconciler.js';
import { engineFacts, failureReason } from './probe.js';

const facts = engineFacts(
  { Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', KernelVersion: '6.1.0' } as never,
  { Swarm: { LocalNodeState: 'active', NodeID: 'abc', ControlAvailable: true, Cluster: { ID: 'swarm1' } } },
);

test('a reachable engine is Ready with its version, platform and swarm state', () => {
  const out = dockerHostOutcome('tcp://192.168.116.111:2375', { reachable: true, facts }, 5000);
  assert.equal(out.conditions[0]?.status, 'True');
  assert.equal(out.conditions[0]?.reason, 'Reachable');
  assert.equal(out.observed.engineVersion, '20.10.24');
  assert.deepEqual(out.observed.swarm, { state: 'active', nodeID: 'abc', controlAvailable: true });
  assert.equal(out.requeueAfter, undefined);
});

test('an unreachable engine is Ready=False, says why, and is re-checked soon', () => {
  const out = dockerHostOutcome('tcp://192.168.116.112:2375', { reachable: false, error: 'connection refused', reason: 'Unreachable' }, 5000);
  assert.equal(out.conditions[0]?.status, 'False');
  assert.equal(out.conditions[0]?.reason, 'Unreachable');
  assert.match(out.conditions[0]?.message ?? '', /192\.168\.116\.112:2375.*connection refused/);
  assert.equal(out.observed.reachable, false);
  assert.equal(out.requeueAfter, 5000);
});

test('an engine outside swarm mode reports inactive without node ids', () => {
  const f = engineFacts({ Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', KernelVersion: 'k' } as never, { Swarm: { LocalNodeState: '', NodeID: '' } });
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
