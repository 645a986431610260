import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredView, resourceDiff } from './spec-diff.js';
import type { Resource } from '../../crds/meta.js';

const base: Resource = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name: 'h1', labels: { role: 'manager' } },
  spec: { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1' },
};

test('system metadata and status never count as differences', () => {
  const live: Resource = {
    ...base,
    metadata: { ...base.metadata, uid: 'u', generation: 3, resourceVersion: '99', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { address: '10.0.0.1', endpoint: 'tcp://10.0.0.1:2375' }, // other key order
    status: { observedGeneration: 3 },
  };
  assert.equal(resourceDiff(live, base), '');
});

test('spec and label changes show as a unified diff labelled live vs manifest', () => {
  const desired: Resource = { ...base, metadata: { name: 'h1', labels: { role: 'worker' } } };
  const out = resourceDiff(base, desired);
  assert.match(out, /^--- live\/dockerhost\/h1\n\+\+\+ manifest\/dockerhost\/h1\n/);
  assert.match(out, /^-    role: manager\n\+    role: worker$/m);
});

test('a missing live object diffs as all additions', () => {
  const out = resourceDiff(undefined, base);
  assert.equal(
    out.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).length,
    desiredView(base).trimEnd().split('\n').length,
  );
});
