import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labSettingsFrom, parseEnvFile } from './lab-settings.js';

test('lab settings come from the env file hack/lab.sh writes', () => {
  const env = parseEnvFile(
    [
      'CONSUL_HTTP_ADDR=127.0.0.1:8500',
      'LAB_DOCKER_HOST=unix:///run/swarmop-lab/docker.sock',
      'LAB_SUBNET=10.77.0.0/24',
      'LAB_GATEWAY=10.77.0.1',
      'LAB_HOSTS=h1=tcp://10.77.0.111:2375,h2=tcp://10.77.0.112:2375,h3=tcp://10.77.0.113:2375',
      'LAB_WORKLOADS=web1@h2=10.77.0.21/24,web2@h3=10.77.0.22/24',
      'LAB_MANIFESTS=/x/topology',
      'LAB_DC2_HOST=far=tcp://10.77.0.114:2375',
    ].join('\n'),
  );
  const s = labSettingsFrom(env, '/x');
  assert.deepEqual(s.hosts, [
    { name: 'h1', endpoint: 'tcp://10.77.0.111:2375', address: '10.77.0.111' },
    { name: 'h2', endpoint: 'tcp://10.77.0.112:2375', address: '10.77.0.112' },
    { name: 'h3', endpoint: 'tcp://10.77.0.113:2375', address: '10.77.0.113' },
  ]);
  assert.deepEqual(s.workloads, [
    { name: 'web1', host: 'h2', cidr: '10.77.0.21/24', ip: '10.77.0.21' },
    { name: 'web2', host: 'h3', cidr: '10.77.0.22/24', ip: '10.77.0.22' },
  ]);
  assert.equal(s.netPrefix, '10.77.0');
  assert.equal(s.gateway, '10.77.0.1');
  assert.equal(s.manifestsDir, '/x/topology');
  assert.equal(s.storeAddr, '127.0.0.1:8500');
  assert.deepEqual(s.dc2Host, { name: 'far', endpoint: 'tcp://10.77.0.114:2375', address: '10.77.0.114' });
});

test('without an env file the settings are the lab defaults (the reference topology)', () => {
  const s = labSettingsFrom({}, '/lab');
  assert.deepEqual(
    s.hosts.map((h) => `${h.name}=${h.address}`),
    ['consulsvr=192.168.116.111', 'consul01=192.168.116.112', 'consul02=192.168.116.113'],
  );
  assert.deepEqual(
    s.workloads.map((w) => `${w.name}@${w.host}=${w.cidr}`),
    ['ubuntu114@consul01=192.168.116.114/24', 'ubuntu119@consul02=192.168.116.119/24'],
  );
  assert.equal(s.manifestsDir, '/lab/manifests/topology');
  assert.equal(s.dc2Host, undefined);
});

test('a malformed entry is refused with the file and the entry', () => {
  assert.throws(() => labSettingsFrom({ LAB_HOSTS: 'h1=10.0.0.1' }, '/lab'), /\/lab\/env: LAB_HOSTS entry "h1=10.0.0.1"/);
  assert.throws(() => labSettingsFrom({ LAB_DC2_HOST: 'far' }, '/lab'), /\/lab\/env: LAB_DC2_HOST entry "far"/);
});
