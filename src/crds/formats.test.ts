import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FORMAT_CHECKS, parseCidr, formatIPv4 } from './formats.js';

function valid(format: string, value: string): boolean {
  const check = FORMAT_CHECKS[format];
  assert.ok(check, `no format ${format}`);
  return check(value) === undefined;
}

test('IPv4 addresses are strict dotted quads', () => {
  for (const v of ['192.168.116.111', '0.0.0.0', '255.255.255.255']) assert.ok(valid('ipv4', v), v);
  for (const v of ['192.168.116.256', '192.168.116', '192.168.116.011', ' 192.168.1.1', '1.2.3.4.5', '::1', '1.2.3.-4'])
    assert.ok(!valid('ipv4', v), v);
});

test('CIDRs need an address and a prefix 0-32', () => {
  assert.ok(valid('ipv4-cidr', '192.168.116.114/24'));
  for (const v of ['192.168.116.114', '192.168.116.114/33', '192.168.116.114/024', '192.168.116.114/', '/24'])
    assert.ok(!valid('ipv4-cidr', v), v);
  const c = parseCidr('192.168.116.114/24');
  assert.equal(formatIPv4(c?.network ?? 0), '192.168.116.0');
  assert.equal(formatIPv4(c?.broadcast ?? 0), '192.168.116.255');
  assert.equal(formatIPv4(parseCidr('10.1.2.3/0')?.broadcast ?? 0), '255.255.255.255');
});

test('MAC addresses must be unicast and not all-zero', () => {
  assert.ok(valid('mac', '02:42:c0:a8:74:72'));
  assert.ok(valid('mac', '02:42:C0:A8:74:72'));
  for (const v of ['01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', '02-42-c0-a8-74-72', '02:42:c0:a8:74'])
    assert.ok(!valid('mac', v), v);
});

test('interface names follow the kernel limit of 15 characters', () => {
  for (const v of ['eth1', 'br0', 'veth1a2b3c4d5e6', 'bond0.100']) assert.ok(valid('ifname', v), v);
  for (const v of ['veth1a2b3c4d5e6f', 'br/0', 'eth 1', 'eth:1', '-eth', '.', '..', '']) assert.ok(!valid('ifname', v), v);
});

test('endpoints are tcp://host:port or unix:///absolute/path', () => {
  for (const v of [
    'tcp://192.168.116.111:2375',
    'tcp://docker-1.lab:2376',
    'unix:///var/run/docker.sock',
    'unix:///run/swarmop-lab/docker.sock',
  ])
    assert.ok(valid('docker-endpoint', v), v);
  for (const v of [
    'http://1.2.3.4:2375',
    'tcp://1.2.3.4',
    'tcp://1.2.3.4:0',
    'tcp://1.2.3.4:70000',
    'tcp://1.2.3.999:2375',
    'unix://relative.sock',
    'unix:///a/../b',
    'tcp://h;x:1',
  ])
    assert.ok(!valid('docker-endpoint', v), v);
});

test('image references follow the Docker reference grammar', () => {
  for (const v of ['hashicorp/consul:1.8.7', 'consul', 'localhost:5000/lab/consul:1.8.7', `consul@sha256:${'a'.repeat(64)}`])
    assert.ok(valid('image-ref', v), v);
  for (const v of ['Hashicorp/consul', 'consul:', 'consul:1.8.7;rm', 'consul 1.8', '-consul']) assert.ok(!valid('image-ref', v), v);
});

test('Consul durations use Go syntax', () => {
  for (const v of ['10s', '1m30s', '500ms', '1.5h']) assert.ok(valid('consul-duration', v), v);
  for (const v of ['10', '10 s', 's', '-1s', '1d']) assert.ok(!valid('consul-duration', v), v);
});

test('no name-like format admits shell metacharacters, whitespace or non-ASCII', () => {
  const nasty = [
    'a;rm -rf',
    'a&&b',
    'a|b',
    '$(reboot)',
    '`id`',
    'a b',
    'a\nb',
    "a'b",
    'a"b',
    'a>b',
    'a<b',
    'a*',
    'a?',
    'a\\b',
    'ä',
    'a$b',
    'a!b',
    '-rf',
    'a\tb',
  ];
  for (const format of [
    'dns-label',
    'container-name',
    'ifname',
    'image-ref',
    'abs-path',
    'kv-key',
    'docker-endpoint',
    'ipv4',
    'ipv4-cidr',
    'mac',
  ])
    for (const v of nasty) assert.ok(!valid(format, v), `${format} accepted ${JSON.stringify(v)}`);
});

test("container names follow Docker's rule, DNS labels stay lowercase", () => {
  for (const v of ['ubuntu114', 'My_App.1', 'a-b']) assert.ok(valid('container-name', v), v);
  assert.ok(!valid('container-name', '_a'));
  assert.ok(valid('dns-label', 'consul01'));
  for (const v of ['Consul01', 'consul01-', '-consul', 'a'.repeat(64), 'a.b']) assert.ok(!valid('dns-label', v), v);
});
