import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatManifestError, parseManifestBytes, parseManifestText, validateDocuments, validateResource } from '../../src/crds/index.js';
import { listInvalidCorpus } from './invalid-corpus.js';

const cases = listInvalidCorpus();

test('the invalid corpus has at least 30 cases, each with expected lines', () => {
  assert.ok(cases.length >= 30, `only ${cases.length} cases`);
  for (const c of cases) assert.ok(c.expected.length > 0, `${c.name}.expected is empty`);
});

for (const c of cases) {
  test(`invalid manifest ${c.name} is rejected with exactly its expected errors`, () => {
    const bytes = readFileSync(c.path);
    const parsed = parseManifestBytes(bytes, c.relativePath);
    const validated = validateDocuments(parsed.documents);
    const lines = [...parsed.errors, ...validated.errors].map(formatManifestError);
    assert.deepEqual(lines, c.expected);
  });

  test(`invalid manifest ${c.name} gives the same errors when the caller decoded it as UTF-8 text`, () => {
    const parsed = parseManifestText(readFileSync(c.path, 'utf8'), c.relativePath);
    const lines = [...parsed.errors, ...validateDocuments(parsed.documents).errors].map(formatManifestError);
    assert.deepEqual(lines, c.expected);
  });
}

test('validateResource (the store/operator path) reports the same fields as apply for every corpus document', () => {
  let refused = 0;
  for (const c of cases) {
    const parsed = parseManifestText(readFileSync(c.path, 'utf8'), c.relativePath);
    for (const doc of parsed.documents) {
      const fromApply = validateDocuments([doc]).errors.map((e) => `${e.path}: ${e.message}`);
      const fromStore = validateResource(doc.value);
      assert.deepEqual(fromStore.errors.map((e) => `${e.path}: ${e.message}`).sort(), [...fromApply].sort(), c.name);
      if (fromStore.errors.length) {
        assert.equal(fromStore.resource, undefined);
        refused++;
      }
    }
  }
  assert.ok(refused >= 30, `only ${refused} documents were refused`);
});
