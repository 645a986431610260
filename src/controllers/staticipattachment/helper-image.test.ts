import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultHelperImage, engineMessage, splitTag } from './helper-image.js';
import { packageInfo } from '../../package-info.js';

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
  assert.equal(engineMessage({ statusCode: 404, json: { message: 'pull access denied for x' }, message: '(HTTP code 404) unexpected - pull access denied for x' }), 'pull access denied for x');
  assert.equal(engineMessage(new Error('(HTTP code 500) server error - dial tcp: lookup registry-1.docker.io: no such host')), 'dial tcp: lookup registry-1.docker.io: no such host');
  assert.equal(engineMessage(new Error('connect ECONNREFUSED 10.0.0.1:2375')), 'connect ECONNREFUSED 10.0.0.1:2375');
});
