import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSwarmopError } from '../../errors.js';
import { type AttachmentSpec, desiredFor, vethNames } from './desired.js';

const base: AttachmentSpec = {
  host: 'consul01',
  container: 'ubuntu114',
  bridge: 'br0',
  address: '192.168.116.114/24',
  gateway: '192.168.116.1',
  interface: 'eth1',
};
const res = (spec: Partial<AttachmentSpec>, uid?: string) => ({
  apiVersion: 'swarmop.io/v1alpha1' as const,
  kind: 'StaticIPAttachment',
  metadata: { name: 'ubuntu114', ...(uid ? { uid } : {}) },
  spec: { ...base, ...spec },
});

test('veth names are deterministic per uid and fit the 15-character limit', () => {
  const a = vethNames('6f1c0b8e-1111-2222-3333-444455556666');
  assert.deepEqual(a, vethNames('6f1c0b8e-1111-2222-3333-444455556666'));
  assert.notDeepEqual(a, vethNames('6f1c0b8e-1111-2222-3333-444455556667'));
  assert.ok(a.hostVeth.length <= 15 && a.peerVeth.length <= 15);
  assert.match(a.hostVeth, /^swv[0-9a-f]{12}$/);
  assert.match(a.peerVeth, /^swp[0-9a-f]{12}$/);
});

test('address split into ip and prefix; MAC lower-cased; bridge and interface as given', () => {
  const d = desiredFor(res({ mac: '02:AA:00:00:01:14', bridge: 'br7', interface: 'eth3' }, 'u1'));
  assert.equal(d.bridge, 'br7');
  assert.equal(d.iface, 'eth3');
  assert.equal(d.ip, '192.168.116.114');
  assert.equal(d.prefix, 24);
  assert.equal(d.cidr, '192.168.116.114/24');
  assert.equal(d.mac, '02:aa:00:00:01:14');
  assert.equal(d.hostVeth, vethNames('u1').hostVeth);
});

test('values that could reach an ip command unchecked are refused', () => {
  for (const bad of [
    { interface: 'eth1;reboot' },
    { bridge: 'br 0' },
    { address: '192.168.116.114' },
    { mac: '01:00:00:00:00:01' },
    { gateway: '1.2.3' },
    { uplink: 'br0' },
    { container: '-x' },
  ]) {
    assert.throws(
      () => desiredFor(res(bad)),
      (err) => isSwarmopError(err, 'Invalid'),
      JSON.stringify(bad),
    );
  }
});
