import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileJsonPath, evalPath, parseFieldSpec } from './jsonpath.js';

const list = {
  kind: 'List',
  items: [
    {
      metadata: { name: 'a', labels: { role: 'server' } },
      spec: { port: 8500, tags: ['x', 'y'] },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    },
    {
      metadata: { name: 'b', labels: { role: 'client' } },
      spec: { port: 8600, tags: [] },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    },
  ],
};

test('paths, wildcards, indexes, slices and recursive descent', () => {
  assert.equal(compileJsonPath('{.kind}')(list), 'List');
  assert.equal(compileJsonPath('{.items[*].metadata.name}')(list), 'a b');
  assert.equal(compileJsonPath('{.items[0].spec.tags}')(list), '["x","y"]');
  assert.equal(compileJsonPath('{.items[-1].metadata.name}')(list), 'b');
  assert.equal(compileJsonPath('{.items[0:1].metadata.name}')(list), 'a');
  assert.equal(compileJsonPath('{..name}')(list), 'a b');
  assert.equal(compileJsonPath("{.items[0].metadata.labels['role']}")(list), 'server');
});

test('filters compare strings and numbers', () => {
  assert.equal(compileJsonPath('{.items[?(@.spec.port>8500)].metadata.name}')(list), 'b');
  assert.equal(compileJsonPath('{.items[?(@.metadata.labels.role=="server")].metadata.name}')(list), 'a');
  assert.equal(compileJsonPath('{.items[0].status.conditions[?(@.type=="Ready")].status}')(list), 'True');
  assert.equal(compileJsonPath('{.items[?(@.spec.tags[0])].metadata.name}')(list), 'a');
});

test('range, literals and text between actions', () => {
  assert.equal(compileJsonPath('{range .items[*]}{.metadata.name}:{.spec.port}{"\\n"}{end}')(list), 'a:8500\nb:8600\n');
  assert.equal(compileJsonPath('names: {.items[*].metadata.name}')(list), 'names: a b');
});

test('a path that finds nothing is an error; bad templates are refused with the template', () => {
  assert.throws(() => compileJsonPath('{.nope}')(list), /jsonpath \.nope: not found/);
  assert.throws(() => compileJsonPath('{.items[*]'), /invalid jsonpath "\{\.items\[\*\]": unclosed \{/);
  assert.throws(() => compileJsonPath('{range .items[*]}{.a}'), /\{range\} without \{end\}/);
  assert.throws(() => compileJsonPath('{end}'), /\{end\} without \{range\}/);
  assert.throws(() => parseFieldSpec('metadata.name'), /must start with "\."/);
  assert.deepEqual(evalPath(list, parseFieldSpec('{.items[1].metadata.name}')), ['b']);
});
