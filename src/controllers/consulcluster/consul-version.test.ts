import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dialectFor, imageVersion } from './consul-version.js';

test('the version is read from the tag, not from a registry port or a digest', () => {
  assert.deepEqual(imageVersion('hashicorp/consul:1.8.7'), { major: 1, minor: 8, patch: 7 });
  assert.deepEqual(imageVersion('registry.example:5000/team/consul:1.19.2-ent@sha256:abc'), { major: 1, minor: 19, patch: 2 });
  assert.deepEqual(imageVersion('consul:v1.12'), { major: 1, minor: 12, patch: 0 });
  assert.equal(imageVersion('registry.example:5000/consul'), undefined);
  assert.equal(imageVersion('hashicorp/consul:latest'), undefined);
});

test('1.8 to 1.11 get the 1.8 names, 1.12 and later the current ones; outside 1.8..1.x is unsupported', () => {
  assert.deepEqual(dialectFor('hashicorp/consul:1.8.7'), { dialect: 'legacy', version: { major: 1, minor: 8, patch: 7 } });
  assert.deepEqual(dialectFor('hashicorp/consul:1.11.4'), { dialect: 'legacy', version: { major: 1, minor: 11, patch: 4 } });
  assert.deepEqual(dialectFor('hashicorp/consul:1.12.0'), { dialect: 'current', version: { major: 1, minor: 12, patch: 0 } });
  assert.deepEqual(dialectFor('hashicorp/consul:1.21.1'), { dialect: 'current', version: { major: 1, minor: 21, patch: 1 } });
  assert.deepEqual(dialectFor('my-consul:latest'), { dialect: 'legacy' });
  assert.deepEqual(dialectFor('consul:1.7.14'), {
    unsupported:
      'image consul:1.7.14 runs Consul 1.7.14; supported: 1.8.0 to 1.x (1.8.0–1.11.x: the 1.8 names; 1.12.0 and later: the current names)',
  });
  assert.ok('unsupported' in dialectFor('consul:2.0.0'));
});
