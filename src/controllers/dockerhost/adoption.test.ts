import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DockerHost } from '../../crds/index.js';
import type { HostHandle } from '../kind-reconciler.js';
import { HelperImageProvisioner } from '../../nethelper/helper-image.js';
import { readOnlyEngine, type FakeEngineWorld } from '../../../testing/fakes/read-only-engine.js';
import { assessDockerHostAdoption } from './adoption.js';

const host: DockerHost = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name: 'consul01' },
  spec: { endpoint: 'unix:///run/fake/docker.sock', address: '192.168.116.112' },
} as DockerHost;

async function assess(world: FakeEngineWorld, image = 'acme/nethelper:1') {
  const engine = readOnlyEngine(world);
  const handle: HostHandle = { name: 'consul01', address: '192.168.116.112', docker: engine.docker, ready: false };
  const out = await assessDockerHostAdoption(host, {
    hosts: { get: () => handle, list: () => [handle] },
    helperImages: new HelperImageProvisioner({ image }),
  });
  return { ...out, engine };
}

test('a reachable engine holding the helper image is adopt-as-is, with what the probe found', async () => {
  const { finding, reachable, engine } = await assess({ images: { 'acme/nethelper:1': { Id: 'sha256:1' } } });
  assert.equal(reachable, true);
  assert.equal(finding.verdict, 'adopt-as-is');
  assert.match(
    finding.found[0]!,
    /^Docker Engine 27\.5\.1 \(linux\/amd64\) answers at unix:\/\/\/run\/fake\/docker\.sock; swarm inactive$/,
  );
  assert.deepEqual(engine.writes, []);
});

test("a reachable engine without the helper image is would-change: the operator's provisioner would put it there", async () => {
  const { finding, engine } = await assess({});
  assert.equal(finding.verdict, 'would-change');
  assert.deepEqual(finding.steps, ['pull the network helper image acme/nethelper:1 (the operator provisions it on every reachable host)']);
  assert.deepEqual(engine.writes, []);
});

test('an engine that does not answer is unreachable with the reason its controller sets', async () => {
  const { finding, reachable, engine } = await assess({ reachable: false });
  assert.equal(reachable, false);
  assert.deepEqual([finding.verdict, finding.reason], ['unreachable', 'Unreachable']);
  assert.match(finding.message ?? '', /does not answer: connection refused/);
  assert.deepEqual(engine.writes, []);
});
