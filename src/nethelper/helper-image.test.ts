import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultHelperImage, engineMessage, helperImagePinWarning, splitTag } from './helper-image.js';
import { packageInfo } from '../package-info.js';

test('the default helper image is tagged with the package version (an upgrade brings its own)', () => {
  assert.equal(defaultHelperImage(), `swarmop/nethelper:${packageInfo().version}`);
  assert.equal(defaultHelperImage('1.2.3'), 'swarmop/nethelper:1.2.3');
});

test('image references split into repository and tag; a registry port is not a tag', () => {
  assert.deepEqual(splitTag('swarmop/nethelper:0.1.0'), ['swarmop/nethelper', '0.1.0']);
  assert.deepEqual(splitTag('registry.example:5000/team/helper'), ['registry.example:5000/team/helper', 'latest']);
  assert.deepEqual(splitTag('registry.example:5000/team/helper:v2'), ['registry.example:5000/team/helper', 'v2']);
  assert.deepEqual(splitTag('alpine'), ['alpine', 'latest']);
});

test("the engine's message is kept, without dockerode's HTTP prefix", () => {
  assert.equal(
    engineMessage({
      statusCode: 404,
      json: { message: 'pull access denied for x' },
      message: '(HTTP code 404) unexpected - pull access denied for x',
    }),
    'pull access denied for x',
  );
  assert.equal(
    engineMessage(new Error('(HTTP code 500) server error - dial tcp: lookup registry-1.docker.io: no such host')),
    'dial tcp: lookup registry-1.docker.io: no such host',
  );
  assert.equal(engineMessage(new Error('connect ECONNREFUSED 10.0.0.1:2375')), 'connect ECONNREFUSED 10.0.0.1:2375');
});

test('a --helper-image pinned by digest is looked up and pulled by that digest (the engine API sees the digest, not a tag)', async () => {
  const { createServer } = await import('node:http');
  const { HelperImageProvisioner } = await import('./helper-image.js');
  const { newDockerClient } = await import('../docker/docker-client.js');
  const digest = `sha256:${'ab'.repeat(32)}`;
  const ref = `registry.example:5000/team/nethelper@${digest}`;
  const seen: string[] = [];
  let pulled = false;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
    if (req.method === 'GET' && req.url?.startsWith('/images/')) {
      if (!pulled) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such image"}');
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Id: 'sha256:beef', RepoDigests: [ref] }));
    }
    pulled = true;
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"status":"Digest: ${digest}"}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as import('node:net').AddressInfo;
    const docker = newDockerClient({ host: '127.0.0.1', port, protocol: 'http' });
    const status = await new HelperImageProvisioner({ image: ref }).ensure({ name: 'h1', docker });
    assert.deepEqual([status.state, status.id], ['Pulled', 'sha256:beef']);
    assert.equal(seen[0], `GET /images/${ref}/json`);
    assert.equal(seen[1], `POST /images/create?fromImage=registry.example:5000/team/nethelper&tag=${digest}`);
  } finally {
    server.close();
  }
});

test('a --helper-image given by tag alone draws a warning naming the digest form; a digest or the default does not', () => {
  assert.match(
    helperImagePinWarning('team/nethelper:2') ?? '',
    /^--helper-image team\/nethelper:2 is a tag: whatever the registry serves under it runs with the helper's privileges on every host; pin it as team\/nethelper:2@sha256:/,
  );
  assert.equal(helperImagePinWarning(`team/nethelper@sha256:${'0'.repeat(64)}`), undefined);
  assert.equal(helperImagePinWarning(undefined), undefined);
});
