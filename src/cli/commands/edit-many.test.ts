import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryKv } from '../../../testing/fakes/memory-kv.js';
import { captureIo } from '../../../testing/util/capture-io.js';
import { ResourceStore } from '../../store/resource-store.js';
import type { OpenStore } from '../program/cli-context.js';
import { main } from '../main.js';

const HOST = (name: string, address: string): string => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: ${name}
spec:
  endpoint: tcp://${address}:2375
  address: ${address}
`;

test('edit of several objects opens one List; changed items are saved, a failing one re-opens alone with its error', async (t) => {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 'e/' });
  const openStore: OpenStore = (g) => ({ kv, store, prefix: g.prefix, close: () => {} });
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-edit-many-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const editor = path.join(dir, 'editor.sh');
  // 1st open: h1 gets a valid address, h2 an invalid one; 2nd open: fix h2.
  await writeFile(
    editor,
    `#!/bin/sh
n=$(cat "${dir}/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${dir}/count"
cp "$1" "${dir}/seen-$n.yaml"
if [ $n = 1 ]; then sed -i -e 's/address: 10.0.0.1$/address: 10.0.0.11/' -e 's/address: 10.0.0.2$/address: bad/' "$1"; fi
if [ $n = 2 ]; then sed -i 's/address: bad$/address: 10.0.0.22/' "$1"; fi
exit 0
`,
  );
  await chmod(editor, 0o755);
  const run = async (argv: string[], stdin?: string) => {
    const io = captureIo({ env: { SWARMOP_PREFIX: 'e/', EDITOR: editor }, ...(stdin !== undefined ? { stdin } : {}) });
    const code = await main(argv, io, { openStore });
    return { code, out: io.out, err: io.err };
  };
  assert.equal(
    (await run(['apply', '-f', '-'], HOST('h1', '10.0.0.1') + '---\n' + HOST('h2', '10.0.0.2') + '---\n' + HOST('h3', '10.0.0.3'))).code,
    0,
  );
  const r = await run(['edit', 'dh', 'h1', 'h2', 'h3']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'dockerhost/h1 edited\ndockerhost/h2 edited\n');
  const first = await readFile(path.join(dir, 'seen-1.yaml'), 'utf8');
  assert.match(first, /^kind: List\nitems:\n {2}- apiVersion: swarmop\.io\/v1alpha1\n/m);
  assert.equal(first.match(/^ {4}kind: DockerHost$/gm)?.length, 3);
  const second = await readFile(path.join(dir, 'seen-2.yaml'), 'utf8');
  assert.match(second, /^# Some objects could not be saved \(the others were\):\n# dockerhost\/h2: /m);
  assert.equal(second.match(/^ {4}kind: DockerHost$/gm)?.length, 1, 'only the failed item is re-opened');
  assert.deepEqual(
    (await store.list('DockerHost')).map((h) => [h.metadata.name, h.spec.address]),
    [
      ['h1', '10.0.0.11'],
      ['h2', '10.0.0.22'],
      ['h3', '10.0.0.3'],
    ],
  );
});
