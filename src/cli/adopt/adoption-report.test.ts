import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DockerHost, Resource } from '../../crds/index.js';
import { buildAdoptionReport, readOnlyDockerFor } from './adoption-report.js';
import { readOnlyEngine, type FakeEngine } from '../../../testing/fakes/read-only-engine.js';
import { HelperImageProvisioner } from '../../nethelper/helper-image.js';
import { ReadOnlyNetHelper } from '../../nethelper/read-only-helper.js';

const doc = (kind: string, name: string, spec: Record<string, unknown>): Resource =>
  ({ apiVersion: 'swarmop.io/v1alpha1', kind, metadata: { name }, spec }) as Resource;

test('the default client of a DockerHost refuses a changing call before it leaves the process', async () => {
  const docker = readOnlyDockerFor(
    doc('DockerHost', 'h1', { endpoint: 'unix:///run/swarmop-adopt-test-none/docker.sock', address: '10.1.0.2' }) as unknown as DockerHost,
  );
  await assert.rejects(docker.createContainer({ Image: 'busybox' }), /read-only: refused docker POST \/containers\/create/);
  await assert.rejects(docker.getImage('x').remove(), /read-only: refused docker DELETE \/images\/x/);
});

test('one line per object in manifest order; hosts come from the DockerHost documents; nothing is written to any engine', async () => {
  const engines = new Map<string, FakeEngine>();
  const resources = [
    doc('StaticIPAttachment', 'web1', { host: 'h1', container: 'web1', bridge: 'br0', interface: 'eth1', address: '10.1.0.14/24' }),
    doc('DockerHost', 'h1', { endpoint: 'unix:///run/h1.sock', address: '10.1.0.2' }),
    doc('DockerHost', 'h2', { endpoint: 'unix:///run/h2.sock', address: '10.1.0.3' }),
    doc('ConsulCluster', 'dc', { datacenter: 'dc', image: 'hashicorp/consul:1.8.7', servers: [{ host: 'h1', node: 'h1' }] }),
  ];
  const findings = await buildAdoptionReport({
    resources,
    dockerFor: (h) => {
      const e = readOnlyEngine({ reachable: h.metadata.name === 'h1', containers: {}, images: { 'acme/helper:1': { Id: 'sha256:1' } } });
      engines.set(h.metadata.name, e);
      return e.docker;
    },
    helperImages: new HelperImageProvisioner({ image: 'acme/helper:1' }),
    helper: new ReadOnlyNetHelper({ image: 'acme/helper:1', exec: () => assert.fail('no helper runs on h1') }),
  });
  assert.deepEqual(
    findings.map((f) => [f.kind, f.name, f.verdict, f.reason ?? '']),
    [
      ['StaticIPAttachment', 'web1', 'blocked', 'ContainerNotFound'],
      ['DockerHost', 'h1', 'adopt-as-is', ''],
      ['DockerHost', 'h2', 'unreachable', 'Unreachable'],
      ['ConsulCluster', 'dc', 'not-reported', ''],
    ],
  );
  for (const e of engines.values()) assert.deepEqual(e.writes, []);
});
