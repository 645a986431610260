/**
 * main() in-process over an in-memory KvStore (our own fake behind KvStore): command wiring,
 * output formats, exit codes and the watch modes. The same behaviours run against a real Consul
 * in cli.int.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from './main.js';
import { captureIo, type CapturedIo } from '../../testing/util/capture-io.js';
import type { OpenStore } from './program/cli-context.js';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { waitUntil } from '../../testing/util/wait-until.js';

const HOST = (name: string, address = '10.0.0.1', labels = 'role: worker'): string => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  endpoint: tcp://${address}:2375
  address: ${address}
`;

function setup(): {
  kv: MemoryKv;
  store: ResourceStore;
  openStore: OpenStore;
  run: (argv: string[], opts?: Parameters<typeof captureIo>[0]) => Promise<CapturedIo & { code: number }>;
} {
  const kv = new MemoryKv();
  const store = new ResourceStore({ kv, prefix: 'unit/' });
  const openStore: OpenStore = (g) => {
    assert.equal(g.prefix, 'unit/');
    return { kv, store, prefix: g.prefix, close: () => {} };
  };
  const run = async (argv: string[], opts: Parameters<typeof captureIo>[0] = {}) => {
    const io = captureIo({ env: { SWARMOP_PREFIX: 'unit/' }, ...opts });
    const code = await main(argv, io, { openStore });
    return Object.assign(io, { code });
  };
  return { kv, store, openStore, run };
}

test('apply from stdin reports created, then unchanged, then configured', async () => {
  const { run } = setup();
  let r = await run(['apply', '-f', '-'], { stdin: HOST('h1') + '---\n' + HOST('h2', '10.0.0.2') });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'dockerhost/h1 created\ndockerhost/h2 created\n');
  r = await run(['apply', '-f', '-'], { stdin: HOST('h1') });
  assert.equal(r.out, 'dockerhost/h1 unchanged\n');
  r = await run(['apply', '-f', '-'], { stdin: HOST('h1', '10.0.0.9') });
  assert.equal(r.out, 'dockerhost/h1 configured\n');
});

test('dry runs print what would happen and write nothing', async () => {
  const { run, kv } = setup();
  const before = kv.currentIndex;
  const client = await run(['apply', '-f', '-', '--dry-run=client'], { stdin: HOST('h1') });
  assert.equal(client.out, 'dockerhost/h1 created (dry run)\n');
  const server = await run(['apply', '-f', '-', '--dry-run=server'], { stdin: HOST('h1') });
  assert.equal(server.out, 'dockerhost/h1 created (server dry run)\n');
  assert.equal((await kv.list('unit/')).pairs.length, 0);
  assert.equal(kv.currentIndex, before);
  await run(['apply', '-f', '-'], { stdin: HOST('h1') });
  const written = kv.currentIndex;
  for (const mode of ['client', 'server']) {
    const suffix = mode === 'client' ? '(dry run)' : '(server dry run)';
    assert.equal((await run(['apply', '-f', '-', `--dry-run=${mode}`], { stdin: HOST('h1') })).out, `dockerhost/h1 unchanged ${suffix}\n`);
    assert.equal(
      (await run(['apply', '-f', '-', `--dry-run=${mode}`], { stdin: HOST('h1', '10.0.0.3') })).out,
      `dockerhost/h1 configured ${suffix}\n`,
    );
  }
  assert.equal(kv.currentIndex, written);
  const bad = await run(['apply', '-f', '-', '--dry-run=maybe'], { stdin: HOST('h1') });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /invalid --dry-run value "maybe"/);
});

test('an invalid document among valid ones writes nothing and exits 2 with positioned errors', async () => {
  const { run, kv } = setup();
  const r = await run(['apply', '-f', '-'], { stdin: HOST('h1') + '---\n' + HOST('h2', '10.0.0.300') });
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /^<stdin>:\d+:\d+: spec\.(endpoint|address): /m);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace for user errors');
  assert.equal((await kv.list('unit/')).pairs.length, 0);
});

test('get prints a table with READY and AGE, names, and documents', async () => {
  const { run, store } = setup();
  await run(['apply', '-f', '-'], { stdin: HOST('h1') + '---\n' + HOST('h2', '10.0.0.2', 'role: manager') });
  const h1 = await store.get('DockerHost', 'h1');
  await store.updateStatus(h1!, {
    observedGeneration: 1,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Reachable',
        message: '',
        lastTransitionTime: new Date().toISOString(),
        observedGeneration: 1,
      },
    ],
  });

  const table = await run(['get', 'dockerhosts']);
  assert.equal(table.code, 0);
  const [header, row1, row2] = table.out.trimEnd().split('\n');
  assert.match(header!, /^NAME +.*READY +AGE$/);
  assert.match(row1!, /^h1 +.*True +\d+s$/);
  assert.match(row2!, /^h2 +.*Unknown +\d+s$/);

  assert.equal((await run(['get', 'dh', '-o', 'name', '-l', 'role=manager'])).out, 'dockerhost/h2\n');
  assert.equal((await run(['get', 'dh', '-o', 'name', '-l', 'role!=manager'])).out, 'dockerhost/h1\n');
  const json = JSON.parse((await run(['get', 'dockerhost', 'h1', '-o', 'json'])).out);
  assert.equal(json.metadata.name, 'h1');
  assert.equal(typeof json.metadata.resourceVersion, 'string');
  assert.equal(json.status.conditions[0].status, 'True');
  const list = JSON.parse((await run(['get', 'dh', '-o', 'json'])).out);
  assert.deepEqual(
    list.items.map((i: { metadata: { name: string } }) => i.metadata.name),
    ['h1', 'h2'],
  );
  assert.match((await run(['get', 'dh', 'h2', '-o', 'yaml'])).out, /^kind: DockerHost$/m);
  const all = await run(['get', 'all']);
  assert.match(all.out, /^NAME +.*READY +AGE\ndockerhost\/h1 +/);
  assert.equal((await run(['get', 'all', '-o', 'name'])).out, 'dockerhost/h1\ndockerhost/h2\n');
});

test('get and describe of a missing object exit 3; an unknown kind exits 2', async () => {
  const { run } = setup();
  const none = await run(['get', 'sia']);
  assert.equal(none.code, 0);
  assert.equal(none.err, 'No resources found.\n');
  const missing = await run(['get', 'sia', 'x']);
  assert.equal(missing.code, 3);
  assert.equal(missing.err, 'error: staticipattachments "x" not found\n');
  assert.equal((await run(['describe', 'dh', 'x'])).code, 3);
  const unknown = await run(['get', 'pods']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown resource type "pods"/);
  assert.equal((await run(['get', 'dh', '-o', 'toml'])).code, 2);
});

test('diff exits 0 when live matches, 1 with a unified diff when not', async () => {
  const { run } = setup();
  await run(['apply', '-f', '-'], { stdin: HOST('h1') });
  const same = await run(['diff', '-f', '-'], { stdin: HOST('h1') });
  assert.equal(same.code, 0, same.err);
  assert.equal(same.out, '');
  const changed = await run(['diff', '-f', '-'], { stdin: HOST('h1', '10.0.0.7') });
  assert.equal(changed.code, 1);
  assert.match(changed.out, /^--- live\/dockerhost\/h1\n\+\+\+ merged\/dockerhost\/h1\n@@ /);
  assert.match(changed.out, /^-  address: 10\.0\.0\.1$/m);
  assert.match(changed.out, /^\+  address: 10\.0\.0\.7$/m);
  const created = await run(['diff', '-f', '-'], { stdin: HOST('new1') });
  assert.equal(created.code, 1);
  assert.match(created.out, /^\+kind: DockerHost$/m);
});

test('delete --wait=false by name and by file prints kind/name deleted, or deletion requested with finalizers', async () => {
  const { run, store } = setup();
  await run(['apply', '-f', '-'], { stdin: HOST('h1') + '---\n' + HOST('h2', '10.0.0.2') });
  await store.addFinalizer('DockerHost', 'h2', 'swarmop.io/test');
  const r = await run(['delete', '-f', '-', '--wait=false'], { stdin: HOST('h1') + '---\n' + HOST('h2', '10.0.0.2') });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'dockerhost/h1 deleted\ndockerhost/h2 deletion requested\n');
  const again = await run(['delete', 'dh', 'h1']);
  assert.equal(again.code, 3);
  assert.equal((await run(['delete', 'dh', 'h1', '--ignore-not-found'])).code, 0);
});

test('wait succeeds once Ready is observed for the current generation, and times out with exit 6', async () => {
  const { run, store } = setup();
  const timeout = await run(['wait', 'dh/h1', '--for=condition=Ready', '--timeout=300ms']);
  assert.equal(timeout.code, 6);
  assert.match(timeout.err, /^error: timed out after 300ms waiting for condition Ready=True\n {2}dockerhost\/h1: it does not exist\n$/);

  const waiting = run(['wait', 'dockerhost/h1', '--for=condition=Ready', '--timeout=10s']);
  await run(['apply', '-f', '-'], { stdin: HOST('h1') });
  await run(['apply', '-f', '-'], { stdin: HOST('h1', '10.0.0.5') }); // generation 2
  const h1 = (await store.get('DockerHost', 'h1'))!;
  const ready = (g: number) => ({
    observedGeneration: g,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'R', message: '', lastTransitionTime: new Date().toISOString(), observedGeneration: g },
    ],
  });
  await store.updateStatus(h1, ready(1)); // stale: must not count
  await new Promise((r) => setTimeout(r, 100));
  await store.updateStatus(h1, ready(2));
  const done = await waiting;
  assert.equal(done.code, 0, done.err);
  assert.equal(done.out, 'dockerhost/h1 condition met\n');

  const del = run(['wait', 'dh/h1', '--for=delete', '--timeout=10s']);
  await run(['delete', 'dh', 'h1']);
  assert.equal((await del).out, 'dockerhost/h1 deleted\n');
});

test('wait -l and --all wait for the objects that match when the wait starts; none matching is an error (exit 3)', async () => {
  const { run, store } = setup();
  await run(['apply', '-f', '-'], {
    stdin: HOST('h1') + '---\n' + HOST('h2', '10.0.0.2', 'role: manager') + '---\n' + HOST('h3', '10.0.0.3', 'role: manager'),
  });
  const none = await run(['wait', 'dh', '-l', 'role=absent', '--for=delete', '--timeout=1s']);
  assert.deepEqual([none.code, none.err], [3, 'error: no matching resources found\n']);
  const named = await run(['wait', 'dh', '--for=delete', '--timeout=1s']);
  assert.equal(named.code, 2);
  const managers = run(['wait', 'dh', '-l', 'role=manager', '--for=delete', '--timeout=10s']);
  await new Promise((r) => setTimeout(r, 100));
  await store.delete('DockerHost', 'h2');
  await store.delete('DockerHost', 'h3');
  assert.equal((await managers).out, 'dockerhost/h2 deleted\ndockerhost/h3 deleted\n');
  const all = run(['wait', 'dockerhost', '--all', '--for=delete', '--timeout=10s']);
  await new Promise((r) => setTimeout(r, 100));
  await store.delete('DockerHost', 'h1');
  const done = await all;
  assert.deepEqual([done.code, done.out], [0, 'dockerhost/h1 deleted\n']);
});

test('get -w prints the table then a row per change until aborted', async () => {
  const { run, openStore } = setup();
  await run(['apply', '-f', '-'], { stdin: HOST('h1') });
  const ac = new AbortController();
  const io = captureIo({ env: { SWARMOP_PREFIX: 'unit/' }, signal: ac.signal });
  const watching = main(['get', 'dh', '-w'], io, { openStore });
  await waitUntil('initial row', () => /^h1 /m.test(io.out));
  await run(['apply', '-f', '-'], { stdin: HOST('h2', '10.0.0.2') });
  await waitUntil('row of the new object', () => /^h2 /m.test(io.out));
  await run(['delete', 'dh', 'h1']);
  await waitUntil('deleted row', () => /^h1 .*Deleted/m.test(io.out));
  ac.abort();
  assert.equal(await watching, 0);
  assert.equal(io.out.match(/^NAME/gm)?.length, 1, 'header printed once');
});

test('events lists recorded events and -w streams new ones', async () => {
  const { run, store, openStore } = setup();
  await run(['apply', '-f', '-'], { stdin: HOST('h1') });
  const ref = { kind: 'DockerHost', name: 'h1' };
  await store.recordEvent(ref, { type: 'Warning', reason: 'Unreachable', message: 'dial tcp 10.0.0.1:2375', source: 'test' });
  const listed = await run(['events']);
  assert.match(
    listed.out,
    /^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\n\S+ +Warning +Unreachable +dockerhost\/h1 +dial tcp 10\.0\.0\.1:2375\n$/,
  );
  assert.match(
    (await run(['describe', 'dh', 'h1'])).out,
    /^Events:\n {2}TYPE +REASON +AGE +FROM +MESSAGE\n {2}Warning +Unreachable +0s +test +dial tcp 10\.0\.0\.1:2375$/m,
  );
  assert.equal((await run(['events', 'sia'])).err, 'No events found.\n');

  const ac = new AbortController();
  const io = captureIo({ env: { SWARMOP_PREFIX: 'unit/' }, signal: ac.signal });
  const watching = main(['events', 'dockerhost', 'h1', '-w'], io, { openStore });
  await waitUntil('existing event', () => /Unreachable/.test(io.out));
  await store.recordEvent(ref, { type: 'Normal', reason: 'Reachable', message: 'engine 20.10.24', source: 'test' });
  await waitUntil('new event', () => /Reachable +dockerhost\/h1 +engine/.test(io.out));
  ac.abort();
  assert.equal(await watching, 0);
  assert.equal(io.out.match(/^LAST SEEN/gm)?.length, 1);
});

test('apply --watch re-applies changed files and prunes removed ones only with --prune', async (t) => {
  const { run, store, openStore } = setup();
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-watch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'h1.yaml'), HOST('h1'));
  await writeFile(path.join(dir, 'h2.yaml'), HOST('h2', '10.0.0.2'));

  const ac = new AbortController();
  const io = captureIo({ env: { SWARMOP_PREFIX: 'unit/' }, signal: ac.signal, cwd: dir });
  const watching = main(['apply', '-f', '.', '--watch', '--prune'], io, { openStore });
  await waitUntil('watch ready', () => /watching/.test(io.err));
  assert.match(io.out, /^dockerhost\/h1 created\ndockerhost\/h2 created\n/);

  await writeFile(path.join(dir, 'h1.yaml'), HOST('h1', '10.0.0.8'));
  await waitUntil('re-apply of the edited file', () => /dockerhost\/h1 configured/.test(io.out));
  assert.equal((await store.get('DockerHost', 'h1'))?.spec.address, '10.0.0.8');

  await writeFile(path.join(dir, 'h1.yaml'), 'kind: [');
  await waitUntil('error of the broken edit', () => /h1\.yaml:\d+:\d+: /.test(io.err));

  await unlink(path.join(dir, 'h2.yaml'));
  await waitUntil('prune of the removed file', () => /dockerhost\/h2 pruned \(file removed\)/.test(io.out));
  assert.equal(await store.get('DockerHost', 'h2'), undefined);
  ac.abort();
  assert.equal(await watching, 0);
  await run(['get', 'dh', 'h1']);
});

test('apply --watch --prune --applyset prunes by the set recorded in the store, as a one-shot apply does', async (t) => {
  const { run, store, openStore } = setup();
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-watch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Applied to the set by another working copy, and one object outside the set.
  assert.equal((await run(['apply', '-f', '-', '--applyset', 'web'], { stdin: HOST('h3', '10.0.0.3') })).code, 0);
  assert.equal((await run(['apply', '-f', '-'], { stdin: HOST('outside', '10.0.0.9') })).code, 0);
  await writeFile(path.join(dir, 'h1.yaml'), HOST('h1'));
  await writeFile(path.join(dir, 'h2.yaml'), HOST('h2', '10.0.0.2'));
  const ac = new AbortController();
  const io = captureIo({ env: { SWARMOP_PREFIX: 'unit/' }, signal: ac.signal, cwd: dir });
  const watching = main(['apply', '-f', '.', '--watch', '--prune', '--applyset', 'web'], io, { openStore });
  await waitUntil('watch ready', () => /watching/.test(io.err));
  assert.equal(io.out, 'dockerhost/h1 created\ndockerhost/h2 created\ndockerhost/h3 pruned\n');
  await unlink(path.join(dir, 'h2.yaml'));
  await waitUntil('prune of the removed file', () => /dockerhost\/h2 pruned/.test(io.out));
  ac.abort();
  assert.equal(await watching, 0);
  assert.deepEqual(
    (await store.list('DockerHost')).map((r) => r.metadata.name),
    ['h1', 'outside'],
  );
});

test('without --prune a removed file deletes nothing and says so', async (t) => {
  const { store, openStore } = setup();
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-watch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'h1.yaml'), HOST('h1'));
  const ac = new AbortController();
  const io = captureIo({ env: { SWARMOP_PREFIX: 'unit/' }, signal: ac.signal, cwd: dir });
  const watching = main(['apply', '-f', dir, '--watch'], io, { openStore });
  await waitUntil('watch ready', () => /watching/.test(io.err));
  await unlink(path.join(dir, 'h1.yaml'));
  await waitUntil('notice', () => /dockerhost\/h1 is no longer declared \(file removed\); not deleted \(use --prune\)/.test(io.err));
  assert.ok(await store.get('DockerHost', 'h1'));
  ac.abort();
  assert.equal(await watching, 0);
});

test('usage errors exit 2, help and version exit 0', async () => {
  const { run } = setup();
  assert.equal((await run([])).code, 2);
  assert.equal((await run(['frobnicate'])).code, 2);
  assert.equal((await run(['apply'])).code, 2);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Exit codes:\n {2}0 {2}success/);
  assert.match((await run(['version'])).out, /^swarmop \d+\.\d+\.\d+/);
  assert.match((await run(['explain', 'sia.spec.address'])).out, /FIELD: +address/);
  assert.equal((await run(['explain', 'pods'])).code, 2);
});

test('the root help lists the consul CLI connection flags the CLI takes, and --consul-addr as another name', async () => {
  const { run } = setup();
  const help = (await run(['--help'])).out;
  const listed = [...help.matchAll(/^ {2}(--[a-z-]+) </gm)].map((m) => m[1]);
  assert.deepEqual(listed, [
    '--prefix',
    '--consul-addr',
    '--http-addr',
    '--token',
    '--token-file',
    '--ca-file',
    '--ca-path',
    '--client-cert',
    '--client-key',
    '--tls-server-name',
    '--context',
    '--config-file',
  ]);
  // A subcommand's help keeps its own options only.
  assert.doesNotMatch((await run(['get', '--help'])).out, /--http-addr/);
  // `config set-context` still owns its --token option (a context field, not the connection flag).
  assert.match((await run(['config', 'set-context', '--help'])).out, /--token <value> +like CONSUL_HTTP_TOKEN/);
});

test('CONSUL_HTTP_SSL_VERIFY=false is said on stderr before the command talks to the store', async () => {
  const io = captureIo({ env: { CONSUL_HTTP_ADDR: 'https://127.0.0.1:1', CONSUL_HTTP_SSL_VERIFY: 'false', SWARMOP_PREFIX: 'x/' } });
  const code = await main(['get', 'dockerhosts'], io);
  assert.equal(code, 5, io.err);
  assert.match(io.err, /^warning: CONSUL_HTTP_SSL_VERIFY=false: the store Consul's certificate is not verified/);
  const verified = captureIo({ env: { CONSUL_HTTP_ADDR: 'https://127.0.0.1:1', SWARMOP_PREFIX: 'x/' } });
  await main(['get', 'dockerhosts'], verified);
  assert.doesNotMatch(verified.err, /warning/);
});
