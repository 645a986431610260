/**
 * kubectl's apply habits through main(argv) against a REAL Consul agent (each test on its own
 * prefix): edits by hand survive a re-apply, a field dropped from a manifest goes, two field
 * managers conflict, a one-shot prune by applyset from two working copies, and history/rollback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import type { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { revisionsKey } from '../store/store-keys.js';
import { useRealConsul } from '../../testing/harness/real-consul.js';
import { captureIo } from '../../testing/util/capture-io.js';
import { main } from './main.js';

let agent: ConsulAgentHandle;
let kv: ConsulKv;
let counter = 0;
useRealConsul((a, k) => ((agent = a), (kv = k)));

function newPrefix(): string {
  counter += 1;
  return `apply3-${process.pid}-${counter}/`;
}

async function run(prefix: string, argv: string[], opts: { stdin?: string; cwd?: string } = {}) {
  const env = { CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix, PATH: process.env.PATH };
  const io = captureIo({ env, cwd: opts.cwd ?? process.cwd(), ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}) });
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

const HOSTS = `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: consul01
spec:
  endpoint: tcp://192.168.116.112:2375
  address: 192.168.116.112
---
apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: consul02
spec:
  endpoint: tcp://192.168.116.113:2375
  address: 192.168.116.113
`;

const sia = (name: string, address: string, extra = '', labels = ''): string => `apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata:
  name: ${name}
${labels}spec:
  host: consul01
  container: ${name}
  bridge: br0
  address: ${address}
${extra}`;

test('label, annotate and patch by hand survive a re-apply; a label and a spec field removed from the manifest are removed', async () => {
  const prefix = newPrefix();
  const store = new ResourceStore({ kv, prefix });
  const v1 = sia('ubuntu114', '192.168.116.114/24', '  uplink: eth0\n', '  labels:\n    tier: web\n');
  let r = await run(prefix, ['apply', '-f', '-'], { stdin: HOSTS + '---\n' + v1 });
  assert.equal(r.code, 0, r.err);
  assert.equal((await run(prefix, ['label', 'sia', 'ubuntu114', 'rack=r2'])).code, 0);
  assert.equal((await run(prefix, ['annotate', 'sia', 'ubuntu114', 'owner=ops'])).code, 0);
  assert.equal((await run(prefix, ['patch', 'sia', 'ubuntu114', '-p', '{"spec":{"mac":"02:42:c0:a8:74:72"}}'])).code, 0);

  // Same manifest again: nothing the manifest never set is touched.
  r = await run(prefix, ['apply', '-f', '-'], { stdin: v1 });
  assert.equal(r.out, 'staticipattachment/ubuntu114 unchanged\n');
  // Without the tier label and the uplink.
  const v2 = sia('ubuntu114', '192.168.116.114/24');
  r = await run(prefix, ['diff', '-f', '-'], { stdin: v2 });
  assert.equal(r.code, 1, r.err);
  assert.equal(
    r.out,
    [
      '--- live/staticipattachment/ubuntu114',
      '+++ merged/staticipattachment/ubuntu114',
      '@@ -4,7 +4,6 @@',
      '   name: ubuntu114',
      '   labels:',
      '     rack: r2',
      '-    tier: web',
      '   annotations:',
      '     owner: ops',
      ' spec:',
      '@@ -14,4 +13,3 @@',
      '   host: consul01',
      '   interface: eth1',
      '   mac: 02:42:c0:a8:74:72',
      '-  uplink: eth0',
      '',
    ].join('\n'),
  );
  r = await run(prefix, ['apply', '-f', '-'], { stdin: v2 });
  assert.equal(r.out, 'staticipattachment/ubuntu114 configured\n');
  const live = (await store.get('StaticIPAttachment', 'ubuntu114'))!;
  assert.deepEqual(live.metadata.labels, { rack: 'r2' });
  assert.equal(live.metadata.annotations?.owner, 'ops');
  assert.deepEqual(live.spec, {
    host: 'consul01',
    container: 'ubuntu114',
    bridge: 'br0',
    address: '192.168.116.114/24',
    interface: 'eth1',
    mac: '02:42:c0:a8:74:72',
  });
  assert.equal((await run(prefix, ['diff', '-f', '-'], { stdin: v2 })).code, 0);
  r = await run(prefix, ['apply', 'view-last-applied', 'sia/ubuntu114', '-o', 'json']);
  assert.deepEqual(JSON.parse(r.out), {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name: 'ubuntu114' },
    spec: { host: 'consul01', container: 'ubuntu114', bridge: 'br0', address: '192.168.116.114/24' },
  });
});

test('two managers applying one field: a conflict (exit 4, nothing written); --force-conflicts takes it over', async () => {
  const prefix = newPrefix();
  assert.equal(
    (await run(prefix, ['apply', '-f', '-', '--field-manager', 'ci'], { stdin: HOSTS + '---\n' + sia('ubuntu114', '192.168.116.114/24') }))
      .code,
    0,
  );
  const theirs = sia('ubuntu114', '192.168.116.120/24');
  let r = await run(prefix, ['apply', '-f', '-', '--field-manager', 'laptop'], { stdin: theirs });
  assert.equal(r.code, 4);
  assert.equal(
    r.err,
    'error: staticipattachment/ubuntu114: conflict with "ci" (it applied these fields last): .spec.address; apply them with --force-conflicts to take them over\n',
  );
  assert.equal((await run(prefix, ['get', 'sia/ubuntu114', '-o', 'jsonpath={.spec.address}'])).out, '192.168.116.114/24');
  assert.equal(
    (await run(prefix, ['diff', '-f', '-', '--field-manager', 'laptop'], { stdin: theirs })).code,
    4,
    'diff reports the conflict too',
  );
  r = await run(prefix, ['apply', '-f', '-', '--field-manager', 'laptop', '--force-conflicts'], { stdin: theirs });
  assert.equal(r.out, 'staticipattachment/ubuntu114 configured\n', r.err);
  const now = JSON.parse((await run(prefix, ['get', 'sia/ubuntu114', '-o', 'json'])).out);
  assert.deepEqual([now.metadata.annotations['swarmop.io/last-applied-manager'], now.spec.address], ['laptop', '192.168.116.120/24']);
  r = await run(prefix, ['apply', '-f', '-', '--field-manager', 'ci'], { stdin: sia('ubuntu114', '192.168.116.114/24') });
  assert.equal(r.code, 4, 'now ci conflicts with laptop');
  assert.match(r.err, /conflict with "laptop"/);
});

test("apply --prune --applyset from two working copies prunes exactly the deleted file's object; a selector matching nothing prunes nothing", async () => {
  const prefix = newPrefix();
  const base = await mkdtemp(path.join(tmpdir(), 'swarmop-applyset-'));
  try {
    const copies = [path.join(base, 'a'), path.join(base, 'b')];
    for (const dir of copies) {
      await mkdir(dir);
      await writeFile(path.join(dir, 'hosts.yaml'), HOSTS);
      await writeFile(path.join(dir, 'ubuntu114.yaml'), sia('ubuntu114', '192.168.116.114/24'));
      await writeFile(path.join(dir, 'ubuntu119.yaml'), sia('ubuntu119', '192.168.116.119/24'));
    }
    // Outside the set: applied without --applyset, and matching no selector below.
    assert.equal((await run(prefix, ['apply', '-f', '-'], { stdin: sia('outside', '192.168.116.130/24') })).code, 0);
    let r = await run(prefix, ['apply', '-f', copies[0]!, '--prune', '--applyset', 'fleet', '--field-manager', 'ci']);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      (await run(prefix, ['get', 'dh,sia', '-l', 'applyset.swarmop.io/part-of=fleet', '-o', 'name'])).out,
      'dockerhost/consul01\ndockerhost/consul02\nstaticipattachment/ubuntu114\nstaticipattachment/ubuntu119\n',
      'the set is recorded in the store, visible with get',
    );

    // The other working copy deleted a file.
    await rm(path.join(copies[1]!, 'ubuntu119.yaml'));
    r = await run(prefix, ['apply', '-f', copies[1]!, '--prune', '--applyset', 'fleet', '--field-manager', 'ci', '--dry-run=server']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      r.out.split('\n').filter((l) => l.includes('prune')),
      ['staticipattachment/ubuntu119 pruned (server dry run)'],
    );
    assert.equal((await run(prefix, ['get', 'sia', 'ubuntu119', '-o', 'name'])).code, 0, 'a dry run deletes nothing');
    r = await run(prefix, ['apply', '-f', copies[1]!, '--prune', '--applyset', 'fleet', '--field-manager', 'ci']);
    assert.equal(
      r.out,
      'dockerhost/consul01 unchanged\ndockerhost/consul02 unchanged\nstaticipattachment/ubuntu114 unchanged\nstaticipattachment/ubuntu119 pruned\n',
      r.err,
    );
    assert.equal((await run(prefix, ['get', 'sia', '-o', 'name'])).out, 'staticipattachment/outside\nstaticipattachment/ubuntu114\n');
    assert.equal(await kv.get(revisionsKey(prefix, 'StaticIPAttachment', 'ubuntu119')), undefined, 'its revisions went with it');

    // Both given: the set is the applyset's members that match the selector (none here).
    r = await run(prefix, [
      'apply',
      '-f',
      path.join(copies[1]!, 'hosts.yaml'),
      '--prune',
      '--applyset',
      'fleet',
      '-l',
      'absent=yes',
      '--field-manager',
      'ci',
    ]);
    assert.equal(r.out, 'dockerhost/consul01 unchanged\ndockerhost/consul02 unchanged\n', r.err);
    assert.equal((await run(prefix, ['get', 'sia', '-o', 'name'])).out, 'staticipattachment/outside\nstaticipattachment/ubuntu114\n');

    r = await run(prefix, ['apply', '-f', copies[1]!, '--prune']);
    assert.equal(r.code, 2);
    assert.equal(r.err, 'error: --prune needs --applyset NAME or -l SELECTOR (or --watch): it never deletes objects outside a set\n');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('history after three applies lists three revisions; rollback --to-revision 1 restores the first spec compare-and-set', async () => {
  const prefix = newPrefix();
  const store = new ResourceStore({ kv, prefix });
  for (const address of ['192.168.116.114/24', '192.168.116.120/24', '192.168.116.121/24']) {
    const r = await run(prefix, ['apply', '-f', '-', '--field-manager', 'ci'], { stdin: HOSTS + '---\n' + sia('ubuntu114', address) });
    assert.equal(r.code, 0, r.err);
  }
  let r = await run(prefix, ['history', 'sia/ubuntu114']);
  const rows = r.out
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/ {3,}/));
  assert.deepEqual(
    rows.map((c) => [c[0], c[2], c[3]]),
    [
      ['REVISION', 'MANAGER', 'CHANGE'],
      ['1', 'ci', 'created'],
      ['2', 'ci', 'spec.address'],
      ['3', 'ci', 'spec.address (current)'],
    ],
  );
  r = await run(prefix, ['history', 'sia/ubuntu114', '--revision', '1', '-o', 'json']);
  assert.equal(JSON.parse(r.out).spec.address, '192.168.116.114/24');
  r = await run(prefix, ['rollback', 'sia/ubuntu114', '--to-revision', '1']);
  assert.equal(r.out, 'staticipattachment/ubuntu114 rolled back to revision 1\n', r.err);
  const live = (await store.get('StaticIPAttachment', 'ubuntu114'))!;
  assert.equal(live.spec.address, '192.168.116.114/24');
  assert.equal(live.metadata.generation, 4);
  const revs = await store.revisions('StaticIPAttachment', 'ubuntu114');
  assert.deepEqual(
    revs.map((v) => [v.revision, v.change]),
    [
      [1, 'created'],
      [2, 'spec.address'],
      [3, 'spec.address'],
      [4, 'rollback to revision 1'],
    ],
  );
  assert.match(revs[3]!.manager, /^.+@.+$/, 'a rollback names user@host');
  // Without --to-revision: the one before the current.
  r = await run(prefix, ['rollback', 'sia', 'ubuntu114']);
  assert.equal(r.out, 'staticipattachment/ubuntu114 rolled back to revision 3\n', r.err);
  r = await run(prefix, ['rollback', 'sia/ubuntu114', '--to-revision', '9']);
  assert.deepEqual([r.code, r.err], [3, 'error: staticipattachment/ubuntu114 has no revision 9 (kept: 1, 2, 3, 4, 5)\n']);
  assert.equal((await run(prefix, ['delete', 'sia/ubuntu114'])).code, 0);
  assert.equal(await kv.get(revisionsKey(prefix, 'StaticIPAttachment', 'ubuntu114')), undefined, 'revisions are deleted with their object');
});
