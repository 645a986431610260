import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetLink } from '../../nethelper/ip-json.js';
import type { NetObservation } from './observe.js';
import { desiredFor } from './desired.js';
import { attachedCondition, observedAttachment } from './status.js';

const D = desiredFor({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'StaticIPAttachment',
  metadata: { name: 'web', uid: 'uid-1' },
  spec: { host: 'consul01', container: 'web', bridge: 'br0', address: '192.168.116.114/24', interface: 'eth1' },
});

const eth1: NetLink = {
  ifindex: 2,
  name: 'eth1',
  up: true,
  mtu: 1500,
  mac: '02:00:00:00:01:14',
  peerInOtherNetns: true,
  addresses: [{ ip: '192.168.116.114', prefix: 24 }],
};
const obs = (links: NetLink[]): NetObservation => ({ host: { links: [], defaultRoutes: [] }, container: { links, routes: [] } });

test('observed status: what the container shows on the interface, the host veth and the last apply time', () => {
  assert.deepEqual(observedAttachment(D, { id: 'c1', pid: 42 }, obs([eth1]), '2026-01-01T00:00:00.000Z'), {
    containerID: 'c1',
    pid: 42,
    interface: 'eth1',
    address: '192.168.116.114/24',
    mac: '02:00:00:00:01:14',
    hostVeth: D.hostVeth,
    lastAppliedTime: '2026-01-01T00:00:00.000Z',
  });
  assert.deepEqual(observedAttachment(D, { id: 'c1', pid: 42 }, obs([])), {
    containerID: 'c1',
    pid: 42,
    interface: 'eth1',
    hostVeth: D.hostVeth,
  });
});

test('Ready is True Attached when nothing is left to do, False Converging with a quick re-check when the world still differs', () => {
  assert.deepEqual(attachedCondition(D, { steps: [], drifts: [] }), {
    conditions: [{ type: 'Ready', status: 'True', reason: 'Attached', message: '192.168.116.114/24 on eth1 of web via br0 on consul01' }],
  });
  assert.deepEqual(
    attachedCondition(D, {
      steps: [{ kind: 'link-up', netns: '/run/swarmop/netns/0123456789ab', iface: 'eth1' }],
      drifts: [{ reason: 'InterfaceDown', found: 'eth1 in web is down' }],
    }),
    {
      conditions: [{ type: 'Ready', status: 'False', reason: 'Converging', message: 'still differs after apply: eth1 in web is down' }],
      requeueAfter: 1_000,
    },
  );
});
