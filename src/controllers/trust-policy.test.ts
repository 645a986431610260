import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DockerHost } from '../crds/index.js';
import {
  bindAddressProblem,
  dataDirProblem,
  defaultTrustPolicy,
  engineTransport,
  imageProblem,
  imageRepository,
  insecureEngineProblem,
  secretKeyProblem,
} from './trust-policy.js';

const dh = (endpoint: string, tls = false): DockerHost => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name: 'h1' },
  spec: { endpoint, address: '10.0.0.11', ...(tls ? { tls: { caFile: '/ca', certFile: '/c', keyFile: '/k' } } : {}) },
});

test('dataDir: the root and what is below it; never /, /etc, a sibling with the same start, or a .. escape', () => {
  const root = '/var/lib/swarmop';
  for (const ok of ['/var/lib/swarmop', '/var/lib/swarmop/consul/dc', '/var/lib/swarmop/'])
    assert.equal(dataDirProblem(ok, root), undefined, ok);
  for (const bad of ['/', '/etc', '/var/lib/swarmop-evil', '/var/lib/swarmop/../../etc', '/var/lib'])
    assert.match(dataDirProblem(bad, root) ?? '', /outside|\.\./, bad);
});

test('images: allowed registries and repositories as Docker names them, or pinned by digest; no list allows all', () => {
  assert.equal(imageRepository('consul:1.8.7'), 'docker.io/library/consul');
  assert.equal(imageRepository('hashicorp/consul:1.8.7'), 'docker.io/hashicorp/consul');
  assert.equal(
    imageRepository('registry.example.com:5000/team/consul:1@sha256:' + 'a'.repeat(64)),
    'registry.example.com:5000/team/consul',
  );
  const allowed = ['hashicorp/consul', 'registry.example.com'];
  assert.equal(imageProblem('hashicorp/consul:1.8.7', allowed), undefined);
  assert.equal(imageProblem('docker.io/hashicorp/consul:1.8.7', allowed), undefined);
  assert.equal(imageProblem('registry.example.com/any/thing:1', allowed), undefined);
  assert.equal(imageProblem(`evil/consul@sha256:${'b'.repeat(64)}`, allowed), undefined);
  assert.match(imageProblem('evil/consul:1.8.7', allowed) ?? '', /not from an allowed registry/);
  assert.match(imageProblem('hashicorp/consul-evil:1', allowed) ?? '', /not from an allowed registry/);
  assert.match(imageProblem('registry.example.com.evil.io/x:1', allowed) ?? '', /not from an allowed registry/);
  assert.equal(imageProblem('evil/consul:1', undefined), undefined);
});

test('secret keys only under the secrets prefix; the default is <store prefix>secrets/', () => {
  const p = defaultTrustPolicy('swarmop/').secretsPrefix;
  assert.equal(p, 'swarmop/secrets/');
  assert.equal(secretKeyProblem('swarmop/secrets/dc/acl', p), undefined);
  assert.match(secretKeyProblem('swarmop/objects/dockerhosts/h1', p) ?? '', /outside the secrets prefix/);
  assert.match(secretKeyProblem('swarmop/secrets/../leader', p) ?? '', /outside the secrets prefix/);
});

test('engines: TLS and local unix sockets get secrets; plain tcp only with --allow-insecure-engines', () => {
  assert.equal(engineTransport(dh('unix:///var/run/docker.sock')), 'local');
  assert.equal(engineTransport(dh('tcp://10.0.0.11:2376', true)), 'tls');
  assert.equal(engineTransport(dh('tcp://10.0.0.11:2375')), 'plain');
  const strict = defaultTrustPolicy('p/');
  assert.match(insecureEngineProblem(dh('tcp://10.0.0.11:2375'), 'join tokens', strict) ?? '', /plain tcp .*--allow-insecure-engines/);
  assert.equal(insecureEngineProblem(dh('tcp://10.0.0.11:2376', true), 'join tokens', strict), undefined);
  assert.equal(insecureEngineProblem(dh('unix:///var/run/docker.sock'), 'join tokens', strict), undefined);
  assert.equal(insecureEngineProblem(dh('tcp://10.0.0.11:2375'), 'join tokens', { ...strict, allowInsecureEngines: true }), undefined);
});

test("bind addresses: only one the DockerHost declares (its address or its endpoint's)", () => {
  assert.equal(bindAddressProblem('10.0.0.11', dh('tcp://192.168.1.5:2375')), undefined);
  assert.equal(bindAddressProblem('192.168.1.5', dh('tcp://192.168.1.5:2375')), undefined);
  assert.match(bindAddressProblem('203.0.113.9', dh('tcp://192.168.1.5:2375')) ?? '', /not an address of DockerHost h1/);
});
