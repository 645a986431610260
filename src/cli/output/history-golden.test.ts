/**
 * Golden output of `history`, `history --revision` and `apply view-last-applied`, run through
 * main() on an in-memory store with a fixed clock: three applies of one attachment by two field
 * managers. `SWARMOP_UPDATE_GOLDEN=1` rewrites testdata/golden/ (review the diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryKv } from '../../../testing/fakes/memory-kv.js';
import { captureIo } from '../../../testing/util/capture-io.js';
import { ResourceStore } from '../../store/resource-store.js';
import type { OpenStore } from '../program/cli-context.js';
import { main } from '../main.js';

const GOLDEN = fileURLToPath(new URL('./testdata/golden/', import.meta.url));

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.SWARMOP_UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from its golden file (SWARMOP_UPDATE_GOLDEN=1 rewrites it)`);
}

const SIA = (address: string, extra = ''): string => `apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata:
  name: ubuntu114
  labels:
    tier: web
spec:
  host: consul01
  container: ubuntu114
  bridge: br0
  address: ${address}
${extra}`;

test('history, history --revision and apply view-last-applied match their golden output', async () => {
  let minute = 0;
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 'g/', now: () => new Date(Date.UTC(2026, 2, 1, 12, minute)) });
  const openStore: OpenStore = (g) => ({ kv, store, prefix: g.prefix, close: () => {} });
  const run = async (argv: string[], stdin?: string) => {
    const io = captureIo({ env: { SWARMOP_PREFIX: 'g/' }, ...(stdin !== undefined ? { stdin } : {}) });
    const code = await main(argv, io, { openStore });
    assert.equal(code, 0, io.err);
    return io.out;
  };
  await run(['apply', '-f', '-', '--field-manager', 'ci'], SIA('192.168.116.114/24', '  gateway: 192.168.116.1\n'));
  minute = 5;
  await run(['apply', '-f', '-', '--field-manager', 'ci'], SIA('192.168.116.120/24', '  gateway: 192.168.116.1\n'));
  minute = 10;
  await run(['apply', '-f', '-', '--field-manager', 'deploy-bot'], SIA('192.168.116.120/24', '  mac: 02:42:c0:a8:74:78\n'));
  golden('history-staticipattachment.txt', await run(['history', 'sia/ubuntu114']));
  golden('history-staticipattachment-revision-1.txt', await run(['history', 'sia/ubuntu114', '--revision', '1']));
  golden('view-last-applied-staticipattachment.txt', await run(['apply', 'view-last-applied', 'sia/ubuntu114']));
  golden('view-last-applied-staticipattachment.json', await run(['apply', 'view-last-applied', 'sia', 'ubuntu114', '-o', 'json']));
});
