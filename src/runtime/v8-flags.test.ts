import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OPERATOR_V8_FLAGS, applyOperatorV8Flags } from './v8-flags.js';

const execFileP = promisify(execFile);
/**
 * Runs an allocation pattern V8 pretenures (one site whose objects all survive) in a child with
 * V8's pretenuring statistics on, after setting `flags` as applyOperatorV8Flags does, and counts
 * the sites V8 decided to tenure.
 */
async function tenuredSites(flags: readonly string[]): Promise<number> {
  const script = `
    import v8 from 'node:v8';
    for (const flag of ${JSON.stringify(flags)}) v8.setFlagsFromString(flag);
    const keep = [];
    const make = (i) => ({ i, a: [i] });
    for (let i = 0; i < 600000; i++) keep.push(make(i));
  `;
  const { stdout } = await execFileP(process.execPath, ['--trace-pretenuring-statistics', '--input-type=module', '-e', script], {
    maxBuffer: 64 * 2 ** 20,
  });
  return stdout.split('\n').filter((l) => l.includes('=> tenure')).length;
}

test('the operator flags turn off allocation-site pretenuring (a surviving site is tenured without them, never with them)', async () => {
  assert.ok((await tenuredSites([])) > 0, 'without the flags V8 tenures the site (else this test proves nothing)');
  assert.equal(await tenuredSites(OPERATOR_V8_FLAGS), 0);
});

/** The young generation's size (MB) after an allocation burst, in a child with `flags` set. */
async function newSpaceMb(flags: readonly string[]): Promise<number> {
  const script = `
    import v8 from 'node:v8';
    for (const flag of ${JSON.stringify(flags)}) v8.setFlagsFromString(flag);
    const keep = [];
    const make = (i) => ({ i, a: [i] });
    for (let i = 0; i < 600000; i++) keep.push(make(i));
    console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20);
  `;
  const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', script]);
  return Number(stdout.trim());
}

test('the operator flags hold the young generation to half the size V8 grows it to without them (2 x 16 MB)', async () => {
  const defaults = await newSpaceMb([]);
  assert.equal(defaults, 32, 'without the flags the young generation grows to 2 x 16 MB (else this test proves nothing)');
  assert.ok((await newSpaceMb(OPERATOR_V8_FLAGS)) <= defaults / 2);
});

test('applyOperatorV8Flags sets exactly the listed flags', () => {
  const set: string[] = [];
  applyOperatorV8Flags((f) => set.push(f));
  assert.deepEqual(set, ['--no-allocation-site-pretenuring', '--optimize-for-size']);
  assert.deepEqual(set, [...OPERATOR_V8_FLAGS]);
});

test('bin/swarmop.js sets the operator flags before it loads the CLI', () => {
  const bin = readFileSync(fileURLToPath(new URL('../../bin/swarmop.js', import.meta.url)), 'utf8');
  const applied = bin.indexOf('applyOperatorV8Flags();');
  const cli = bin.indexOf("import('../dist/src/cli/main.js')");
  assert.ok(applied > 0 && cli > applied, bin);
  assert.doesNotMatch(bin, /^import .*cli\/main\.js/m, 'a static import of the CLI would load it before the flags are set');
});
