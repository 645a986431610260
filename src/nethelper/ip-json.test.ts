import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLinks, parseRoutes } from './ip-json.js';

// Trimmed from real `ip -j -d addr show` output of iproute2 6.1 (a host with br0, its uplink and a veth).
const HOST = `[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"],"mtu":65536,"operstate":"DOWN","link_type":"loopback","address":"00:00:00:00:00:00","addr_info":[]},
{"ifindex":3,"link":"ext0","ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"master":"br0","operstate":"UP","link_type":"ether","address":"0E:C6:84:68:86:04","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"forwarding"}},"addr_info":[{"family":"inet6","local":"fe80::cc6:84ff:fe68:8604","prefixlen":64,"scope":"link"}]},
{"ifindex":9,"link_index":6,"ifname":"swvbb82030dbc2b","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"master":"br0","operstate":"UP","link_type":"ether","address":"e6:fb:22:ee:8b:ec","link_netnsid":0,"linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"forwarding"}},"addr_info":[]},
{"ifindex":10,"ifname":"br0","flags":["BROADCAST","MULTICAST"],"mtu":1450,"operstate":"DOWN","link_type":"ether","address":"0e:c6:84:68:86:04","linkinfo":{"info_kind":"bridge","info_data":{}},"addr_info":[{"family":"inet","local":"192.168.116.112","prefixlen":24,"scope":"global","label":"br0"},{"family":"inet","local":"127.0.0.9","prefixlen":8,"scope":"host","label":"br0"}]}]`;

test('host links: names, kinds, masters, peers, admin state and global IPv4 addresses', () => {
  const links = parseLinks(HOST);
  const by = new Map(links.map((l) => [l.name, l]));
  assert.deepEqual([...by.keys()], ['lo', 'eth0', 'swvbb82030dbc2b', 'br0']);
  assert.equal(by.get('eth0')?.master, 'br0');
  assert.equal(by.get('eth0')?.peerName, 'ext0');
  assert.equal(by.get('eth0')?.mac, '0e:c6:84:68:86:04', 'MAC is lower-cased');
  assert.equal(by.get('swvbb82030dbc2b')?.peerIfindex, 6);
  assert.equal(by.get('swvbb82030dbc2b')?.peerInOtherNetns, true);
  assert.equal(by.get('br0')?.kind, 'bridge');
  assert.equal(by.get('br0')?.up, false);
  assert.equal(by.get('br0')?.mtu, 1450);
  assert.deepEqual(by.get('br0')?.addresses, [{ ip: '192.168.116.112', prefix: 24 }], 'host-scope and IPv6 addresses are ignored');
});

test('names printed as name@peer keep only the name', () => {
  assert.equal(parseLinks('[{"ifindex":6,"ifname":"eth1@if9","flags":["UP"]}]')[0]?.name, 'eth1');
});

test('empty output is no links; garbage is an error, never "nothing there"', () => {
  assert.deepEqual(parseLinks(''), []);
  assert.throws(() => parseLinks('Cannot open network namespace'), /cannot parse/);
  assert.throws(() => parseLinks('{"ifindex":1}'), /expected a JSON array/);
  assert.throws(() => parseLinks('[{"ifname":"x"}]'), /ifindex/);
});

test('routes: default with gateway and device, onlink flag', () => {
  const routes = parseRoutes(
    '[{"dst":"default","gateway":"192.168.116.1","dev":"eth1","flags":["onlink"]},{"dst":"192.168.116.0/24","dev":"eth1","protocol":"kernel","scope":"link","prefsrc":"192.168.116.114","flags":[]}]',
  );
  assert.deepEqual(routes, [
    { dst: 'default', gateway: '192.168.116.1', dev: 'eth1', onlink: true },
    { dst: '192.168.116.0/24', dev: 'eth1', onlink: false },
  ]);
});
