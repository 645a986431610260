import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, mergePatch } from './json-patch.js';

test('merge patch: objects merge, null deletes, arrays and scalars replace; the input is untouched', () => {
  const doc = { metadata: { name: 'a', finalizers: ['f'], labels: { x: '1' } }, spec: { list: [1, 2], n: 1 } };
  const out = mergePatch(doc, { metadata: { finalizers: null, labels: { y: '2' } }, spec: { list: [3] } });
  assert.deepEqual(out, { metadata: { name: 'a', labels: { x: '1', y: '2' } }, spec: { list: [3], n: 1 } });
  assert.deepEqual(doc.metadata.finalizers, ['f']);
});

test('json patch: add, remove, replace, move, copy, test', () => {
  const doc = { a: { b: 1 }, list: ['x'] };
  const out = applyJsonPatch(doc, [
    { op: 'add', path: '/list/-', value: 'y' },
    { op: 'add', path: '/list/0', value: 'w' },
    { op: 'replace', path: '/a/b', value: 2 },
    { op: 'copy', from: '/a/b', path: '/c' },
    { op: 'move', from: '/c', path: '/d' },
    { op: 'test', path: '/d', value: 2 },
    { op: 'remove', path: '/list/1' },
    { op: 'add', path: '/a~1b', value: true },
  ]);
  assert.deepEqual(out, { a: { b: 2 }, list: ['w', 'y'], d: 2, 'a/b': true });
  assert.deepEqual(doc, { a: { b: 1 }, list: ['x'] });
});

test('json patch errors name the operation and the path', () => {
  assert.throws(
    () => applyJsonPatch({}, [{ op: 'remove', path: '/metadata/finalizers' }]),
    /operation 0: path "\/metadata\/finalizers" does not exist/,
  );
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 1 }]), /operation 0: path "\/b" does not exist/);
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), /test failed/);
  assert.throws(() => applyJsonPatch({}, [{ op: 'frob', path: '/a' }]), /unknown op "frob"/);
  assert.throws(() => applyJsonPatch({}, { op: 'add' }), /JSON array/);
  assert.throws(() => applyJsonPatch({}, [{ op: 'add', path: 'a', value: 1 }]), /must start with "\/"/);
});
