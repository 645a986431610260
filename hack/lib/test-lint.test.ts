import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertingHelpers, lintTestFile } from './test-lint.js';

const lint = (text: string, support = '') => {
  const helpers = assertingHelpers([
    { file: 'testing/helpers.ts', text: support },
    { file: 'x.test.ts', text },
  ]);
  return lintTestFile('x.test.ts', text, helpers).map((f) => `${f.line}:${f.column} ${f.rule}`);
};

test('.only in any form is found', () => {
  assert.deepEqual(
    lint(`test.only('a', () => { assert.ok(1); });
test.only('z', () => {});\nit('b', { only: true }, () => { assert.ok(1); });\ndescribe.only('c', () => {});`),
    ['1:1 only', '2:1 only', '2:1 no-assertion', '3:1 only', '4:1 only'],
  );
});

test('skip and todo need a reason; a string or a computed reason passes', () => {
  assert.deepEqual(
    lint(`test.skip('a', () => {});
test('b', { skip: true }, () => { assert.ok(1); });
test('c', { skip: '' }, () => { assert.ok(1); });
test('d', { skip: 'lab down' }, () => { assert.ok(1); });
test('e', { skip }, () => { assert.ok(1); });
test('f', { todo: true }, () => {});
test('g', { todo: 'needs a second host' }, () => {});
test('h', async (t) => { if (x) return t.skip(); assert.ok(1); });
test('i', async (t) => { if (x) return t.skip('no ipv6'); assert.ok(1); });
it.todo('j');`),
    [
      '1:1 skip-without-reason',
      '2:1 skip-without-reason',
      '3:1 skip-without-reason',
      '6:1 todo-without-reason',
      '8:40 skip-without-reason',
      '10:1 todo-without-reason',
    ],
  );
});

test('a body without an assertion is found; assert calls, throws and asserting helpers count, also through other helpers', () => {
  const support = `export async function eventually(p) { for (;;) { if (await p()) return; } throw new Error('timed out'); }
export const expectReady = async () => { await eventually(() => true); };
function quiet() { return 1; }`;
  assert.deepEqual(
    lint(
      `test('nothing', async () => { await rec.reconcile(r, ctx); });
test('only a quiet helper', () => { quiet(); });
it('assert.equal', () => { assert.equal(1, 1); });
it('t.assert', (t) => { t.assert.ok(true); });
it('throws', () => { if (!ok) throw new Error('x'); });
it('helper', async () => { await eventually(() => true); });
it('helper of a helper', async () => { await expectReady(); });
itE2E(f, 'e2e without', async () => { await f.apply(y); });`,
      support,
    ),
    ['1:1 no-assertion', '2:1 no-assertion', '8:1 no-assertion'],
  );
});

test('functions of production files do not count as assertions even when they throw', () => {
  const prod = 'export function reconcile() { throw new Error("bad"); }';
  const text = "test('a', () => { reconcile(); });";
  const helpers = assertingHelpers([
    { file: 'src/controllers/x/reconciler.ts', text: prod },
    { file: 'x.test.ts', text },
  ]);
  assert.deepEqual(
    lintTestFile('x.test.ts', text, helpers).map((f) => f.rule),
    ['no-assertion'],
  );
});

test('an assertion only inside an `if`, or after a statement that may return early, does not count', () => {
  assert.deepEqual(
    lint(`test('only in an if', async () => { const r = await run(); if (r.ok) { assert.equal(r.code, 0); } });
test('only in one branch', async () => { if (x) { assert.ok(1); } else { log(); } });
test('after an early return', async () => { if (!ready) return; assert.ok(1); });
test('after a return in a loop', async () => { for (const h of hosts) { if (h.down) return; } assert.ok(1); });
test('in both branches', async () => { if (x) assert.ok(1); else assert.ok(2); });
test('before the early return', async () => { assert.ok(1); if (x) return; log(); });
test('an if that throws', async () => { if (bad) { throw new Error('bad'); } });
test('after a skip', async (t) => { if (!lab) return t.skip('no lab'); assert.ok(1); });
test('in a try', async () => { try { assert.ok(1); } finally { cleanup(); } });
test('a return inside a callback', async () => { await each(xs, (x) => { if (!x) return; log(x); }); assert.ok(1); });`),
    ['1:1 no-assertion', '2:1 no-assertion', '3:1 no-assertion', '4:1 no-assertion'],
  );
});
