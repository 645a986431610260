import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { type HelperCommand, parseProgramOutput, programArgv } from './helper-program.js';
import { batchIpCommands, describeFailedCommand } from './ip-batch.js';
import { vethNames } from '../controllers/staticipattachment/desired.js';
import { applyProgram } from '../controllers/staticipattachment/execute.js';

const show = (cmds: HelperCommand[]) => cmds.map((c) => `${c.mode} ${c.argv.join(' ')}${c.stdin ? ` <<< ${c.stdin.join(' ; ')}` : ''}`);
import { containerNetns, HOST_NETNS, toHelperCommand, type NetCommand } from './net-command.js';

/** `ip ARGS` on the host, or with `in: FILE` in a container's namespace; `exec` for another program. */
const must = (...ip: string[]): NetCommand => ({ mode: 'must', netns: HOST_NETNS, ip });
const may = (...ip: string[]): NetCommand => ({ mode: 'may', netns: HOST_NETNS, ip });
const mustIn = (file: string, ...ip: string[]): NetCommand => ({ mode: 'must', netns: containerNetns(file), ip });
const exec = (...argv: string[]): NetCommand => ({ mode: 'must', netns: HOST_NETNS, argv });
const NS = '/run/swarmop/netns/0123456789ab';
const N7 = '/run/swarmop/netns/777777777777';
const N8 = '/run/swarmop/netns/888888888888';

test('a restarted container is attached with two host ip runs, one nsenter ip -batch and the arping', () => {
  const { hostVeth } = vethNames('uid-a');
  const program = applyProgram([
    { kind: 'delete-host-link', name: hostVeth },
    { kind: 'create-veth', hostVeth, bridge: 'br0', mtu: 1500, netns: NS, iface: 'eth1' },
    { kind: 'set-mac', netns: NS, iface: 'eth1', mac: '02:42:c0:a8:74:72' },
    { kind: 'set-address', netns: NS, iface: 'eth1', cidr: '192.168.116.114/24', remove: [] },
    { kind: 'link-up', netns: NS, iface: 'eth1' },
    { kind: 'gateway', netns: NS, iface: 'eth1', gateway: '192.168.116.1' },
    { kind: 'arping', netns: NS, iface: 'eth1', ip: '192.168.116.114' },
  ]);
  assert.deepEqual(show(program.slice(0, 3)), [
    `may ip link del ${hostVeth}`,
    `must ip link add ${hostVeth} mtu 1500 master br0 up type veth peer name eth1 mtu 1500 netns ${NS}`,
    `must nsenter --net=${NS} ip -batch - <<< link set eth1 address 02:42:c0:a8:74:72 ; ` +
      'addr replace 192.168.116.114/24 dev eth1 ; link set eth1 up ; route replace default via 192.168.116.1 dev eth1',
  ]);
  assert.equal(program.length, 4);
  assert.equal(program[3]!.mode, 'may');
  assert.deepEqual(program[3]!.argv.slice(0, 3), ['nsenter', `--net=${NS}`, 'sh']);
});

test('runs break where the namespace or the mode changes; may runs keep going past failures (-force)', () => {
  assert.deepEqual(
    show(
      batchIpCommands([
        must('link', 'set', 'eth0', 'master', 'br0'),
        must('addr', 'replace', '10.0.0.2/24', 'dev', 'br0'),
        may('addr', 'del', '10.0.0.2/24', 'dev', 'eth0'),
        may('addr', 'del', '10.0.0.3/24', 'dev', 'eth0'),
        must('route', 'replace', 'default', 'via', '10.0.0.1', 'dev', 'br0'),
        mustIn(N7, 'link', 'set', 'eth1', 'up'),
        mustIn(N8, 'link', 'set', 'eth1', 'up'),
        mustIn(N8, 'link', 'set', 'eth2', 'up'),
      ]),
    ),
    [
      'must ip -batch - <<< link set eth0 master br0 ; addr replace 10.0.0.2/24 dev br0',
      'may ip -force -batch - <<< addr del 10.0.0.2/24 dev eth0 ; addr del 10.0.0.3/24 dev eth0',
      'must ip route replace default via 10.0.0.1 dev br0',
      `must nsenter --net=${N7} ip link set eth1 up`,
      `must nsenter --net=${N8} ip -batch - <<< link set eth1 up ; link set eth2 up`,
    ],
  );
});

test('commands ip would read differently in a batch line, with global options, or that are no ip command run on their own', () => {
  const odd = [
    must('link', 'set', 'a b', 'up'),
    must('link', 'set', 'x#y', 'up'),
    must('link', 'set', 'q"', 'up'),
    must('link', 'set', '', 'up'),
    must('-j', 'link', 'show'),
    exec('sh', '-c', 'true'),
    must('link', 'set', 'ok', 'up'),
  ];
  assert.deepEqual(batchIpCommands(odd), odd.map(toHelperCommand));
});

test('a failing line of a must batch stops the program there and is named in the error', () => {
  // Read-only commands against this machine's own ip: a missing device fails its line.
  const cmds: HelperCommand[] = batchIpCommands([
    must('link', 'show', 'dev', 'lo'),
    must('link', 'show', 'dev', 'swarmop-no-such0'),
    must('link', 'show', 'dev', 'lo'),
  ]).concat([toHelperCommand(exec('echo', 'never'))]);
  assert.equal(cmds.length, 2);
  const argv = programArgv(cmds);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  const out = parseProgramOutput(cmds, r.stdout, r.stderr);
  assert.equal(out.failedAt, 0);
  assert.equal(out.results.length, 1);
  assert.equal((out.results[0]!.stdout.match(/: lo:/g) ?? []).length, 1, 'ip stopped at the failing line');
  assert.equal(describeFailedCommand(cmds[0]!, out.stderr), 'ip -batch - (line 2: link show dev swarmop-no-such0)');
});

test('a may batch runs every line and does not stop the program', () => {
  const cmds = batchIpCommands([may('link', 'show', 'dev', 'swarmop-no-such0'), may('link', 'show', 'dev', 'lo')]).concat([
    toHelperCommand(exec('echo', 'next')),
  ]);
  const argv = programArgv(cmds);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  const out = parseProgramOutput(cmds, r.stdout, r.stderr);
  assert.equal(out.failedAt, undefined);
  assert.notEqual(out.results[0]!.exitCode, 0);
  assert.match(out.results[0]!.stdout, /: lo:/);
  assert.equal(out.results[1]!.stdout, 'next\n');
});
