/**
 * Adoption of a container pipework attached, on the real lab (hack/lab.sh up): the attachment is
 * made by hand with pipework's own commands (a privileged container in the host's namespaces, as
 * pipework runs on the host as root), then reconciled. swarmop takes the interface over as it is:
 * same container (no restart), same interface in it, the address never removed, a ping every
 * 100 ms from the container to the bridge's address during the adoption loses nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import type { Resource, StaticIPAttachment } from '../../crds/index.js';
import { enginesProblem, labSkip } from '../../../testing/lab/lab-precondition.js';
import { LAB_HOSTS, recordingContext } from '../../../testing/util/reconcile-context.js';
import {
  addressInside,
  attachment,
  removeContainer,
  removeLabelled,
  runWorkload,
  sh,
  TEST_LABEL,
  WORKLOAD_IMAGE,
} from '../../../testing/lab/staticip-fixtures.js';
import { createStaticIPAttachmentReconciler } from './index.js';

const [, H1] = LAB_HOSTS.map((h) => h.name) as [string, string];
const ctx = recordingContext({ hosts: LAB_HOSTS });
const docker = (h: string) => ctx.hosts.get(h)!.docker;
const skip = labSkip(
  'staticip-adopt.int',
  await enginesProblem(LAB_HOSTS.filter((h) => h.name === H1).map((h) => ({ ...h, docker: docker(h.name) }))),
);

const reconciler = createStaticIPAttachmentReconciler({ labels: { 'io.swarmop.lab': '1' } });
// A bridge of its own, no uplink: the lab host's address stays where it is.
const E = attachment('sia-adopt-e', {
  host: H1,
  container: 'sia-adopt-e',
  bridge: 'br-siaad',
  address: '10.77.3.5/24',
  gateway: '10.77.3.1',
  ownBridge: true,
});
const PIPEWORK_TAG = 'sia-adopt-pipework';

/** Runs a shell script on the host as pipework does (root, the host's network and PID namespaces); fails the test on a non-zero exit. */
async function pipework(d: Docker, script: string): Promise<void> {
  await removeContainer(d, PIPEWORK_TAG);
  const c = await d.createContainer({
    name: PIPEWORK_TAG,
    Image: WORKLOAD_IMAGE,
    Cmd: ['sh', '-ec', script],
    Labels: { 'io.swarmop.lab': '1', [TEST_LABEL]: 'staticip-adopt' },
    HostConfig: { NetworkMode: 'host', PidMode: 'host', Privileged: true },
  });
  await c.start();
  const { StatusCode } = (await c.wait()) as { StatusCode: number };
  const logs = (await c.logs({ stdout: true, stderr: true })).toString();
  await c.remove({ force: true });
  assert.equal(StatusCode, 0, `pipework script failed: ${logs}`);
}

async function converge(o: StaticIPAttachment) {
  ctx.objects.set(`StaticIPAttachment/${o.metadata.name}`, o as unknown as Resource);
  const out = await reconciler.reconcile(o, ctx);
  o.status = { ...out.observed, conditions: out.conditions.map((c) => ({ ...c, lastTransitionTime: '' })) };
  return out;
}

const eth1Index = async () =>
  JSON.parse((await sh(docker(H1), E.spec.container, ['ip', '-j', 'link', 'show', 'dev', 'eth1']))!)[0].ifindex as number;

// One suite per file: the lab suites run one after another in one process (hack/test.sh).
describe('StaticIPAttachment adoption of a pipework-attached container on the lab', { concurrency: false }, () => {
  before(async () => {
    if (skip) return;
    await runWorkload(docker(H1), E.spec.container, { [TEST_LABEL]: 'staticip-adopt' });
    const pid = (await docker(H1).getContainer(E.spec.container).inspect()).State.Pid;
    // pipework br-siaad sia-adopt-e 10.77.3.5/24@10.77.3.1, step by step.
    await pipework(
      docker(H1),
      [
        'ip link add name br-siaad type bridge 2>/dev/null || true',
        'ip addr replace 10.77.3.1/24 dev br-siaad',
        'ip link set dev br-siaad up',
        `ip link add name veth1pl${pid} type veth peer name eth1 netns ${pid}`,
        `ip link set dev veth1pl${pid} master br-siaad`,
        `ip link set dev veth1pl${pid} up`,
        `nsenter -t ${pid} -n ip addr add 10.77.3.5/24 dev eth1`,
        `nsenter -t ${pid} -n ip link set dev eth1 up`,
        `nsenter -t ${pid} -n ip route replace default via 10.77.3.1 dev eth1`,
      ].join('\n'),
    );
  });

  after(async () => {
    if (skip) return;
    await reconciler.finalize(E, ctx).catch(() => undefined);
    await removeLabelled(docker(H1), 'staticip-adopt');
  });

  test(
    'a container pipework attached is adopted as it is: no restart, same eth1, no lost ping, then repaired as usual',
    { skip },
    async () => {
      const c = docker(H1).getContainer(E.spec.container);
      const before = (await c.inspect()).State;
      const ifindex = await eth1Index();
      assert.equal(await addressInside(docker(H1), E.spec.container), '10.77.3.5/24');

      // 40 pings 100 ms apart from the container to the bridge, the adoption in the middle of them.
      const pinging = sh(docker(H1), E.spec.container, ['ping', '-c', '40', '-i', '0.1', '-W', '1', '10.77.3.1']);
      await new Promise((r) => setTimeout(r, 1000));
      const repairs = ctx.repairs.length;
      const out = await converge(E);
      const pings = await pinging;
      assert.equal(out.conditions[0]?.status, 'True', out.conditions[0]?.message);
      assert.deepEqual(
        ctx.repairs.slice(repairs).map((r) => r.reason),
        ['InterfaceAdopted'],
      );
      assert.match(pings ?? 'no reply at all', /40 packets transmitted, 40 received, 0% packet loss/);

      const now = (await c.inspect()).State;
      assert.equal(now.Pid, before.Pid, 'the container was not restarted');
      assert.equal(now.StartedAt, before.StartedAt);
      assert.equal(await eth1Index(), ifindex, 'the same eth1, not a new one');
      assert.equal(await addressInside(docker(H1), E.spec.container), '10.77.3.5/24');
      assert.match(E.status?.hostVeth ?? '', /^swv[0-9a-f]{12}$/);

      // From then on it is an ordinary attachment: converged is a no-op, a drift is repaired.
      const again = ctx.repairs.length;
      await converge(E);
      assert.deepEqual(ctx.repairs.slice(again), []);
      await pipework(docker(H1), `nsenter -t ${now.Pid} -n ip addr flush dev eth1`);
      await converge(E);
      assert.deepEqual(
        ctx.repairs.slice(again).map((r) => r.reason),
        ['AddressChanged'],
      );
      assert.equal(await addressInside(docker(H1), E.spec.container), '10.77.3.5/24');
    },
  );
});
