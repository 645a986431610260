import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManifestBytes, parseManifestText } from './index.js';

const HOST = `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: consulsvr
spec:
  endpoint: tcp://192.168.116.111:2375
  address: 192.168.116.111
`;

test('multi-document input yields one document per non-empty YAML document, keeping stream indexes', () => {
  const { documents, errors } = parseManifestText(`---\n# only a comment\n---\n${HOST}---\n${HOST}`, 'f.yaml');
  assert.deepEqual(errors, []);
  assert.equal(documents.length, 2);
  assert.deepEqual(
    documents.map((d) => d.index),
    [1, 2],
  );
  assert.equal((documents[0]?.value as { kind: string }).kind, 'DockerHost');
});

test('a v1 List (what get -o yaml|json prints for several objects) yields one document per item, positioned inside it', () => {
  const indented = HOST.trimEnd()
    .split('\n')
    .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))
    .join('\n');
  const { documents, errors } = parseManifestText(
    `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n${indented}\n${indented.replace('consulsvr', 'consul01')}\n`,
    'list.yaml',
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(
    documents.map((d) => (d.value as { metadata: { name: string } }).metadata.name),
    ['consulsvr', 'consul01'],
  );
  assert.deepEqual(documents[1]!.positionOf(['spec', 'address']), { line: 19, col: 16 });
  assert.deepEqual(documents[0]!.positionOf([]), { line: 6, col: 5 });
  const json = parseManifestText(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [] }), 'empty.json');
  assert.deepEqual(json, { documents: [], errors: [] });
  const bad = parseManifestText('apiVersion: v1\nkind: List\nitems:\n  - just a string\n', 'bad.yaml');
  assert.deepEqual(
    bad.errors.map((e) => [e.line, e.col, e.path, e.message]),
    [[4, 5, 'items[0]', 'a List item must be a mapping (apiVersion, kind, metadata, spec), got a string']],
  );
  const noItems = parseManifestText('apiVersion: v1\nkind: List\nitems: {}\n', 'bad.yaml');
  assert.deepEqual(
    noItems.errors.map((e) => [e.line, e.col, e.path, e.message]),
    [[3, 8, 'items', 'a List needs items: a list of documents']],
  );
});

test('positionOf gives 1-based line/col of a node, or of its nearest existing ancestor', () => {
  const [doc] = parseManifestText(HOST, 'f.yaml').documents;
  assert.ok(doc);
  assert.deepEqual(doc.positionOf(['spec', 'address']), { line: 7, col: 12 });
  assert.deepEqual(doc.positionOf(['spec', 'tls', 'caFile']), { line: 6, col: 3 });
  assert.deepEqual(doc.positionOf([]), { line: 1, col: 1 });
  assert.deepEqual(doc.keyPositionOf?.(['spec', 'address']), { line: 7, col: 3 });
});

test('positions inside flow sequences point at the item', () => {
  const [doc] = parseManifestText('spec:\n  workers: [consul01, consul02]\n', 'f.yaml').documents;
  assert.deepEqual(doc?.positionOf(['spec', 'workers', 1]), { line: 2, col: 23 });
});

test('a huge flow nesting is refused before the YAML parser sees it (it would abort the process)', () => {
  const started = Date.now();
  const { documents, errors } = parseManifestText('['.repeat(200_000) + ']'.repeat(200_000), 'deep.yaml');
  assert.equal(documents.length, 0);
  assert.equal(errors[0]?.message, 'nesting deeper than 64 levels');
  assert.ok(Date.now() - started < 5000);
});

test('brackets inside quoted strings and comments do not count as nesting', () => {
  const text = `# ${'['.repeat(100)}\na: "${'['.repeat(100)}"\nb: '${'{'.repeat(100)}'\n`;
  const { documents, errors } = parseManifestText(text, 'q.yaml');
  assert.deepEqual(errors, []);
  assert.equal(documents.length, 1);
});

test('a YAML alias bomb is refused without being expanded', () => {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  const names = 'abcdefghijklmnop';
  for (let i = 1; i < names.length; i++)
    text += `${names[i]}: &${names[i]} [${Array(9)
      .fill(`*${names[i - 1]}`)
      .join(',')}]\n`;
  const started = Date.now();
  const { documents, errors } = parseManifestText(text, 'bomb.yaml');
  assert.equal(documents.length, 0);
  assert.match(errors[0]?.message ?? '', /alias "\*a" is not allowed/);
  assert.ok(Date.now() - started < 5000);
});

test('non-UTF-8 bytes are refused at the position of the first bad byte', () => {
  const bytes = Buffer.concat([Buffer.from('a: 1\nb: x'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
  const { errors } = parseManifestBytes(bytes, 'bin.yaml');
  assert.deepEqual(
    errors.map((e) => [e.line, e.col]),
    [[2, 5]],
  );
  // Valid multi-byte UTF-8 passes.
  assert.deepEqual(parseManifestBytes(Buffer.from('a: "ü€😀"\n'), 'ok.yaml').errors, []);
});

test('a __proto__ key stays a plain field and never changes the prototype', () => {
  const [doc] = parseManifestText('__proto__: {polluted: 1}\n', 'p.yaml').documents;
  const value = doc?.value as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.keys(value), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('non-string mapping keys are refused', () => {
  const { errors } = parseManifestText('? [a, b]\n: 1\n', 'k.yaml');
  assert.equal(errors[0]?.message, 'mapping keys must be plain strings');
});

test('garbage input never throws and always yields documents or positioned errors', () => {
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = 'ab:- \n\t[]{}&*!|>\'"#%@`,?~\\0123\u00ff\ufffd';
  for (let i = 0; i < 2000; i++) {
    let text = '';
    const len = rand(80);
    for (let j = 0; j < len; j++) text += alphabet[rand(alphabet.length)];
    const r = parseManifestText(text, 'fuzz.yaml');
    for (const e of r.errors) {
      assert.ok(e.line >= 1 && e.col >= 1, JSON.stringify({ text, e }));
    }
  }
});
