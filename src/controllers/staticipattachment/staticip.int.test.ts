/**
 * StaticIPAttachment against the real lab (hack/lab.sh up): pipework's attachment across two DinD
 * hosts, each drift (restart, re-created container, eth1 deleted, address changed, bridge deleted)
 * broken by hand and repaired, converged = no-op, delete/finalize.
 * Uses its own labelled containers (io.swarmop.test=staticip) and addresses .201/.202, so the
 * reference topology's ubuntu114/ubuntu119 are left to the e2e specs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Resource, StaticIPAttachment } from '../../crds/index.js';
import { execInContainer } from '../../docker/exec.js';
import { enginesProblem, labSkip } from '../../../testing/lab/lab-precondition.js';
import { LAB_HOSTS, recordingContext } from '../../../testing/util/reconcile-context.js';
import { labSettings } from '../../../testing/lab/lab-settings.js';

/** The lab's hosts (.lab/env) after the first (the swarm manager / first Consul server). */
const [, H1, H2] = LAB_HOSTS.map((h) => h.name) as [string, string, string];
/** The lab's /24, e.g. 192.168.116 (SWARMOP_LAB_SUBNET). */
const NET = labSettings().netPrefix;
import { createStaticIPAttachmentReconciler } from './index.js';
import {
  addressInside,
  attachment,
  labReachable,
  removeContainer,
  removeLabelled,
  runWorkload,
  sh,
} from '../../../testing/lab/staticip-fixtures.js';
import { DEFAULT_HELPER_NAME } from '../../nethelper/net-helper.js';
import { HELPER_NETNS_DIR } from '../../nethelper/netns-file.js';
import { eventually } from '../../../testing/util/wait-until.js';

const ctx = recordingContext({ hosts: LAB_HOSTS });
const docker = (h: string) => ctx.hosts.get(h)!.docker;
const skip = labSkip(
  'staticip.int',
  await enginesProblem(LAB_HOSTS.filter((h) => h.name === H1 || h.name === H2).map((h) => ({ ...h, docker: docker(h.name) }))),
);

const reconciler = createStaticIPAttachmentReconciler({ labels: { 'io.swarmop.lab': '1' } });
const A = attachment('sia-it-a', {
  host: H1,
  container: 'sia-it-a',
  bridge: 'br0',
  uplink: 'eth0',
  address: `${NET}.201/24`,
  gateway: `${NET}.1`,
});
const B = attachment('sia-it-b', {
  host: H2,
  container: 'sia-it-b',
  bridge: 'br0',
  uplink: 'eth0',
  address: `${NET}.202/24`,
  gateway: `${NET}.1`,
});
// A bridge of its own (no uplink, owned) for the "bridge deleted" drift: deleting br0 itself would
// take the lab host's own address with it and cut the host off from everyone.
const C = attachment('sia-it-c', { host: H1, container: 'sia-it-c', bridge: 'br-siait', address: '10.77.1.5/24', ownBridge: true });
const D = attachment('sia-it-d', {
  host: H1,
  container: 'sia-it-d',
  bridge: 'br-siait',
  address: '10.77.1.6/24',
  mac: '02:77:00:01:00:06',
  ownBridge: true,
});

async function converge(o: StaticIPAttachment) {
  ctx.objects.set(`StaticIPAttachment/${o.metadata.name}`, o as unknown as Resource);
  const out = await reconciler.reconcile(o, ctx);
  o.status = { ...out.observed, conditions: out.conditions.map((c) => ({ ...c, lastTransitionTime: '' })) };
  return out;
}

/** Repairs recorded while `fn` ran (the tests run one reconcile at a time). */
async function repairsOf(fn: () => Promise<unknown>) {
  const before = ctx.repairs.length;
  await fn();
  return ctx.repairs.slice(before);
}

