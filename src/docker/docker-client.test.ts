import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerOptionsFor, parseEndpoint, DockerClients, DOCKER_API_TIMEOUT_MS, streamDockerOptionsFor } from './docker-client.js';
import { isSwarmopError } from '../errors.js';

test('a tcp endpoint becomes plain http options', () => {
  const o = dockerOptionsFor({ endpoint: 'tcp://192.168.116.111:2375' });
  assert.equal(o.host, '192.168.116.111');
  assert.equal(o.port, 2375);
  assert.equal(o.protocol, 'http');
});

test('a unix endpoint becomes a socket path', () => {
  assert.equal(dockerOptionsFor({ endpoint: 'unix:///run/swarmop-lab/docker.sock' }).socketPath, '/run/swarmop-lab/docker.sock');
});

test('tls files are read and switch the protocol to https', () => {
  const read = (p: string) => Buffer.from(`content of ${p}`);
  const o = dockerOptionsFor({ endpoint: 'tcp://h:2376', tls: { caFile: '/ca', certFile: '/cert', keyFile: '/key' } }, read);
  assert.equal(o.protocol, 'https');
  assert.equal(String(o.ca), 'content of /ca');
  assert.equal(String(o.cert), 'content of /cert');
  assert.equal(String(o.key), 'content of /key');
});

test('an unreadable tls file is an Invalid error naming the file', () => {
  const read = () => {
    throw new Error('ENOENT');
  };
  assert.throws(
    () => dockerOptionsFor({ endpoint: 'tcp://h:2376', tls: { caFile: '/missing/ca.pem' } }, read),
    (e: unknown) => isSwarmopError(e, 'Invalid') && e.message.includes('/missing/ca.pem'),
  );
});

test('malformed endpoints are refused', () => {
  for (const bad of ['http://h:2375', 'tcp://h', 'tcp://h:99999', 'unix://relative.sock', 'tcp://h:2375/x']) {
    assert.throws(() => parseEndpoint(bad), (e: unknown) => isSwarmopError(e, 'Invalid'), bad);
  }
});

test('clients are reused per host until the endpoint changes', () => {
  let made = 0;
  const clients = new DockerClients({ create: () => ({ id: ++made }) as never });
  const a = clients.get('consul01', { endpoint: 'tcp://a:2375' });
  assert.equal(clients.get('consul01', { endpoint: 'tcp://a:2375' }), a);
  assert.notEqual(clients.get('consul01', { endpoint: 'tcp://b:2375' }), a);
  assert.equal(made, 2);
});

test('API clients time requests out; stream clients have no request timeout on any endpoint kind', () => {
  assert.equal(dockerOptionsFor({ endpoint: 'tcp://h:2375' }).timeout, DOCKER_API_TIMEOUT_MS);
  for (const endpoint of ['tcp://h:2375', 'unix:///run/x/docker.sock']) {
    const o = streamDockerOptionsFor({ endpoint });
    assert.equal('timeout' in o, false, endpoint);
  }
});
