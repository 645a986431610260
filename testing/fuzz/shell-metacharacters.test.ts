/**
 * Security: every value that reaches `ip`, `docker`, `consul` arguments or a container/host name is
 * validated by schema, so names carrying shell metacharacters are refused before anything is
 * written, each with one positioned line (`file:line:col: field.path: reason`) that quotes the value
 * escaped (a newline in a name cannot forge a second output line).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { captureIo } from '../util/capture-io.js';
import type { OpenStore } from '../../src/cli/program/cli-context.js';
import { main } from '../../src/cli/main.js';
import { formatFieldPath, formatManifestError, parseManifestText, validateDocuments } from '../../src/crds/index.js';
import { MemoryKv } from '../fakes/memory-kv.js';
import { ResourceStore } from '../../src/store/resource-store.js';
import { getAt, isRecord, setAt } from './json-paths.js';
import { loadSampleDocuments } from './manifest-fuzzer.js';
import { NAME_FIELDS, SHELL_PAYLOADS } from './name-fields.js';

const samples = loadSampleDocuments(fileURLToPath(new URL('../../manifests', import.meta.url)));

function sampleOf(kind: string): Record<string, unknown> {
  const found = samples.find((d) => isRecord(d) && d.kind === kind);
  assert.ok(found, `a sample ${kind}`);
  return structuredClone(found) as Record<string, unknown>;
}

/** Line and column of the value at path, found with yaml's own node ranges. */
function positionOf(text: string, path: (string | number)[]): { line: number; col: number } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  assert.ok(node?.range, `a node at ${path.join('.')}`);
  return lc.linePos(node.range[0]);
}

test('the samples are valid, so each refusal below comes from the one field changed', () => {
  for (const kind of new Set(NAME_FIELDS.map((f) => f.kind))) {
    const text = stringify(sampleOf(kind));
    const { documents, errors } = parseManifestText(text, 'x.yaml');
    assert.deepEqual([...errors, ...validateDocuments(documents).errors], [], kind);
  }
});

for (const field of NAME_FIELDS) {
  test(`${field.kind} ${formatFieldPath(field.path)} (${field.role}) refuses every shell metacharacter payload at its position`, () => {
    for (const payload of SHELL_PAYLOADS) {
      const doc = sampleOf(field.kind);
      assert.ok(setAt(doc, field.path, payload));
      assert.equal(getAt(doc, field.path), payload);
      const text = stringify(doc);
      const parsed = parseManifestText(text, 'evil.yaml');
      assert.deepEqual(parsed.errors, [], `${JSON.stringify(payload)} must reach the schema (the YAML itself is fine)`);
      const { resources, errors } = validateDocuments(parsed.documents);
      assert.deepEqual(resources, [], `${JSON.stringify(payload)} produced no resource`);

      const where = formatFieldPath(field.path);
      const mine = errors.find((e) => e.path === where);
      assert.ok(mine, `${JSON.stringify(payload)}: an error for ${where}, got ${JSON.stringify(errors)}`);
      assert.deepEqual({ line: mine.line, col: mine.col }, positionOf(text, field.path), `${JSON.stringify(payload)}: position`);
      const line = formatManifestError(mine);
      assert.match(line, /^evil\.yaml:\d+:\d+: \S+: .*(not a valid|must|longer than|invalid)/, line);
      assert.doesNotMatch(line, /[\n\r\u0000]/, `one clean line for ${JSON.stringify(payload)}`);
      assert.ok(line.includes(JSON.stringify(payload).slice(1, -1).slice(0, 20)), `the value is quoted (escaped) in ${line}`);
    }
  });
}

test('apply refuses all of them in one run, exits 2, writes nothing and prints only positioned lines', async () => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 'sec/' });
  const openStore: OpenStore = (g) => ({ kv, store, prefix: g.prefix, close: () => {} });
  const docs: string[] = [];
  for (const field of NAME_FIELDS) {
    for (const payload of SHELL_PAYLOADS) {
      const doc = sampleOf(field.kind);
      setAt(doc, field.path, payload);
      // Distinct names where the name is not under test, so duplicates do not add errors.
      if (field.path.join('.') !== 'metadata.name') setAt(doc, ['metadata', 'name'], `d${docs.length}`);
      docs.push(stringify(doc));
    }
  }
  const io = captureIo({ env: { SWARMOP_PREFIX: 'sec/' }, stdin: docs.join('---\n') });
  const code = await main(['apply', '-f', '-'], io, { openStore });
  assert.equal(code, 2, io.err);
  assert.equal(io.out, '');
  const lines = io.err.split('\n').filter((l) => l !== '');
  assert.match(lines[0]!, /^error: \d+ errors in the manifests; nothing was written$/);
  for (const l of lines.slice(1)) assert.match(l, /^<stdin>:\d+:\d+: /);
  // Every document contributed at least one line.
  assert.ok(lines.length - 1 >= docs.length, `${lines.length - 1} error lines for ${docs.length} documents`);
  assert.equal((await kv.list('')).pairs.length, 0);
});
