import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readManifestSources, STDIN_NAME } from './manifest-sources.js';
import { isSwarmopError } from '../../errors.js';

async function tree(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-cli-src-'));
  await writeFile(path.join(dir, 'b.yaml'), 'b');
  await writeFile(path.join(dir, 'a.yml'), 'a');
  await writeFile(path.join(dir, 'c.json'), 'c');
  await writeFile(path.join(dir, 'notes.txt'), 'ignored');
  await mkdir(path.join(dir, 'sub'));
  await writeFile(path.join(dir, 'sub', 'd.yaml'), 'd');
  return dir;
}

test('a folder yields its manifest files sorted, without recursion by default', async (t) => {
  const dir = await tree();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await readManifestSources(['.'], { cwd: dir, recursive: false, readStdin: async () => Buffer.from('') });
  assert.deepEqual(s.map((x) => [x.file, Buffer.from(x.bytes).toString()]), [['a.yml', 'a'], ['b.yaml', 'b'], ['c.json', 'c']]);
});

test('-R descends into subfolders', async (t) => {
  const dir = await tree();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await readManifestSources([dir], { cwd: '/', recursive: true, readStdin: async () => Buffer.from('') });
  assert.deepEqual(s.map((x) => path.relative(dir, x.file)), ['a.yml', 'b.yaml', 'c.json', path.join('sub', 'd.yaml')]);
});

test('- reads standard input and names it in errors', async () => {
  const s = await readManifestSources(['-'], { cwd: '/', recursive: false, readStdin: async () => Buffer.from('kind: X') });
  assert.deepEqual(s.map((x) => [x.file, Buffer.from(x.bytes).toString()]), [[STDIN_NAME, 'kind: X']]);
});

test('a missing path is invalid input', async () => {
  await assert.rejects(
    readManifestSources(['/nonexistent/x.yaml'], { cwd: '/', recursive: false, readStdin: async () => Buffer.from('') }),
    (e) => isSwarmopError(e, 'Invalid') && /does not exist/.test(e.message),
  );
});
