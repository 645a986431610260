/**
 * Host network drift repaired from netlink events, not from resync: the operator runs with
 * `--resync-seconds 3600`, so only the netlink monitors (host netns and each attached container's
 * netns) can queue the repair in time. Two containers on consul01 share an owned bridge whose
 * uplink is one end of a spare veth pair (detaching the real eth0 of a lab host would cut the host off); each drift
 * is caused by hand and must be undone as seen from inside the container: eth1 up with its address,
 * the default route via the gateway, and the peer answering a ping across the bridge.
 */
import assert from 'node:assert/strict';
import { describeE2E, itE2E } from './framework/framework.js';
import { dockerOnHost, labHosts, labManifest } from './framework/lab.js';
import { eventually } from '../testing/util/wait-until.js';

/** A worker host of the lab (consul01 with the default settings); the spec brings its own containers. */
const HOST = labHosts()[1]!.name;
const BRIDGE = 'br-nle2e';
const UPLINK = 'upl-nle2e';
const A = { name: 'nl-e2e-a', ip: '10.79.1.5' };
const B = { name: 'nl-e2e-b', ip: '10.79.1.6' };
const GW = '10.79.1.1';

const docker = async (args: string[]) => {
  const r = await dockerOnHost(HOST, args, 30_000);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${HOST}: ${r.stderr.trim()}`);
  return r.stdout;
};
/** A throwaway container in the host's net and PID namespaces, as a person at the host's shell. */
const asRoot = (argv: string[]) =>
  docker([
    'run',
    '--rm',
    '--net',
    'host',
    '--pid',
    'host',
    '--cap-add',
    'NET_ADMIN',
    '--cap-add',
    'SYS_ADMIN',
    '--cap-add',
    'SYS_PTRACE',
    '--label',
    'io.swarmop.lab=1',
    'swarmop/nethelper:lab',
    ...argv,
  ]);
const onHost = (ipArgs: string[]) => asRoot(['ip', ...ipArgs]);
const inA = async (ipArgs: string[]) => {
  const pid = (await docker(['inspect', '-f', '{{.State.Pid}}', A.name])).trim();
  await asRoot(['nsenter', '-t', pid, '-n', 'ip', ...ipArgs]);
};
/** One exec inside A: eth1 up with its address, default via the gateway on eth1, B answers. */
const healthyInside = async () =>
  (
    await dockerOnHost(
      HOST,
      [
        'exec',
        A.name,
        'sh',
        '-c',
        'ip -4 -o addr show dev eth1 up | grep -q " $1/24 " && ip route show default | grep -q "via $2 dev eth1" && ping -c 1 -W 1 "$3" >/dev/null',
        'check',
        A.ip,
        GW,
        B.ip,
      ],
      10_000,
    )
  ).code === 0;

describeE2E(
  'netlink drift',
  (f) => {
    let hostVeth = '';
    let repairs = 0;
    const repaired = () => f.operator.lines.filter((l) => l.message === 'drift repaired' && JSON.stringify(l).includes(A.name)).length;

    /** Causes the drift, then waits until A is healthy again and the operator logged one more repair. */
    const drift = async (what: string, cause: () => Promise<unknown>) => {
      assert.ok(await healthyInside(), `healthy before: ${what}`);
      const before = repaired();
      await cause();
      const began = Date.now();
      await eventually(`${what} repaired`, async () => repaired() > before && (await healthyInside()), {
        timeoutMs: 15_000,
        intervalMs: 50,
      });
      const ms = Date.now() - began;
      repairs++;
      console.log(`# netlink drift: ${what} repaired (seen inside ${A.name}) ${ms} ms after the change`);
    };

    itE2E(f, 'setup: two containers on an owned bridge with a spare veth as uplink, attached', async () => {
      await docker(['rm', '-f', A.name, B.name]).catch(() => '');
      await onHost(['link', 'del', BRIDGE]).catch(() => '');
      await onHost(['link', 'del', UPLINK]).catch(() => '');
      await onHost(['link', 'add', UPLINK, 'type', 'veth', 'peer', 'name', `${UPLINK}-p`]);
      for (const c of [A, B])
        await docker([
          'run',
          '-d',
          '--name',
          c.name,
          '--label',
          'io.swarmop.lab=1',
          '--label',
          'io.swarmop.test=netlink-e2e',
          'swarmop/workload:lab',
        ]);
      await f.apply(labManifest('00-dockerhosts.yaml'));
      const doc = (c: { name: string; ip: string }, extra: string) =>
        `apiVersion: swarmop.io/v1alpha1\nkind: StaticIPAttachment\nmetadata: {name: ${c.name}}\nspec: {host: ${HOST}, container: ${c.name}, bridge: ${BRIDGE}, address: ${c.ip}/24, ownBridge: true${extra}}\n`;
      await f.apply(`${doc(A, `, gateway: ${GW}, uplink: ${UPLINK}`)}---\n${doc(B, `, uplink: ${UPLINK}`)}`);
      const a = await f.waitCondition('staticipattachment', A.name, 'True');
      await f.waitCondition('staticipattachment', B.name, 'True');
      hostVeth = a.status.hostVeth as string;
      await eventually('A healthy', healthyInside, { timeoutMs: 30_000 });
    });

    itE2E(
      f,
      'container side: address changed, address removed, eth1 down, renamed, deleted, default route removed or changed',
      async () => {
        await drift('address changed', async () => {
          await inA(['addr', 'flush', 'dev', 'eth1']);
          await inA(['addr', 'add', '10.79.1.99/24', 'dev', 'eth1']);
        });
        await drift('address removed', () => inA(['addr', 'del', `${A.ip}/24`, 'dev', 'eth1']));
        await drift('eth1 down', () => inA(['link', 'set', 'eth1', 'down']));
        await drift('eth1 renamed', async () => {
          await inA(['link', 'set', 'eth1', 'down']);
          await inA(['link', 'set', 'eth1', 'name', 'eth9']);
        });
        await drift('eth1 deleted', () => inA(['link', 'del', 'eth1']));
        await drift('default route removed', () => inA(['route', 'del', 'default']));
        await drift('default route changed', () => inA(['route', 'replace', 'default', 'via', '10.79.1.2', 'dev', 'eth1']));
      },
    );

    itE2E(f, 'host side: host veth deleted or detached, bridge down or deleted, uplink detached', async () => {
      await drift('host veth deleted', () => onHost(['link', 'del', hostVeth]));
      await drift('host veth detached', () => onHost(['link', 'set', hostVeth, 'nomaster']));
      await drift('bridge down', () => onHost(['link', 'set', BRIDGE, 'down']));
      await drift('bridge deleted', () => onHost(['link', 'del', BRIDGE]));
      const uplinkOnBridge = async () => (await onHost(['-o', 'link', 'show', UPLINK])).includes(`master ${BRIDGE}`);
      assert.ok(await uplinkOnBridge(), 'uplink on the bridge before');
      const before = repaired();
      await onHost(['link', 'set', UPLINK, 'nomaster']);
      const began = Date.now();
      await eventually(
        'uplink back on the bridge',
        async () => repaired() > before && (await uplinkOnBridge()) && (await healthyInside()),
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      console.log(`# netlink drift: uplink detached repaired ${Date.now() - began} ms after the change`);
      assert.equal(repairs, 11);
    });

    itE2E(f, 'cleanup', async () => {
      await f.swarmop(['delete', 'staticipattachment', A.name, B.name]);
      await eventually(
        'attachments gone',
        async () => (await f.get('staticipattachment', A.name)) === undefined && (await f.get('staticipattachment', B.name)) === undefined,
        { timeoutMs: 60_000 },
      );
      await docker(['rm', '-f', A.name, B.name]);
      await onHost(['link', 'del', UPLINK]).catch(() => '');
      await onHost(['link', 'del', BRIDGE]).catch(() => '');
    });
  },
  { operatorArgs: ['--resync-seconds', '3600'] },
);
