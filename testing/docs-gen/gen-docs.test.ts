import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { generatedFiles, reasonsTable, ROOT, withReasonsTable, REASONS_BEGIN, REASONS_END } from './gen-docs.js';
import { reasonLiterals, scanReasons } from './reason-scan.js';
import { NOT_REASONS, REASONS } from './reasons.js';
import { TABLE_BEGIN, TABLE_END } from '../../bench/figures.js';
import { FIGURES_PAGE } from '../../bench/readme-figures.js';

test('every reason-shaped literal the code can set is documented (or known not to be a reason)', () => {
  const found = scanReasons(ROOT);
  const missing = found.filter((r) => !(r.reason in REASONS) && !(r.reason in NOT_REASONS)).map((r) => `${r.reason} (${r.sites[0]})`);
  assert.deepEqual(missing, [], 'add these to testing/docs-gen/reasons.ts, then run npm run docs:gen');
  // The scan reaches every controller folder (so a move of the sources cannot empty it silently).
  assert.ok(
    found.some((r) => r.reason === 'AddressConflict') &&
      found.some((r) => r.reason === 'QuorumLost') &&
      found.some((r) => r.reason === 'NoLeader') &&
      found.some((r) => r.reason === 'TLSRequired'),
  );
});

test('no documented reason is gone from the code, and none is both a reason and not one', () => {
  const found = new Set(scanReasons(ROOT).map((r) => r.reason));
  assert.deepEqual(
    Object.keys(REASONS).filter((r) => !found.has(r)),
    [],
  );
  assert.deepEqual(
    Object.keys(NOT_REASONS).filter((r) => !found.has(r)),
    [],
  );
  assert.deepEqual(
    Object.keys(REASONS).filter((r) => r in NOT_REASONS),
    [],
  );
});

test('the scan finds reasons in literals, unions and constants, not in comments, templates or imports', () => {
  const text = [
    "import { x } from 'SomeModule';",
    '// NotThisOne in a comment',
    "type R = 'UnionReason' | 'OtherReason';",
    "const c = { reason: 'LiteralReason', message: `TemplateWord ${1}` };",
    "export const K = 'ConstReason';",
    "const lower = 'notAReason'; const caps = 'GET';",
  ].join('\n');
  assert.deepEqual(
    reasonLiterals('x.ts', text).map((r) => r.reason),
    ['UnionReason', 'OtherReason', 'LiteralReason', 'ConstReason'],
  );
});

test('the reasons table lists every entry once, with its meaning', () => {
  const table = reasonsTable();
  const rows = table.split('\n').slice(2);
  assert.equal(rows.length, Object.keys(REASONS).length);
  assert.match(
    table,
    /^\| `AddressConflict` \| StaticIPAttachment \| Ready=False \(also ServiceRegistered=False\) \| an older attachment claims/m,
  );
  assert.throws(() => withReasonsTable('no markers'), /markers/);
  assert.equal(withReasonsTable(`a\n${REASONS_BEGIN}\nold\n${REASONS_END}\nb`), `a\n${REASONS_BEGIN}\n${table}\n${REASONS_END}\nb`);
});

test('the generated docs are what npm run docs:gen writes now (troubleshooting, CLI and metrics reference, kind fields)', async () => {
  const files = await generatedFiles();
  assert.deepEqual(
    [...files.keys()],
    [
      'docs/troubleshooting.md',
      'docs/reference/cli.md',
      'docs/reference/metrics.md',
      'docs/kinds/dockerhost.md',
      'docs/kinds/consulcluster.md',
      'docs/kinds/swarmcluster.md',
      'docs/kinds/staticipattachment.md',
    ],
  );
  for (const [file, want] of files) {
    assert.equal(readFileSync(path.join(ROOT, file), 'utf8'), want, `${file} is out of date: run npm run docs:gen`);
  }
  const cli = files.get('docs/reference/cli.md')!;
  assert.match(cli, /^## swarmop operator$/m);
  assert.match(cli, /^## swarmop config set-context$/m);
  assert.match(cli, /^ {2}--http-addr <addr> /m);
  assert.match(files.get('docs/kinds/staticipattachment.md')!, /^KIND: {5}StaticIPAttachment$/m);
});

test("docs/status.md carries BENCHMARKS.md's figures table between the markers npm run bench writes", () => {
  const page = readFileSync(path.join(ROOT, FIGURES_PAGE), 'utf8');
  const bench = readFileSync(path.join(ROOT, 'BENCHMARKS.md'), 'utf8');
  const table = (text: string) => text.slice(text.indexOf(TABLE_BEGIN) + TABLE_BEGIN.length, text.indexOf(TABLE_END)).trim();
  assert.ok(page.includes(TABLE_BEGIN) && page.includes(TABLE_END), `${FIGURES_PAGE} lost its figures markers`);
  assert.equal(table(page), table(bench));
  assert.match(table(page), /^\| what \| figure \| anchor \(same run\) \|/);
});
