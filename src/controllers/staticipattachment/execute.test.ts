import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Step } from './plan.js';
import { applyProgram, describeSteps, planCommands, stepCommands } from './execute.js';
import { toHelperCommand } from '../../nethelper/net-command.js';

const NS = '/run/swarmop/netns/0123456789ab';
const line = (s: Step) =>
  stepCommands(s)
    .map(toHelperCommand)
    .map((c) => `${c.mode} ${c.argv.join(' ')}`);

test('uplink move: bridge takes the MAC, NIC enslaved, address added to the bridge before it leaves the NIC, route last', () => {
  assert.deepEqual(
    line({
      kind: 'uplink-to-bridge',
      uplink: 'eth0',
      bridge: 'br0',
      enslave: true,
      mac: '02:42:c0:a8:74:70',
      addresses: [{ ip: '192.168.116.112', prefix: 24 }],
      defaultGateway: '192.168.116.1',
    }),
    [
      'must ip link set br0 address 02:42:c0:a8:74:70',
      'must ip link set eth0 master br0',
      'must ip addr replace 192.168.116.112/24 dev br0',
      'may ip addr del 192.168.116.112/24 dev eth0',
      'must ip route replace default via 192.168.116.1 dev br0',
    ],
  );
});

test('veth pair: host end on the bridge with its MTU, container end created in its namespace under its final name', () => {
  assert.deepEqual(line({ kind: 'create-veth', hostVeth: 'swvaaaaaaaaaaaa', bridge: 'br0', mtu: 1450, netns: NS, iface: 'eth1' }), [
    'must ip link add swvaaaaaaaaaaaa mtu 1450 master br0 up type veth peer name eth1 mtu 1450 netns /run/swarmop/netns/0123456789ab',
  ]);
});

test('the gateway becomes the default route inside the container', () => {
  assert.deepEqual(line({ kind: 'gateway', netns: NS, iface: 'eth1', gateway: '192.168.116.1' }), [
    'must nsenter --net=/run/swarmop/netns/0123456789ab ip route replace default via 192.168.116.1 dev eth1',
  ]);
});

test('address repair removes the wrong ones (best effort) and replaces the right one', () => {
  assert.deepEqual(
    line({ kind: 'set-address', netns: NS, iface: 'eth1', cidr: '192.168.116.114/24', remove: [{ ip: '10.1.1.1', prefix: 8 }] }),
    [
      'may nsenter --net=/run/swarmop/netns/0123456789ab ip addr del 10.1.1.1/8 dev eth1',
      'must nsenter --net=/run/swarmop/netns/0123456789ab ip addr replace 192.168.116.114/24 dev eth1',
    ],
  );
});

test('arping is optional and detached so it never delays a repair', () => {
  const [c] = stepCommands({ kind: 'arping', netns: NS, iface: 'eth1', ip: '192.168.116.114' });
  assert.deepEqual(c?.netns, { kind: 'container', file: NS });
  assert.equal(c?.mode, 'may');
  assert.deepEqual(c && toHelperCommand(c).argv.slice(-7), ['arping', '-c', '1', '-U', '-I', 'eth1', '192.168.116.114']);
});

test('deleting links is tolerant (one veth end takes the other with it)', () => {
  assert.deepEqual(line({ kind: 'delete-host-link', name: 'swvaaaaaaaaaaaa' }), ['may ip link del swvaaaaaaaaaaaa']);
});

test('plans flatten in order and describe themselves without the arping noise', () => {
  const steps: Step[] = [
    { kind: 'bridge-up', bridge: 'br0' },
    { kind: 'link-up', netns: NS, iface: 'eth1' },
    { kind: 'arping', netns: NS, iface: 'eth1', ip: '1.2.3.4' },
  ];
  assert.equal(planCommands(steps).length, 3);
  assert.equal(describeSteps(steps), 'set br0 up; set eth1 up');
});

test('adopting a pipework pair renames its host end while up, and down/rename/up only where the kernel refuses that', () => {
  assert.deepEqual(line({ kind: 'adopt-host-veth', name: 'veth1pl4242', hostVeth: 'swvaaaaaaaaaaaa' }), [
    'may ip link set dev veth1pl4242 name swvaaaaaaaaaaaa',
    'may ip link set dev veth1pl4242 down',
    'may ip link set dev veth1pl4242 name swvaaaaaaaaaaaa',
    'must ip link set dev swvaaaaaaaaaaaa up',
  ]);
  assert.deepEqual(
    describeSteps([{ kind: 'adopt-host-veth', name: 'veth1pl4242', hostVeth: 'swvaaaaaaaaaaaa' }]),
    'adopted veth1pl4242 as swvaaaaaaaaaaaa',
  );
});

test('the live rename runs before anything could take the link down, in one forced ip batch', () => {
  const cmds = applyProgram([{ kind: 'adopt-host-veth', name: 'veth1pl4242', hostVeth: 'swvaaaaaaaaaaaa' }]);
  assert.deepEqual(
    cmds.map((c) => `${c.mode} ${c.argv.join(' ')}${c.stdin ? ` <${c.stdin.join('|')}>` : ''}`),
    [
      'may ip -force -batch - <link set dev veth1pl4242 name swvaaaaaaaaaaaa|link set dev veth1pl4242 down|link set dev veth1pl4242 name swvaaaaaaaaaaaa>',
      'must ip link set dev swvaaaaaaaaaaaa up',
    ],
  );
});
