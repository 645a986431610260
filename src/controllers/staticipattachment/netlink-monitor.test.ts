import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import { attachmentsForHostLine, followLines, linkNamesIn, monitorArgv } from './netlink-monitor.js';
import { OutputLimitError } from '../../runtime/output-limits.js';
import { type AttachmentResource, vethNames } from './desired.js';

function att(name: string, host: string, spec: Record<string, unknown> = {}): AttachmentResource {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name, uid: `uid-${name}` },
    spec: { host, container: name, bridge: 'br0', interface: 'eth1', address: '10.1.0.5/24', ...spec },
  } as unknown as AttachmentResource;
}

test('interface names are read from link, address and route lines of ip -o monitor', () => {
  assert.deepEqual(linkNamesIn('7: veth1pl42@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state UP'), ['veth1pl42']);
  assert.deepEqual(linkNamesIn('Deleted 7: veth1pl42@if6: <BROADCAST,MULTICAST> mtu 1500 state DOWN'), ['veth1pl42']);
  assert.deepEqual(linkNamesIn('3: br0    inet 192.168.116.112/24 scope global br0\\       valid_lft forever'), ['br0']);
  assert.deepEqual(linkNamesIn('Deleted default via 192.168.116.1 dev br0 '), ['br0']);
  assert.deepEqual(linkNamesIn('something else'), []);
});

test('a host line queues the attachments whose host veth, bridge or uplink it names, on that host only', () => {
  const a = att('a', 'h1');
  const b = att('b', 'h1', { bridge: 'br9', uplink: 'eth0' });
  const c = att('c', 'h2');
  const all = [a, b, c];
  const vethA = vethNames('uid-a').hostVeth;
  assert.deepEqual(attachmentsForHostLine('h1', `Deleted 9: ${vethA}@if8: <BROADCAST> mtu 1500`, all), ['a']);
  assert.deepEqual(attachmentsForHostLine('h1', '4: br0: <BROADCAST,MULTICAST> mtu 1500 state DOWN', all), ['a']);
  assert.deepEqual(attachmentsForHostLine('h2', '4: br0: <BROADCAST,MULTICAST> mtu 1500 state DOWN', all), ['c']);
  assert.deepEqual(attachmentsForHostLine('h1', '2: eth0: <BROADCAST,UP> mtu 1500 state UP', all), ['b']);
  assert.deepEqual(attachmentsForHostLine('h1', 'default via 10.0.0.1 dev br9', all), ['b']);
  assert.deepEqual(attachmentsForHostLine('h1', '5: docker0: <NO-CARRIER> mtu 1500', all), []);
});

test("a line about one attachment's host veth queues that attachment only, not every attachment on its bridge", () => {
  // Two attachments share br0 on h1; a's container restarted (its veth is deleted) or a's eth1 went
  // down (its veth lost carrier). b has nothing to repair: queuing it puts b's observe program on
  // the host's one helper session ahead of a's repair.
  const a = att('a', 'h1');
  const b = att('b', 'h1');
  const vethA = vethNames('uid-a').hostVeth;
  assert.deepEqual(attachmentsForHostLine('h1', `Deleted 9: ${vethA}@if8: <BROADCAST,MULTICAST> mtu 1500 master br0 state DOWN`, [a, b]), [
    'a',
  ]);
  assert.deepEqual(
    attachmentsForHostLine('h1', `9: ${vethA}@if8: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 master br0 state LOWERLAYERDOWN`, [a, b]),
    ['a'],
  );
  // The bridge itself, its address or a route through it still concerns both.
  assert.deepEqual(attachmentsForHostLine('h1', '4: br0: <BROADCAST,MULTICAST> mtu 1500 state DOWN', [a, b]), ['a', 'b']);
  assert.deepEqual(attachmentsForHostLine('h1', 'default via 10.1.0.1 dev br0', [a, b]), ['a', 'b']);
});

test('the monitor target is the host or a netns file as the helper sees it, passed as an argument', () => {
  assert.deepEqual(monitorArgv('/run/swarmop/netns/0123456789ab').slice(-2), ['swarmop-monitor', '/run/swarmop/netns/0123456789ab']);
  assert.equal(monitorArgv('host').at(-1), 'host');
  assert.throws(() => monitorArgv('4242'));
  assert.throws(() => monitorArgv('/proc/1/ns/net'));
  assert.throws(() => monitorArgv('/run/swarmop/netns/../../../proc/1/ns/net'));
  assert.throws(() => monitorArgv('/run/swarmop/netns/default'));
});

test('monitor lines are fed one by one; a line over the cap ends the monitor once and nothing more is kept', async () => {
  const stdout = new PassThrough();
  const lines: string[] = [];
  const overflows: Error[] = [];
  followLines(
    stdout,
    { maxLineBytes: 32, what: 'netlink monitor on consul01: a line' },
    (l) => lines.push(l),
    (e) => overflows.push(e),
  );
  stdout.write('3: veth1 state UP\n4: br0');
  stdout.write(' state UP\n');
  stdout.write('x'.repeat(40));
  stdout.write('y'.repeat(40));
  stdout.write('\n5: later\n');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines, ['3: veth1 state UP', '4: br0 state UP']);
  assert.equal(overflows.length, 1);
  assert.ok(overflows[0] instanceof OutputLimitError);
  assert.equal(overflows[0]!.message, 'netlink monitor on consul01: a line over 32 bytes');
});
