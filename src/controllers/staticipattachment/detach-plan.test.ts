import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BridgeSharer, planDetach } from './detach-plan.js';
import type { NetLink } from '../../nethelper/ip-json.js';
import type { NetObservation } from './observe.js';
import { type AttachmentSpec, desiredFor, vethNames } from './desired.js';
import { describeSteps, planCommands } from './execute.js';

const NS = '/run/swarmop/netns/0123456789ab';

function desired(spec: Partial<AttachmentSpec> = {}) {
  return desiredFor({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name: 'ubuntu114', uid: 'uid-1' },
    spec: { host: 'consul01', container: 'ubuntu114', bridge: 'br0', address: '192.168.116.114/24', interface: 'eth1', ...spec },
  });
}
const D = desired();
const OWNED = desired({ ownBridge: true, uplink: 'eth0' });

function link(over: Partial<NetLink> & { name: string; ifindex: number }): NetLink {
  return { up: true, mtu: 1500, mac: '02:00:00:00:00:01', peerInOtherNetns: false, addresses: [], ...over };
}

/** The attachment in place: eth0 in br0 holding the host address and default route, our veth pair, eth1 in the container. */
function attached(): NetObservation {
  return {
    host: {
      links: [
        link({ name: 'eth0', ifindex: 2, master: 'br0' }),
        link({ name: 'br0', ifindex: 3, kind: 'bridge', addresses: [{ ip: '192.168.116.112', prefix: 24 }] }),
        link({ name: D.hostVeth, ifindex: 9, master: 'br0', kind: 'veth', peerIfindex: 2, peerInOtherNetns: true }),
      ],
      defaultRoutes: [{ dst: 'default', gateway: '192.168.116.1', dev: 'br0', onlink: false }],
    },
    container: { links: [link({ name: 'eth1', ifindex: 2, kind: 'veth', peerIfindex: 9, peerInOtherNetns: true })], routes: [] },
  };
}

const lines = (steps: ReturnType<typeof planDetach>) => planCommands(steps).map((c) => `${c.mode} ${c.argv.join(' ')}`);

test('a running container loses its interface (must) and the host its veth (may); the bridge stays when the spec does not own it', () => {
  assert.deepEqual(lines(planDetach({ desired: D, obs: attached(), netns: NS, sharers: [] })), [
    `must nsenter --net=${NS} ip link del eth1`,
    `may ip link del ${D.hostVeth}`,
  ]);
});

test('a stopped container: only the host side is removed, including a peer veth left in the host namespace', () => {
  const obs = attached();
  delete obs.container;
  obs.host.links.push(link({ name: D.peerVeth, ifindex: 10, kind: 'veth' }));
  assert.deepEqual(lines(planDetach({ desired: D, obs, sharers: [] })), [`may ip link del ${D.hostVeth}`, `may ip link del ${D.peerVeth}`]);
});

test('an interface that is not ours (its peer is not our host veth) is left in the container', () => {
  const obs = attached();
  obs.container!.links[0]!.peerIfindex = 77;
  assert.deepEqual(lines(planDetach({ desired: D, obs, netns: NS, sharers: [] })), [`may ip link del ${D.hostVeth}`]);
});

test('nothing left anywhere plans nothing', () => {
  const obs: NetObservation = {
    host: { links: [link({ name: 'eth0', ifindex: 2 })], defaultRoutes: [] },
    container: { links: [], routes: [] },
  };
  assert.deepEqual(planDetach({ desired: D, obs, netns: NS, sharers: [] }), []);
});

test('an owned bridge nothing else uses is released: the uplink leaves it with its addresses and default route, then the bridge goes', () => {
  const steps = planDetach({ desired: OWNED, obs: attached(), netns: NS, sharers: [] });
  assert.deepEqual(lines(steps), [
    `must nsenter --net=${NS} ip link del eth1`,
    `may ip link del ${D.hostVeth}`,
    'must ip link set eth0 nomaster',
    'must ip addr replace 192.168.116.112/24 dev eth0',
    'must ip route replace default via 192.168.116.1 dev eth0',
    'must ip link del br0',
  ]);
  assert.equal(
    describeSteps(steps),
    `deleted stale eth1; deleted ${D.hostVeth}; moved eth0 and 192.168.116.112/24 back off br0; deleted bridge br0`,
  );
});

test('an owned bridge without uplink is just deleted', () => {
  const obs = attached();
  obs.host.links = obs.host.links.filter((l) => l.name !== 'eth0');
  assert.deepEqual(lines(planDetach({ desired: desired({ ownBridge: true }), obs, sharers: [] })).slice(-1), ['must ip link del br0']);
});

test('an owned bridge stays while another attachment keeps using it or a foreign port is on it; attachments deleted together do not keep it', () => {
  const other = vethNames('uid-2').hostVeth;
  const withOther = () => {
    const obs = attached();
    obs.host.links.push(link({ name: other, ifindex: 11, master: 'br0', kind: 'veth' }));
    return obs;
  };
  const released = (sharers: BridgeSharer[], obs = withOther()) =>
    planDetach({ desired: OWNED, obs, netns: NS, sharers }).some((s) => s.kind === 'delete-bridge');
  assert.equal(released([{ hostVeth: other, deleting: false }]), false);
  assert.equal(released([{ hostVeth: other, deleting: true }]), true);
  const foreign = withOther();
  foreign.host.links.push(link({ name: 'tap0', ifindex: 12, master: 'br0' }));
  assert.equal(released([{ hostVeth: other, deleting: true }], foreign), false);
});

test('a bridge name that is not a bridge is never deleted', () => {
  const obs = attached();
  obs.host.links[1]!.kind = 'dummy';
  assert.deepEqual(
    planDetach({ desired: OWNED, obs, netns: NS, sharers: [] }).map((s) => s.kind),
    ['delete-container-link', 'delete-host-link'],
  );
});
