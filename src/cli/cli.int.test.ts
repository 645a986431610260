/**
 * The real CLI against a REAL Consul agent (startConsulAgent), each test on its own prefix:
 * in-process through main(argv) with captured output, and once as a spawned `node bin/swarmop.js`
 * after `npm run build`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { listInvalidCorpus } from '../../testing/util/invalid-corpus.js';
import type { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { main } from './main.js';
import { captureIo } from '../../testing/util/capture-io.js';
import { useRealConsul } from '../../testing/harness/real-consul.js';
import { waitUntil } from '../../testing/util/wait-until.js';
import { ensureBuilt } from '../../testing/util/built-package.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const execFileP = promisify(execFile);

let agent: ConsulAgentHandle;
let kv: ConsulKv;
let prefixCounter = 0;

useRealConsul((a, k) => ((agent = a), (kv = k)));

function newPrefix(): string {
  prefixCounter += 1;
  return `cli-int-${process.pid}-${prefixCounter}/`;
}

async function run(prefix: string, argv: string[], opts: { stdin?: string; signal?: AbortSignal } = {}) {
  const io = captureIo({ env: { CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix }, cwd: REPO, ...opts });
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err, io };
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await kv.list(prefix)).pairs.map((p) => p.key);
}

const SIA = (address = '192.168.116.114/24') => `apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata:
  name: ubuntu114
spec:
  host: consul01
  container: ubuntu114
  bridge: br0
  address: ${address}
  gateway: 192.168.116.1
`;

// It runs the built CLI: dist/ as hack/test.sh built it for this run (run on its own, the file builds
// this checkout, which replaces dist/: not beside the lab suites).
describe('the built CLI against a real Consul', { concurrency: false }, () => {
  test('apply of the sample manifests reports created, unchanged and configured', async () => {
    const prefix = newPrefix();
    const first = await run(prefix, ['apply', '-f', 'manifests']);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^dockerhost\/consulsvr created$/m);
    assert.match(first.out, /^staticipattachment\/ubuntu114 created$/m);
    assert.equal(first.out.trimEnd().split('\n').length, 7);

    const again = await run(prefix, ['apply', '-f', 'manifests', '-R']);
    assert.equal(
      again.out
        .trimEnd()
        .split('\n')
        .filter((l) => !l.endsWith(' unchanged')).length,
      0,
      again.out,
    );

    const changed = await run(prefix, ['apply', '-f', '-'], { stdin: SIA('192.168.116.115/24') });
    assert.equal(changed.out, 'staticipattachment/ubuntu114 configured\n');
    const live = await run(prefix, ['get', 'sia', 'ubuntu114', '-o', 'json']);
    assert.equal(JSON.parse(live.out).spec.address, '192.168.116.115/24');
    assert.equal(JSON.parse(live.out).metadata.generation, 2);
  });

  test('client and server dry runs print the outcome and write nothing to Consul', async () => {
    const prefix = newPrefix();
    const client = await run(prefix, ['apply', '-f', 'manifests', '--dry-run=client']);
    assert.equal(client.code, 0, client.err);
    assert.match(client.out, /^dockerhost\/consul01 created \(dry run\)$/m);
    const server = await run(prefix, ['apply', '-f', 'manifests', '--dry-run=server']);
    assert.match(server.out, /^swarmcluster\/swarm created \(server dry run\)$/m);
    assert.deepEqual(await keysUnder(prefix), []);
  });

  test('every case of the invalid corpus prints its exact errors, exits 2 and writes nothing', async () => {
    const cases = listInvalidCorpus();
    assert.ok(cases.length >= 30, `corpus has ${cases.length} cases`);
    const prefix = newPrefix();
    for (const c of cases) {
      const r = await run(prefix, ['apply', '-f', c.relativePath]);
      assert.equal(r.code, 2, `${c.name}: exit code\n${r.err}`);
      assert.equal(r.out, '', c.name);
      const errLines = r.err.split('\n').filter((l) => l !== '' && !l.startsWith('error: '));
      assert.deepEqual(errLines, c.expected, c.name);
      assert.doesNotMatch(r.err, /\n\s+at /, `${c.name}: no stack trace`);
    }
    // Also all at once together with a valid file: still nothing written.
    const all = await run(prefix, ['apply', '-f', 'manifests', ...cases.map((c) => ['-f', c.relativePath]).flat()]);
    assert.equal(all.code, 2);
    assert.deepEqual(await keysUnder(prefix), []);
  });

  test('get, describe, diff and delete exit codes', async () => {
    const prefix = newPrefix();
    assert.equal((await run(prefix, ['apply', '-f', '-'], { stdin: SIA() })).code, 0);

    const table = await run(prefix, ['get', 'staticipattachments']);
    assert.match(
      table.out,
      /^NAME +HOST +CONTAINER +ADDRESS .*READY +AGE\nubuntu114 +consul01 +ubuntu114 +192\.168\.116\.114\/24 .*Unknown +\d+s\n$/,
    );
    assert.equal((await run(prefix, ['get', 'sia', 'nope'])).code, 3);
    assert.equal((await run(prefix, ['get', 'dockerhosts'])).err, 'No resources found.\n');

    const described = await run(prefix, ['describe', 'sia', 'ubuntu114']);
    assert.equal(described.code, 0);
    assert.match(described.out, /^Name: +ubuntu114$/m);
    assert.match(described.out, /^Spec:\n(?: {2}.*\n)* {2}address: 192\.168\.116\.114\/24$/m);
    assert.equal((await run(prefix, ['describe', 'sia', 'nope'])).code, 3);

    assert.equal((await run(prefix, ['diff', '-f', '-'], { stdin: SIA() })).code, 0);
    const diff = await run(prefix, ['diff', '-f', '-'], { stdin: SIA('192.168.116.120/24') });
    assert.equal(diff.code, 1);
    assert.match(diff.out, /^-  address: 192\.168\.116\.114\/24\n\+  address: 192\.168\.116\.120\/24$/m);
    assert.equal((await run(prefix, ['diff', '-f', '-'], { stdin: 'kind: [' })).code, 2);

    const del = await run(prefix, ['delete', 'sia', 'ubuntu114']);
    assert.equal(del.out, 'staticipattachment/ubuntu114 deleted\n');
    assert.equal((await run(prefix, ['delete', 'sia', 'ubuntu114'])).code, 3);
    assert.deepEqual(await keysUnder(`${prefix}objects/`), []);
  });

  test('wait times out with exit 6 and a clear message, and succeeds on a current Ready condition', async () => {
    const prefix = newPrefix();
    const started = Date.now();
    const timedOut = await run(prefix, ['wait', 'sia/ubuntu114', '--for=condition=Ready', '--timeout=1s']);
    const elapsed = Date.now() - started;
    assert.equal(timedOut.code, 6);
    assert.equal(
      timedOut.err,
      'error: timed out after 1s waiting for condition Ready=True\n  staticipattachment/ubuntu114: it does not exist\n',
    );
    assert.ok(elapsed >= 900 && elapsed < 8000, `took ${elapsed} ms`);

    const waiting = run(prefix, ['wait', 'sia/ubuntu114', '--for=condition=Ready=True', '--timeout=20s']);
    await run(prefix, ['apply', '-f', '-'], { stdin: SIA() });
    const store = new ResourceStore({ kv, prefix });
    const obj = (await store.get('StaticIPAttachment', 'ubuntu114'))!;
    const now = new Date().toISOString();
    await store.updateStatus(obj, {
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Attached', message: '', lastTransitionTime: now, observedGeneration: 1 }],
    });
    const done = await waiting;
    assert.equal(done.code, 0, done.err);
    assert.equal(done.out, 'staticipattachment/ubuntu114 condition met\n');
  });

  test('an unreachable Consul exits 5 without a stack trace', async () => {
    const io = captureIo({ env: { CONSUL_HTTP_ADDR: '127.0.0.1:1', SWARMOP_PREFIX: 'x/' } });
    const code = await main(['get', 'dockerhosts'], io);
    assert.equal(code, 5, io.err);
    assert.match(io.err, /^error: .*127\.0\.0\.1:1/);
    assert.doesNotMatch(io.err, /\n\s+at /);
  });

  test('get -w streams changes through Consul blocking queries', async () => {
    const prefix = newPrefix();
    const ac = new AbortController();
    const io = captureIo({ env: { CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix }, cwd: REPO, signal: ac.signal });
    const watching = main(['get', 'sia', '-w'], io);
    await waitUntil('the initial (empty) listing', () => io.err.includes('No resources found.'));
    const t0 = Date.now();
    await run(prefix, ['apply', '-f', '-'], { stdin: SIA() });
    await waitUntil('the row of the created object', () => /^ubuntu114 +consul01 /m.test(io.out));
    const latency = Date.now() - t0;
    await run(prefix, ['delete', 'sia', 'ubuntu114']);
    await waitUntil('the deleted row', () => /^ubuntu114 .*Deleted/m.test(io.out));
    ac.abort();
    assert.equal(await watching, 0, io.err);
    console.log(`# get -w showed the change ${latency} ms after apply`);
  });

  test('a token Consul refuses exits 5 and is never printed', async (t) => {
    const secured = await startConsulAgent({ acl: true });
    t.after(() => secured.stop());
    const io = captureIo({
      env: { CONSUL_HTTP_ADDR: secured.address, CONSUL_HTTP_TOKEN: 'not-a-real-token-1234', SWARMOP_PREFIX: 'acl/' },
      cwd: REPO,
    });
    const code = await main(['apply', '-f', '-'], Object.assign(io, { readStdin: async () => Buffer.from(SIA()) }));
    assert.equal(code, 5, io.err);
    assert.doesNotMatch(io.err + io.out, /not-a-real-token-1234/);
  });

  test('the built bin/swarmop.js applies from stdin and reports exit codes as a process', async () => {
    // The process under test is the one the package ships: built exactly as `npm pack` builds it,
    // and a build that fails fails this test with the compiler's output.
    await ensureBuilt();
    assert.ok(existsSync(path.join(REPO, 'dist/src/cli/main.js')), 'npm run build produced dist/src/cli/main.js');
    const prefix = newPrefix();
    const env = { ...process.env, CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix };
    const child = spawn(process.execPath, ['bin/swarmop.js', 'apply', '-f', '-'], { cwd: REPO, env });
    child.stdin.end(SIA());
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.equal(out, 'staticipattachment/ubuntu114 created\n');

    const missing = await execFileP(process.execPath, ['bin/swarmop.js', 'get', 'sia', 'nope'], { cwd: REPO, env }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    assert.equal(missing.code, 3);
    assert.equal(missing.stderr, 'error: staticipattachments "nope" not found\n');
  });
});
