/**
 * kubectl's habits, each run through main(argv) against a REAL Consul agent (one per file, each
 * test on its own prefix): resource arguments, output options, edit/patch/label/annotate, delete
 * by selector and with --wait, api-resources, completion, help examples, READY reasons and event
 * sources, diff's exit codes, offline validation, and config contexts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import type { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { useRealConsul } from '../../testing/harness/real-consul.js';
import { main, buildProgram } from './main.js';
import { captureIo } from '../../testing/util/capture-io.js';
import { createContext } from './program/cli-context.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const execFileP = promisify(execFile);

let agent: ConsulAgentHandle;
let kv: ConsulKv;
let counter = 0;
useRealConsul((a, k) => ((agent = a), (kv = k)));

function newPrefix(): string {
  counter += 1;
  return `habits-${process.pid}-${counter}/`;
}

type Env = Record<string, string | undefined>;

async function run(prefix: string, argv: string[], opts: { stdin?: string; env?: Env; cwd?: string } = {}) {
  const env: Env = { CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix, PATH: process.env.PATH, ...opts.env };
  const io = captureIo({ env, cwd: opts.cwd ?? REPO, ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}) });
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

async function withSamples(): Promise<{ prefix: string; store: ResourceStore }> {
  const prefix = newPrefix();
  const r = await run(prefix, ['apply', '-f', 'manifests']);
  assert.equal(r.code, 0, r.err);
  return { prefix, store: new ResourceStore({ kv, prefix }) };
}

const cols = (line: string): string[] => line.trim().split(/ {2,}/);

test('get takes KIND/NAME, kind lists and several names; a missing name is reported after the found ones (exit 3)', async () => {
  const { prefix } = await withSamples();
  let r = await run(prefix, ['get', 'sia/ubuntu114']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trimEnd().split('\n').map(cols), [
    ['NAME', 'HOST', 'CONTAINER', 'ADDRESS', 'READY', 'AGE'],
    ['ubuntu114', 'consul01', 'ubuntu114', '192.168.116.114/24', 'Unknown', '0s'],
  ]);
  r = await run(prefix, ['get', 'dh,sia', '-o', 'name']);
  assert.equal(
    r.out,
    'dockerhost/consul01\ndockerhost/consul02\ndockerhost/consulsvr\nstaticipattachment/ubuntu114\nstaticipattachment/ubuntu119\n',
  );
  r = await run(prefix, ['get', 'dh,sia']);
  assert.match(r.out, /^NAME +ENDPOINT.*\ndockerhost\/consul01 .*\n(.*\n){2}\nNAME +HOST .*\nstaticipattachment\/ubuntu114 /);
  r = await run(prefix, ['get', 'sia/ubuntu114', 'dh/consul01', 'sia/nope', '-o', 'name']);
  assert.equal(r.code, 3);
  assert.equal(r.out, 'staticipattachment/ubuntu114\ndockerhost/consul01\n');
  assert.equal(r.err, 'error: staticipattachments "nope" not found\n');
  r = await run(prefix, ['get', 'all', '-o', 'name']);
  assert.equal(r.out.split('\n').filter(Boolean).length, 7, 'get all still lists every kind');
  r = await run(prefix, ['get', 'dh,sia', 'consul01']);
  assert.equal(r.code, 2);
  assert.match(r.err, /names need exactly one resource type/);
  r = await run(prefix, ['get', 'events']);
  assert.equal(r.code, 2);
  assert.equal(r.err, 'error: events are not a resource type here: use swarmop events [KIND [NAME]] (-w to follow)\n');
});

test('get and describe -f FILE|DIR show the objects the manifests name; a missing one exits 3 after the found ones', async () => {
  const { prefix } = await withSamples();
  let r = await run(prefix, ['get', '-f', 'manifests/30-staticipattachments.yaml', '-o', 'name']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'staticipattachment/ubuntu114\nstaticipattachment/ubuntu119\n');
  r = await run(prefix, ['get', '-f', 'manifests', '-o', 'name']);
  assert.equal(r.out.split('\n').filter(Boolean).length, 7);
  r = await run(prefix, ['describe', '-f', 'manifests/00-dockerhosts.yaml']);
  assert.deepEqual(
    r.out.match(/^Name: +(\S+)$/gm)?.map((l) => l.split(/ +/)[1]),
    ['consulsvr', 'consul01', 'consul02'],
  );
  await run(prefix, ['delete', 'sia', 'ubuntu119']);
  r = await run(prefix, ['get', '-f=manifests/30-staticipattachments.yaml']);
  assert.equal(r.code, 3);
  assert.match(r.out, /^ubuntu114 /m);
  assert.equal(r.err, 'error: staticipattachments "ubuntu119" not found\n');
  r = await run(prefix, ['get', 'sia', '-f', 'manifests']);
  assert.equal(r.code, 2);
  assert.match(r.err, /give either -f or resources, not both/);
});

test('-o jsonpath, custom-columns, --no-headers, --show-labels and --sort-by', async () => {
  const { prefix } = await withSamples();
  let r = await run(prefix, ['get', 'sia', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.address}{"\\n"}{end}']);
  assert.equal(r.out, 'ubuntu114=192.168.116.114/24\nubuntu119=192.168.116.119/24\n');
  r = await run(prefix, ['get', 'sia/ubuntu119', '-o', 'jsonpath={.spec.host}']);
  assert.equal(r.out, 'consul02');
  r = await run(prefix, ['get', 'dh', '-o', 'jsonpath={.items[?(@.metadata.labels.role=="manager")].metadata.name}']);
  assert.equal(r.out, 'consulsvr');
  // kubectl's default --allow-missing-template-keys=true: a missing field prints nothing.
  r = await run(prefix, ['get', 'sia', '-o', 'jsonpath={.items[*].status.observedGeneration}|{.spec.nope}']);
  assert.deepEqual([r.code, r.out, r.err], [0, '|', '']);
  r = await run(prefix, ['get', 'sia', '-o', 'jsonpath={.spec.nope}', '--allow-missing-template-keys=false']);
  assert.equal(r.code, 2);
  assert.equal(r.err, 'error: jsonpath .spec.nope: not found\n');
  r = await run(prefix, ['get', 'dh', '-o', 'custom-columns=NAME:.metadata.name,ROLE:.metadata.labels.role,TLS:.spec.tls']);
  assert.deepEqual(r.out.trimEnd().split('\n').map(cols), [
    ['NAME', 'ROLE', 'TLS'],
    ['consul01', 'worker', '<none>'],
    ['consul02', 'worker', '<none>'],
    ['consulsvr', 'manager', '<none>'],
  ]);
  r = await run(prefix, ['get', 'dh', '--no-headers', '--show-labels', '--sort-by=.spec.address']);
  assert.deepEqual(
    r.out
      .trimEnd()
      .split('\n')
      .map((l) => [cols(l)[0], cols(l).at(-1)]),
    [
      ['consulsvr', 'role=manager'],
      ['consul01', 'role=worker'],
      ['consul02', 'role=worker'],
    ],
  );
  r = await run(prefix, ['get', 'dh', '--sort-by', '{.metadata.labels.role}', '-o', 'name']);
  assert.equal(r.out.split('\n')[0], 'dockerhost/consulsvr');
  r = await run(prefix, ['get', 'dh', '--sort-by', 'spec.address']);
  assert.equal(r.code, 2);
  assert.match(r.err, /must start with "\."/);
});

test('short options take their value after "=" as kubectl\'s do (-o=name, -l=k=v, -p=PATCH, -f=FILE); -A is accepted and lists everything', async () => {
  const { prefix, store } = await withSamples();
  let r = await run(prefix, ['get', 'dh', '-o=name', '-l=role=manager']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'dockerhost/consulsvr\n');
  r = await run(prefix, ['get', 'sia/ubuntu114', '-o=jsonpath={.spec.host}']);
  assert.equal(r.out, 'consul01');
  r = await run(prefix, [
    'patch',
    'sia',
    'ubuntu114',
    '--type=json',
    '-p=[{"op":"replace","path":"/spec/gateway","value":"192.168.116.254"}]',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(((await store.get('StaticIPAttachment', 'ubuntu114'))!.spec as { gateway: string }).gateway, '192.168.116.254');
  assert.equal((await run(prefix, ['diff', '-f=manifests'])).code, 1);
  r = await run(prefix, ['get', 'all', '-A', '-o', 'name']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split('\n').filter(Boolean).length, 7);
  r = await run(prefix, ['get', 'sia', '--all-namespaces', '--no-headers', '-o', 'custom-columns=N:.metadata.name']);
  assert.equal(r.out, 'ubuntu114\nubuntu119\n');
  r = await run(prefix, ['describe', 'dh', '-A']);
  assert.equal(r.out.match(/^Name:/gm)?.length, 3);
});

test("label selectors take kubectl's set-based terms: in, notin, key and !key", async () => {
  const { prefix } = await withSamples();
  await run(prefix, ['label', 'dh', 'consul02', 'tier=edge']);
  let r = await run(prefix, ['get', 'dh', '-o', 'name', '-l', 'role in (worker, manager),tier notin (edge)']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'dockerhost/consul01\ndockerhost/consulsvr\n');
  r = await run(prefix, ['get', 'dh', '-o', 'name', '-l', 'role in (worker),!tier']);
  assert.equal(r.out, 'dockerhost/consul01\n');
  r = await run(prefix, ['delete', 'dh', '-l', 'tier in (edge)']);
  assert.equal(r.out, 'dockerhost/consul02 deleted\n');
  r = await run(prefix, ['get', 'dh', '-l', 'role in worker']);
  assert.equal(r.code, 2);
  assert.match(r.err, /invalid label selector "role in worker"/);
});

test('-o yaml and json of a list are one List document; of one named object, the object', async () => {
  const { prefix } = await withSamples();
  const list = JSON.parse((await run(prefix, ['get', 'dh,sia', '-o', 'json'])).out);
  assert.equal(list.kind, 'List');
  assert.equal(list.apiVersion, 'v1');
  assert.deepEqual(
    list.items.map((i: { kind: string; metadata: { name: string } }) => `${i.kind}/${i.metadata.name}`),
    ['DockerHost/consul01', 'DockerHost/consul02', 'DockerHost/consulsvr', 'StaticIPAttachment/ubuntu114', 'StaticIPAttachment/ubuntu119'],
  );
  const yamlList = parseYaml((await run(prefix, ['get', 'sia', '-o', 'yaml'])).out);
  assert.equal(yamlList.kind, 'List');
  assert.equal(yamlList.items.length, 2);
  const one = parseYaml((await run(prefix, ['get', 'sia/ubuntu114', '-o', 'yaml'])).out);
  assert.equal(one.kind, 'StaticIPAttachment');
  // Nothing matches: still one (empty) List, so `| jq .items` and `| yq` keep working.
  const none = await run(prefix, ['get', 'sia', '-l', 'absent=yes', '-o', 'json']);
  assert.equal(none.code, 0, none.err);
  assert.deepEqual(JSON.parse(none.out), { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [] });
  assert.deepEqual(parseYaml((await run(newPrefix(), ['get', 'all', '-o', 'yaml'])).out).items, []);
  const names = await run(prefix, ['get', 'sia', '-l', 'absent=yes', '-o', 'jsonpath={.items[*].metadata.name}']);
  assert.deepEqual([names.code, names.out], [0, '']);
});

test('the List that get -o yaml|json prints is read back by apply, diff and validate (a backup restores)', async () => {
  const { prefix } = await withSamples();
  const yamlList = (await run(prefix, ['get', 'all', '-o', 'yaml'])).out;
  const jsonList = (await run(prefix, ['get', 'dh,sia', '-o', 'json'])).out;
  assert.equal((await run(prefix, ['diff', '-f', '-'], { stdin: yamlList })).code, 0);
  let r = await run(prefix, ['apply', '-f', '-'], { stdin: jsonList });
  assert.equal(r.code, 0, r.err);
  // Same spec, labels and annotations; the attachments' last-applied record changes (it now holds the defaults the List shows).
  assert.deepEqual(
    r.out.split('\n').filter((l) => l.endsWith(' configured')),
    ['staticipattachment/ubuntu114 configured', 'staticipattachment/ubuntu119 configured'],
  );
  assert.equal(r.out.split('\n').filter((l) => l.endsWith(' unchanged')).length, 3);
  r = await run(prefix, ['apply', '-f', '-'], { stdin: jsonList });
  assert.equal(r.out.split('\n').filter((l) => l.endsWith(' unchanged')).length, 5);
  const restored = newPrefix();
  r = await run(restored, ['apply', '-f', '-'], { stdin: yamlList });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split('\n').filter((l) => l.endsWith(' created')).length, 7);
  assert.equal((await run(restored, ['diff', '-f', 'manifests'])).code, 0);
  r = await run('offline/', ['validate', '-f', '-'], {
    stdin: yamlList.replace('gateway: 192.168.116.1\n', 'gateway: 10.0.0.1\n'),
    env: { CONSUL_HTTP_ADDR: '127.0.0.1:1' },
  });
  assert.equal(r.code, 2);
  assert.match(r.err, /^<stdin>:\d+:\d+: spec\.gateway: /m);
});

test('describe without a name describes every object of the kind; READY and FROM show the reason and the reporter', async () => {
  const { prefix, store } = await withSamples();
  const sia = (await store.get('StaticIPAttachment', 'ubuntu119'))!;
  const now = new Date().toISOString();
  await store.updateStatus(sia, {
    observedGeneration: 1,
    conditions: [{ type: 'Ready', status: 'False', reason: 'AddressConflict', message: 'also claimed by x', lastTransitionTime: now }],
  });
  await store.recordEvent(
    { kind: 'StaticIPAttachment', name: 'ubuntu119' },
    { type: 'Warning', reason: 'AddressConflict', message: 'also claimed by x', source: 'staticipattachment-controller' },
  );
  const all = await run(prefix, ['describe', 'sia']);
  assert.equal(all.code, 0, all.err);
  assert.deepEqual(all.out.match(/^Name: +(\S+)$/gm), ['Name:               ubuntu114', 'Name:               ubuntu119']);
  assert.match(
    all.out,
    /^Events:\n {2}TYPE +REASON +AGE +FROM +MESSAGE\n {2}Warning +AddressConflict +\d+s +staticipattachment-controller +also claimed by x$/m,
  );
  const get = await run(prefix, ['get', 'sia']);
  assert.deepEqual(
    get.out
      .trimEnd()
      .split('\n')
      .map((l) => cols(l)[4]),
    ['READY', 'Unknown', 'False (AddressConflict)'],
  );
  const one = await run(prefix, ['describe', 'sia/ubuntu119']);
  assert.equal(one.out.match(/^Name:/gm)?.length, 1);
});

test('label and annotate: set, refuse a change without --overwrite, change with it, remove with key-, select with -l and --all', async () => {
  const { prefix, store } = await withSamples();
  let r = await run(prefix, ['label', 'dh', 'consul01', 'zone=a']);
  assert.equal(r.out, 'dockerhost/consul01 labeled\n');
  r = await run(prefix, ['label', 'dh/consul01', 'zone=b']);
  assert.equal(r.code, 2);
  assert.match(r.err, /'zone' already has a value \(a\), and --overwrite is false/);
  assert.equal((await store.get('DockerHost', 'consul01'))!.metadata.labels?.zone, 'a');
  r = await run(prefix, ['label', 'dh/consul01', 'zone=b', '--overwrite']);
  assert.equal(r.code, 0, r.err);
  assert.equal((await store.get('DockerHost', 'consul01'))!.metadata.labels?.zone, 'b');
  r = await run(prefix, ['label', 'dh', 'consul01', 'zone=b']);
  assert.equal(r.out, 'dockerhost/consul01 not labeled\n');
  r = await run(prefix, ['label', 'dh', 'consul01', 'zone-']);
  assert.deepEqual((await store.get('DockerHost', 'consul01'))!.metadata.labels, { role: 'worker' });
  r = await run(prefix, ['label', 'dh', '-l', 'role=worker', 'tier=edge']);
  assert.equal(r.out, 'dockerhost/consul01 labeled\ndockerhost/consul02 labeled\n');
  r = await run(prefix, ['label', 'dh', '--all', 'fleet=lab']);
  assert.equal(r.out.split('\n').filter(Boolean).length, 3);
  r = await run(prefix, ['label', 'dh', 'consul01', 'bad key=x']);
  assert.equal(r.code, 2);
  r = await run(prefix, ['annotate', 'sia', 'ubuntu114', 'owner=team a']);
  assert.equal(r.out, 'staticipattachment/ubuntu114 annotated\n');
  r = await run(prefix, ['annotate', 'sia', 'ubuntu114', 'owner=ops']);
  assert.equal(r.code, 2);
  await run(prefix, ['annotate', 'sia', 'ubuntu114', 'owner=ops', '--overwrite']);
  const sia = (await store.get('StaticIPAttachment', 'ubuntu114'))!;
  const {
    'swarmop.io/last-applied-configuration': lastApplied,
    'swarmop.io/last-applied-manager': manager,
    ...byHand
  } = sia.metadata.annotations ?? {};
  assert.deepEqual(byHand, { owner: 'ops' });
  assert.deepEqual([typeof lastApplied, manager], ['string', 'swarmop'], "apply's record is kept next to the hand-made annotation");
  assert.equal(sia.metadata.generation, 1, 'metadata changes do not bump generation');
  await run(prefix, ['annotate', 'sia', 'ubuntu114', 'owner-']);
  assert.deepEqual(Object.keys((await store.get('StaticIPAttachment', 'ubuntu114'))!.metadata.annotations ?? {}), [
    'swarmop.io/last-applied-configuration',
    'swarmop.io/last-applied-manager',
  ]);
});

test('patch --type merge and json change the spec (generation +1) and clear a stuck finalizer, which deletes a terminating object', async () => {
  const { prefix, store } = await withSamples();
  let r = await run(prefix, ['patch', 'sia', 'ubuntu114', '-p', '{"spec":{"gateway":"192.168.116.254"}}']);
  assert.equal(r.out, 'staticipattachment/ubuntu114 patched\n');
  const sia = (await store.get('StaticIPAttachment', 'ubuntu114'))!;
  assert.equal((sia.spec as { gateway: string }).gateway, '192.168.116.254');
  assert.equal(sia.metadata.generation, 2);
  r = await run(prefix, [
    'patch',
    'sia/ubuntu114',
    '--type',
    'json',
    '-p',
    '[{"op":"replace","path":"/spec/gateway","value":"192.168.116.1"}]',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(((await store.get('StaticIPAttachment', 'ubuntu114'))!.spec as { gateway: string }).gateway, '192.168.116.1');
  r = await run(prefix, ['patch', 'sia', 'ubuntu114', '-p', '{"spec":{"gateway":"10.9.9.9"}}']);
  assert.equal(r.code, 2, 'a gateway outside the subnet is refused');
  assert.match(r.err, /gateway/);
  r = await run(prefix, ['patch', 'sia', 'ubuntu114', '-p', '{"status":{"observedGeneration":9}}']);
  assert.equal(r.code, 2);
  r = await run(prefix, ['patch', 'sia', 'ubuntu114', '--type', 'json', '-p', '[{"op":"test","path":"/spec/bridge","value":"br9"}]']);
  assert.equal(r.code, 2);
  assert.match(r.err, /test failed/);

  // The operator is gone and the finalizer it would remove is stuck.
  await store.addFinalizer('StaticIPAttachment', 'ubuntu114', 'swarmop.io/staticip');
  await store.addFinalizer('StaticIPAttachment', 'ubuntu119', 'swarmop.io/staticip');
  assert.equal((await run(prefix, ['delete', 'sia', 'ubuntu114', 'ubuntu119', '--wait=false'])).code, 0);
  r = await run(prefix, ['patch', 'sia', 'ubuntu114', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
  assert.equal(r.out, 'staticipattachment/ubuntu114 patched (last finalizer removed: deleted)\n');
  assert.equal(await store.get('StaticIPAttachment', 'ubuntu114'), undefined);
  r = await run(prefix, ['patch', 'sia', 'ubuntu119', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
  assert.equal(r.code, 0, r.err);
  assert.equal(await store.get('StaticIPAttachment', 'ubuntu119'), undefined);
  assert.deepEqual((await kv.list(`${prefix}status/`)).pairs, []);
});

test('delete -l, --all, and --wait (default) until finalizers ran, bounded by --timeout (exit 6)', async () => {
  const { prefix, store } = await withSamples();
  let r = await run(prefix, ['delete', 'dh', '-l', 'role=worker']);
  assert.equal(r.out, 'dockerhost/consul01 deleted\ndockerhost/consul02 deleted\n');
  r = await run(prefix, ['delete', 'sia']);
  assert.equal(r.code, 2, 'a kind alone needs -l or --all');
  await store.addFinalizer('StaticIPAttachment', 'ubuntu114', 'swarmop.io/staticip');
  const began = Date.now();
  r = await run(prefix, ['delete', 'sia', '--all', '--timeout=1s']);
  assert.equal(r.code, 6);
  assert.ok(Date.now() - began < 15_000, 'the --timeout ended the wait');
  assert.equal(r.out, 'staticipattachment/ubuntu114 deletion requested\nstaticipattachment/ubuntu119 deleted\n');
  assert.match(
    r.err,
    /timed out after 1s waiting for the deletion.*\n {2}staticipattachment\/ubuntu114: finalizers \["swarmop.io\/staticip"\]/,
  );
  // A controller removing its finalizer while delete waits: delete returns once the object is gone.
  await store.addFinalizer('DockerHost', 'consulsvr', 'swarmop.io/test');
  const waiting = run(prefix, ['delete', 'dh/consulsvr', '--timeout=20s']);
  await new Promise((res) => setTimeout(res, 300));
  await store.removeFinalizer('DockerHost', 'consulsvr', 'swarmop.io/test');
  r = await waiting;
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'dockerhost/consulsvr deletion requested\ndockerhost/consulsvr deleted\n');
});

async function editorFixture(): Promise<{ dir: string; env: Env }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-editor-'));
  const script = path.join(dir, 'editor.sh');
  await writeFile(
    script,
    `#!/bin/sh
n=$(cat "${dir}/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${dir}/count"
cp "$1" "${dir}/seen-$n.yaml"
if [ -f "${dir}/step-$n.sh" ]; then . "${dir}/step-$n.sh"; fi
exit 0
`,
  );
  await chmod(script, 0o755);
  return { dir, env: { EDITOR: script } };
}

test('edit saves through $EDITOR; an invalid spec re-opens the editor with the error; unchanged cancels', async () => {
  const { prefix, store } = await withSamples();
  const { dir, env } = await editorFixture();
  await writeFile(path.join(dir, 'step-1.sh'), `sed -i 's/gateway: 192.168.116.1$/gateway: 10.0.0.1/' "$1"\n`);
  await writeFile(path.join(dir, 'step-2.sh'), `sed -i 's/gateway: 10.0.0.1$/gateway: 192.168.116.254/' "$1"\n`);
  const r = await run(prefix, ['edit', 'sia', 'ubuntu114'], { env });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'staticipattachment/ubuntu114 edited\n');
  assert.match(r.err, /gateway/);
  const second = await readFile(path.join(dir, 'seen-2.yaml'), 'utf8');
  assert.match(
    second,
    /^# The edit could not be saved: 1 error\(s\) in the documents; nothing was written\n# StaticIPAttachment\/ubuntu114: spec\.gateway: .+\n/m,
  );
  assert.match(second, /^ {2}gateway: 10\.0\.0\.1$/m, 'the user text is kept on re-open');
  assert.equal(((await store.get('StaticIPAttachment', 'ubuntu114'))!.spec as { gateway: string }).gateway, '192.168.116.254');
  const none = await run(prefix, ['edit', 'sia/ubuntu119'], { env: { EDITOR: 'true' } });
  assert.equal(none.out, 'Edit cancelled, no changes made.\n');
  const failing = await run(prefix, ['edit', 'sia/ubuntu119'], { env: { EDITOR: 'false' } });
  assert.equal(failing.code, 2);
  assert.match(failing.err, /exited with 1; nothing was saved/);
});

test('edit re-opens on a conflict with the newer resourceVersion; saving again overwrites (compare-and-set)', async () => {
  const { prefix, store } = await withSamples();
  const { dir, env } = await editorFixture();
  await writeFile(
    path.join(dir, 'step-1.sh'),
    `touch "${dir}/opened"; while [ ! -f "${dir}/go" ]; do sleep 0.05; done\nsed -i 's/bridge: br0$/bridge: br1/' "$1"\n`,
  );
  const editing = run(prefix, ['edit', 'sia', 'ubuntu114'], { env });
  const end = Date.now() + 10_000;
  while (!existsSync(path.join(dir, 'opened'))) {
    assert.ok(Date.now() < end, 'editor opened');
    await new Promise((res) => setTimeout(res, 20));
  }
  const before = (await store.get('StaticIPAttachment', 'ubuntu114'))!.metadata.resourceVersion;
  assert.equal((await run(prefix, ['annotate', 'sia', 'ubuntu114', 'by=someone-else'])).code, 0);
  const newer = (await store.get('StaticIPAttachment', 'ubuntu114'))!.metadata.resourceVersion;
  await writeFile(path.join(dir, 'go'), '');
  const r = await editing;
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /has resourceVersion \d+, the document was read at \d+/);
  const second = await readFile(path.join(dir, 'seen-2.yaml'), 'utf8');
  assert.match(second, /^# Someone else changed staticipattachment\/ubuntu114 meanwhile/m);
  assert.match(second, new RegExp(`resourceVersion: "${newer}"`));
  assert.notEqual(before, newer);
  assert.equal(((await store.get('StaticIPAttachment', 'ubuntu114'))!.spec as { bridge: string }).bridge, 'br1');
});

test('api-resources lists every kind; completion scripts parse and complete commands, kinds and stored names', async () => {
  const { prefix } = await withSamples();
  const api = await run(prefix, ['api-resources']);
  assert.deepEqual(api.out.trimEnd().split('\n').map(cols), [
    ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'],
    ['dockerhosts', 'dh', 'swarmop.io/v1alpha1', 'false', 'DockerHost'],
    ['consulclusters', 'cc', 'swarmop.io/v1alpha1', 'false', 'ConsulCluster'],
    ['swarmclusters', 'sc', 'swarmop.io/v1alpha1', 'false', 'SwarmCluster'],
    ['staticipattachments', 'sia', 'swarmop.io/v1alpha1', 'false', 'StaticIPAttachment'],
    ['serviceaddresses', 'sa,svcaddr', 'swarmop.io/v1alpha1', 'false', 'ServiceAddresses'],
  ]);
  const bash = await run(prefix, ['completion', 'bash']);
  assert.equal(bash.code, 0);
  const zsh = await run(prefix, ['completion', 'zsh']);
  assert.match(zsh.out, /^#compdef swarmop\n/);
  assert.equal((await run(prefix, ['completion', 'fish'])).code, 2);
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-compl-'));
  await writeFile(path.join(dir, 'completion.bash'), bash.out);
  // A `swarmop` on PATH that runs this checkout's source, so names come from the real Consul.
  await writeFile(
    path.join(dir, 'swarmop'),
    `#!/bin/sh\nexec "${process.execPath}" --import tsx --input-type=module -e 'const m = await import("${REPO}src/cli/main.ts"); process.exitCode = await m.main(process.argv.slice(1));' -- "$@"\n`,
  );
  await chmod(path.join(dir, 'swarmop'), 0o755);
  const complete = async (words: string[]): Promise<string[]> => {
    const cmd = `source ${dir}/completion.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _swarmop; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await execFileP('bash', ['-c', cmd], {
      cwd: REPO,
      env: { PATH: `${dir}:${process.env.PATH}`, CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix, HOME: dir },
    });
    return stdout.split('\n').filter(Boolean).sort();
  };
  assert.deepEqual(await complete(['swarmop', 'ge']), ['get']);
  assert.deepEqual(await complete(['swarmop', 'get', 'si']), ['sia']);
  assert.deepEqual(await complete(['swarmop', 'describe', 'sia', 'ub']), ['ubuntu114', 'ubuntu119']);
  assert.deepEqual(await complete(['swarmop', 'delete', '--wa']), ['--wait']);
  assert.deepEqual(await complete(['swarmop', 'config', 'use']), ['use-context']);
});

test('output piped into a reader that closes early (| head, | true) ends quietly: no EPIPE stack, the work is done, a watch ends', async () => {
  const prefix = newPrefix();
  const home = await mkdtemp(path.join(tmpdir(), 'swarmop-pipe-'));
  const cli = `"${process.execPath}" --import tsx --input-type=module -e 'const m = await import("${REPO}src/cli/main.ts"); process.exitCode = await m.main(process.argv.slice(1));' --`;
  const sh = async (line: string): Promise<{ stderr: string; status: string }> => {
    const { stdout, stderr } = await execFileP('bash', ['-c', `${line}; echo "\${PIPESTATUS[0]}"`], {
      cwd: REPO,
      // HOME without a .bashrc: bash reads it when its stdin is a socket, as node's pipes are.
      env: { PATH: process.env.PATH, HOME: home, CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix },
      timeout: 60_000,
    });
    return { stderr, status: stdout.trim() };
  };
  assert.deepEqual(await sh(`${cli} apply -f manifests | true`), { stderr: '', status: '0' });
  assert.equal((await kv.list(`${prefix}objects/`)).pairs.length, 7, 'every document was applied although nobody read the output');
  assert.deepEqual(await sh(`${cli} get all -o yaml | true`), { stderr: '', status: '0' });
  assert.deepEqual(await sh(`${cli} get sia -w | true`), { stderr: '', status: '0' });
});

test("every command's --help has an Examples section", async () => {
  const io = captureIo({});
  const program = buildProgram(createContext(io, () => ({})));
  const names: string[] = [];
  const walk = (cmd: typeof program, pathWords: string[]): void => {
    for (const c of cmd.commands) {
      const words = [...pathWords, c.name()];
      names.push(words.join(' '));
      walk(c, words);
    }
  };
  walk(program, []);
  assert.ok(names.length >= 24, names.join(', '));
  assert.match((await run('unused/', ['--help'])).out, /\nExamples:\n {2}# .+\n {2}swarmop /);
  for (const words of names) {
    const r = await run('unused/', [...words.split(' '), '--help']);
    assert.equal(r.code, 0, words);
    assert.match(r.out, /\nExamples:\n {2}# .+\n {2}\S.*\n/, `swarmop ${words} --help has examples`);
  }
});

test('diff exits 0 same, 1 different, and >1 on any error (invalid input 2, Consul unreachable 5)', async () => {
  const { prefix } = await withSamples();
  assert.equal((await run(prefix, ['diff', '-f', 'manifests'])).code, 0);
  await run(prefix, ['patch', 'sia', 'ubuntu114', '-p', '{"spec":{"gateway":"192.168.116.254"}}']);
  assert.equal((await run(prefix, ['diff', '-f', 'manifests'])).code, 1);
  assert.equal((await run(prefix, ['diff', '-f', 'nope.yaml'])).code, 2);
  const down = await run(prefix, ['diff', '-f', 'manifests'], { env: { CONSUL_HTTP_ADDR: '127.0.0.1:1' } });
  assert.equal(down.code, 5, down.err);
});

test('validate -f and apply --dry-run=client check manifests with no Consul reachable', async () => {
  const env = { CONSUL_HTTP_ADDR: '127.0.0.1:1' };
  let r = await run('offline/', ['validate', '-f', 'manifests'], { env });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split('\n').filter((l) => l.endsWith(' valid')).length, 7);
  r = await run('offline/', ['apply', '-f', 'manifests', '--dry-run=client'], { env });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^warning: Consul is not reachable/m);
  assert.match(r.out, /^staticipattachment\/ubuntu114 valid \(dry run, offline\)$/m);
  const clash = `apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata: {name: other}
spec: {host: consul01, container: other, bridge: br0, address: 192.168.116.114/24, gateway: 192.168.116.1}
`;
  r = await run('offline/', ['validate', '-f', 'manifests', '-f', '-'], { env, stdin: clash });
  assert.equal(r.code, 2);
  assert.match(r.err, /staticipattachment\/other: address 192\.168\.116\.114 is also claimed by staticipattachment\/ubuntu114/);
  r = await run('offline/', ['validate', '-f', '-'], { env, stdin: clash.replace('consul01', 'elsewhere') });
  assert.equal(r.code, 0);
  assert.match(r.err, /^warning: staticipattachment\/other: refers to DockerHost "elsewhere"/m);
  r = await run('offline/', ['validate', '-f', 'testing/testdata/invalid/01-syntax-unclosed-flow.yaml'], { env });
  assert.equal(r.code, 2);
});

test('config contexts: set-context, use-context, get-contexts, current-context, --context; flag > env > context', async () => {
  const prefix = newPrefix();
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-config-'));
  const file = path.join(dir, 'config.yaml');
  const env: Env = { SWARMOP_CONFIG: file, CONSUL_HTTP_ADDR: undefined, SWARMOP_PREFIX: undefined };
  let r = await run(prefix, ['config', 'set-context', 'lab', '--address', agent.address, '--prefix', prefix], { env });
  assert.equal(r.out, 'Context "lab" created.\n');
  r = await run(
    prefix,
    ['config', 'set-context', 'dead', '--address', '127.0.0.1:1', '--ca-file', '/etc/ca.pem', '--ssl-verify', 'false'],
    { env },
  );
  assert.equal(r.code, 0, r.err);
  assert.equal((await run(prefix, ['config', 'current-context'], { env })).code, 3);
  r = await run(prefix, ['config', 'use-context', 'lab'], { env });
  assert.equal(r.out, 'Switched to context "lab".\n');
  assert.equal((await run(prefix, ['config', 'current-context'], { env })).out, 'lab\n');
  r = await run(prefix, ['config', 'get-contexts'], { env });
  const lines = r.out.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^CURRENT +NAME +ADDRESS +PREFIX$/);
  assert.match(lines[1]!, new RegExp(`^\\* +lab +${agent.address} +${prefix}$`));
  assert.match(lines[2]!, /^ +dead +127\.0\.0\.1:1$/);
  const saved = parseYaml(await readFile(file, 'utf8'));
  assert.deepEqual(saved.contexts[1], { name: 'dead', address: '127.0.0.1:1', caFile: '/etc/ca.pem', sslVerify: false });

  // The current context reaches the real Consul with its prefix; --context switches fleets.
  assert.equal((await run(prefix, ['apply', '-f', 'manifests/00-dockerhosts.yaml'], { env })).code, 0);
  assert.equal((await kv.list(`${prefix}objects/`)).pairs.length, 3);
  assert.equal((await run(prefix, ['--context', 'dead', 'get', 'dh'], { env })).code, 5);
  assert.equal((await run(prefix, ['get', 'dh', '--context', 'nope'], { env })).code, 2);
  // env beats the context, a flag beats env.
  assert.equal(
    (
      await run(prefix, ['--context', 'dead', 'get', 'dh', '-o', 'name'], {
        env: { ...env, CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix },
      })
    ).code,
    0,
  );
  assert.equal(
    (
      await run(prefix, ['--context', 'dead', '--consul-addr', agent.address, '--prefix', prefix, 'get', 'dh', '-o', 'name'], { env })
    ).out.split('\n').length,
    4,
  );
  r = await run(prefix, ['--context', 'dead', 'config', 'view'], { env });
  assert.equal(
    r.out,
    `configFile: ${file}\ncontext: dead\naddress: 127.0.0.1:1\ncaFile: /etc/ca.pem\nsslVerify: false\nprefix: swarmop/\n`,
  );
  // kubectl's `config set-context --current`: change the current context without naming it.
  r = await run(prefix, ['config', 'set-context', '--current', '--tls-server-name', 'consul.lab'], { env });
  assert.equal(r.out, 'Context "lab" modified.\n');
  assert.equal(parseYaml(await readFile(file, 'utf8')).contexts[0].tlsServerName, 'consul.lab');
  r = await run(prefix, ['config', 'set-context', '--current', 'lab'], { env });
  assert.equal(r.code, 2);
  r = await run(prefix, ['config', 'delete-context', 'dead'], { env });
  assert.equal(r.code, 0);
  assert.deepEqual((await run(prefix, ['config', 'get-contexts', '-o', 'name'], { env })).out, 'lab\n');
});

test('config: file paths of a context work from any folder (set-context stores them absolute; relative ones in the file are relative to it, ~/ is the home)', async () => {
  const prefix = newPrefix();
  assert.equal((await run(prefix, ['apply', '-f', 'manifests/00-dockerhosts.yaml'])).code, 0);
  const dir = await mkdtemp(path.join(tmpdir(), 'swarmop-config-'));
  const file = path.join(dir, 'config.yaml');
  await writeFile(path.join(dir, 'token'), 'anonymous\n');
  const env: Env = { SWARMOP_CONFIG: file, CONSUL_HTTP_ADDR: undefined, SWARMOP_PREFIX: undefined, HOME: dir };
  let r = await run(prefix, ['config', 'set-context', 'rel', '--address', agent.address, '--prefix', prefix, '--token-file', 'token'], {
    env,
    cwd: dir,
  });
  assert.equal(r.code, 0, r.err);
  assert.equal(parseYaml(await readFile(file, 'utf8')).contexts[0].tokenFile, path.join(dir, 'token'));
  r = await run(prefix, ['--context', 'rel', 'get', 'dh', '-o', 'name'], { env });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split('\n').filter(Boolean).length, 3);
  await writeFile(
    file,
    `contexts:\n  - {name: byhand, address: "${agent.address}", prefix: ${prefix}, tokenFile: token}\n  - {name: home, address: "${agent.address}", prefix: ${prefix}, tokenFile: ~/token}\n`,
  );
  r = await run(prefix, ['--context', 'byhand', 'get', 'dh', '-o', 'name'], { env });
  assert.equal(r.code, 0, r.err);
  r = await run(prefix, ['--context', 'home', 'config', 'view'], { env });
  assert.match(r.out, new RegExp(`^tokenFile: ${path.join(dir, 'token')}$`, 'm'));
  assert.equal((await run(prefix, ['--context', 'home', 'get', 'dh', '-o', 'name'], { env })).code, 0);
});