/** "By hand" on a host: a command in the host's network namespace (through the resident helper). */
async function onHost(host: string, argv: string[]) {
  const r = await execInContainer(docker(host), DEFAULT_HELPER_NAME, argv);
  assert.equal(r.exitCode, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
/** The container's netns file as the resident helper sees it (it has no host PIDs to enter a namespace by). */
const nsOf = async (o: StaticIPAttachment) =>
  `--net=${HELPER_NETNS_DIR}/${(await docker(o.spec.host).getContainer(o.spec.container).inspect()).NetworkSettings.SandboxKey.split('/').pop()}`;
const ping = (o: StaticIPAttachment, ip: string) =>
  eventually(
    `ping ${o.spec.container} -> ${ip}`,
    async () => (await sh(docker(o.spec.host), o.spec.container, ['ping', '-c', '1', '-W', '1', ip])) !== undefined,
    { timeoutMs: 10_000, intervalMs: 100 },
  );

async function assertNoOp(o: StaticIPAttachment) {
  const veth = async () =>
    JSON.parse(await onHost(o.spec.host, ['ip', '-j', 'link', 'show', 'dev', o.status!.hostVeth!]))[0].ifindex as number;
  const ifindex = await veth();
  const applied = o.status?.lastAppliedTime;
  const events = ctx.events.length;
  const repairs = await repairsOf(() => converge(o));
  assert.deepEqual(repairs, [], 'a converged attachment repairs nothing');
  assert.equal(ctx.events.length, events, 'and records no event');
  assert.equal(o.status?.lastAppliedTime, applied, 'and applies nothing');
  assert.equal(await veth(), ifindex, 'and keeps the same veth (no churn)');
}

// One suite per file: the lab suites run one after another in one process (hack/test.sh), where
// root-level hooks would run at the start and end of the whole chain instead of this file's.
describe('StaticIPAttachment reconciler on the lab', { concurrency: false }, () => {
  before(async () => {
    if (skip) return;
    await Promise.all([
      runWorkload(docker(H1), 'sia-it-a'),
      runWorkload(docker(H2), 'sia-it-b'),
      runWorkload(docker(H1), 'sia-it-c'),
      runWorkload(docker(H1), 'sia-it-d'),
    ]);
  });

  after(async () => {
    if (skip) return;
    for (const o of [A, B, C, D]) await reconciler.finalize(o, ctx).catch(() => undefined);
    await Promise.all([removeLabelled(docker(H1)), removeLabelled(docker(H2))]);
  });

  test('attaches containers on two hosts to br0 (uplink eth0) and they ping each other on their fixed addresses', { skip }, async () => {
    for (const o of [A, B]) {
      const out = await converge(o);
      assert.equal(out.conditions[0]?.status, 'True', out.conditions[0]?.message);
      assert.equal(await addressInside(docker(o.spec.host), o.spec.container), o.spec.address);
      assert.equal(o.status?.address, o.spec.address);
      assert.match(o.status?.hostVeth ?? '', /^swv[0-9a-f]{12}$/);
    }
    await ping(A, `${NET}.202`);
    await ping(B, `${NET}.201`);
    // The lab hosts still answer on their own address, now carried by br0.
    assert.ok(await labReachable(docker(H1)));
    assert.ok(await labReachable(docker(H2)));
  });

  test('a converged attachment is a no-op: no repair, no event, same veth', { skip }, async () => {
    await assertNoOp(A);
    await assertNoOp(B);
  });

  test('docker restart: eth1 is re-attached and the drift is named ContainerRestarted', { skip }, async () => {
    await docker(H1).getContainer('sia-it-a').restart({ t: 0 });
    const repairs = await repairsOf(() => converge(A));
    assert.deepEqual(
      repairs.map((r) => r.reason),
      ['ContainerRestarted'],
    );
    assert.equal(await addressInside(docker(H1), 'sia-it-a'), A.spec.address);
    await ping(A, `${NET}.202`);
    await assertNoOp(A);
  });

  test('docker rm -f and run again under the same name: attached again (ContainerRecreated)', { skip }, async () => {
    await runWorkload(docker(H1), 'sia-it-a');
    const repairs = await repairsOf(() => converge(A));
    assert.deepEqual(
      repairs.map((r) => r.reason),
      ['ContainerRecreated'],
    );
    await ping(A, `${NET}.202`);
  });

  test('eth1 deleted inside the container is re-created', { skip }, async () => {
    await onHost(H1, ['nsenter', await nsOf(A), 'ip', 'link', 'del', 'eth1']);
    const repairs = await repairsOf(() => converge(A));
    assert.deepEqual(
      repairs.map((r) => r.reason),
      ['InterfaceMissing'],
    );
    await ping(A, `${NET}.202`);
    await assertNoOp(A);
  });

  test('an address changed by hand is put back (and the wrong one removed)', { skip }, async () => {
    const ns = await nsOf(A);
    await onHost(H1, ['nsenter', ns, 'ip', 'addr', 'flush', 'dev', 'eth1']);
    await onHost(H1, ['nsenter', ns, 'ip', 'addr', 'add', `${NET}.250/24`, 'dev', 'eth1']);
    const repairs = await repairsOf(() => converge(A));
    assert.deepEqual(
      repairs.map((r) => r.reason),
      ['AddressChanged'],
    );
    assert.equal(await addressInside(docker(H1), 'sia-it-a'), A.spec.address);
    const route = await sh(docker(H1), 'sia-it-a', ['ip', 'route', 'show', 'default']);
    assert.match(route ?? '', /default via 192\.168\.116\.1 dev eth1/);
    await ping(A, `${NET}.202`);
  });

  test(
    'a stopped container is Ready=False ContainerNotRunning, a missing one ContainerNotFound; both attach when they run',
    { skip },
    async () => {
      await docker(H1).getContainer('sia-it-a').stop({ t: 0 });
      assert.equal((await converge(A)).conditions[0]?.reason, 'ContainerNotRunning');
      await docker(H1).getContainer('sia-it-a').start();
      assert.equal((await converge(A)).conditions[0]?.status, 'True');
      await removeContainer(docker(H1), 'sia-it-a');
      assert.equal((await converge(A)).conditions[0]?.reason, 'ContainerNotFound');
      await runWorkload(docker(H1), 'sia-it-a');
      assert.equal((await converge(A)).conditions[0]?.status, 'True');
      await ping(A, `${NET}.202`);
    },
  );

  test('a deleted bridge is re-created and every veth put back on it', { skip }, async () => {
    for (const o of [C, D]) assert.equal((await converge(o)).conditions[0]?.status, 'True');
    await ping(C, '10.77.1.6');
    await onHost(H1, ['ip', 'link', 'del', 'br-siait']);
    const rc = await repairsOf(() => converge(C));
    assert.deepEqual(
      rc.map((r) => r.reason),
      ['BridgeMissing'],
    );
    const rd = await repairsOf(() => converge(D));
    assert.deepEqual(
      rd.map((r) => r.reason),
      ['HostVethDetached'],
    );
    await ping(C, '10.77.1.6');
    assert.equal(D.status?.mac, '02:77:00:01:00:06');
    await assertNoOp(C);
    await assertNoOp(D);
  });

  test('a newer attachment claiming a taken address is refused with AddressConflict and touches nothing', { skip }, async () => {
    await runWorkload(docker(H2), 'sia-it-e');
    const E = attachment('sia-it-e', { host: H2, container: 'sia-it-e', bridge: 'br0', address: `${NET}.201/24` });
    const out = await converge(E);
    ctx.objects.delete('StaticIPAttachment/sia-it-e');
    assert.equal(out.conditions[0]?.reason, 'AddressConflict');
    assert.match(out.conditions[0]?.message ?? '', /sia-it-a/);
    assert.equal(await addressInside(docker(H2), 'sia-it-e'), '');
  });

  test('delete: the interface and host veth go, br0 (not owned) stays, an owned bridge goes with its last user', { skip }, async () => {
    const veth = A.status!.hostVeth!;
    assert.deepEqual(await reconciler.finalize(A, ctx), { done: true });
    assert.equal(await sh(docker(H1), 'sia-it-a', ['ip', 'link', 'show', 'eth1']), undefined, 'eth1 removed');
    const links = (JSON.parse(await onHost(H1, ['ip', '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
    assert.ok(!links.includes(veth), 'host veth removed');
    assert.ok(links.includes('br0'), 'br0 stays');
    assert.ok(await labReachable(docker(H1)));
    assert.deepEqual(await reconciler.finalize(A, ctx), { done: true }, 'finalize is idempotent');
    ctx.objects.delete('StaticIPAttachment/sia-it-a');

    await reconciler.finalize(C, ctx);
    ctx.objects.delete('StaticIPAttachment/sia-it-c');
    const mid = (JSON.parse(await onHost(H1, ['ip', '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
    assert.ok(mid.includes('br-siait'), 'owned bridge stays while D still uses it');
    await reconciler.finalize(D, ctx);
    ctx.objects.delete('StaticIPAttachment/sia-it-d');
    const end = (JSON.parse(await onHost(H1, ['ip', '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
    assert.ok(!end.includes('br-siait'), 'owned bridge removed with its last user');
  });
});
