import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSwarmopError } from '../errors.js';
import { engineNetnsDir, helperNetnsPath, isHelperNetnsPath } from './netns-file.js';

const DIR = '/var/run/docker/netns';

test("the engine's netns folder comes from a --net host container's key, <folder>/default, wherever the exec root is", () => {
  assert.equal(engineNetnsDir('/var/run/docker/netns/default'), DIR);
  assert.equal(engineNetnsDir('/run/swarmop-x/x/netns/default'), '/run/swarmop-x/x/netns');
  for (const bad of [
    '/var/run/docker/netns/0123456789ab',
    '/proc/1/ns/net',
    'var/run/docker/netns/default',
    '/var/run/docker/../netns/default',
    '',
    undefined,
    42,
  ]) {
    assert.throws(
      () => engineNetnsDir(bad),
      (e: unknown) => isSwarmopError(e, 'Invalid'),
      String(bad),
    );
  }
});

test("a container's key must be a sandbox's file right in the engine's folder: the helper's path, or Invalid", () => {
  assert.equal(helperNetnsPath(`${DIR}/94ec47c7c0f2`, DIR), '/run/swarmop/netns/94ec47c7c0f2');
  const refused = [
    `${DIR}/default`, // the host's own namespace
    '/proc/1/ns/net',
    `${DIR}/../../../proc/1/ns/net`,
    `${DIR}/./94ec47c7c0f2`,
    `${DIR}//94ec47c7c0f2`,
    '/other/netns/94ec47c7c0f2', // another folder named netns
    `${DIR}/94ec47c7c0f2/x`,
    `${DIR}/94EC47C7C0F2`,
    `${DIR}/94ec47c7c0f2 `,
    `${DIR}/short`,
    'netns/94ec47c7c0f2',
    '',
    null,
  ];
  for (const key of refused)
    assert.throws(
      () => helperNetnsPath(key, DIR),
      (e: unknown) => isSwarmopError(e, 'Invalid'),
      String(key),
    );
});

test('only paths under the helper folder pass where argv is built', () => {
  assert.ok(isHelperNetnsPath('/run/swarmop/netns/94ec47c7c0f2'));
  for (const p of ['/run/swarmop/netns/default', '/run/swarmop/netns/../x', '/proc/1/ns/net', '4242']) assert.ok(!isHelperNetnsPath(p), p);
});
