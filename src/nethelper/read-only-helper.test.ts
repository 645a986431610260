import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandsOfArgv, isReadOnlyProgram, isReadOnlyProgramArgv, ReadOnlyNetHelper } from './read-only-helper.js';
import { type HelperCommand, programArgv } from './helper-program.js';
import { configHash, HELPER_CONFIG_LABEL, HELPER_NETNS_DIR_LABEL } from './net-helper.js';
import { readOnlyEngine } from '../../testing/fakes/read-only-engine.js';

const NS = '/run/swarmop/netns/0123456789ab';
const OBSERVE: HelperCommand[] = [
  { mode: 'must', argv: ['ip', '-j', '-d', '-batch', '-'], stdin: ['addr show', 'route show default'] },
  { mode: 'may', argv: ['nsenter', `--net=${NS}`, 'ip', '-j', '-d', '-batch', '-'], stdin: ['addr show', 'route show'] },
];

test('ip -batch programs of show lines are read-only; anything that changes a link, address or route is not', () => {
  assert.equal(isReadOnlyProgram(OBSERVE), true);
  const variants: HelperCommand[][] = [
    [{ mode: 'must', argv: ['ip', '-batch', '-'], stdin: ['link del eth1'] }],
    [{ mode: 'must', argv: ['ip', '-j', '-batch', '-'], stdin: ['addr show', 'addr flush dev eth1'] }],
    [{ mode: 'must', argv: ['ip', 'link', 'set', 'br0', 'down'] }],
    [{ mode: 'must', argv: ['nsenter', '--net=/proc/1/ns/net', 'ip', '-j', '-batch', '-'], stdin: ['addr show'] }],
    [{ mode: 'must', argv: ['sh', '-c', 'ip -j addr show'] }],
    [{ mode: 'must', argv: ['ip', '-j', '-force', '-batch', '-'], stdin: ['addr show'] }],
    [],
  ];
  for (const v of variants) assert.equal(isReadOnlyProgram(v), false, JSON.stringify(v));
});

test("an exec's argv is decoded back into its commands, so the engine-side guard checks what really runs", () => {
  assert.deepEqual(
    commandsOfArgv(programArgv(OBSERVE)),
    OBSERVE.map((c) => ({ ...c, stdin: [...(c.stdin ?? [])] })),
  );
  assert.equal(isReadOnlyProgramArgv(programArgv(OBSERVE)), true);
  assert.equal(isReadOnlyProgramArgv(programArgv([{ mode: 'must', argv: ['ip', 'link', 'del', 'eth1'] }])), false);
  assert.equal(isReadOnlyProgramArgv(['sh', '-c', 'ip link del eth1']), false);
});

test('the helper is found by inspect only: missing, stopped, or running with the netns folder the engine confirms', async () => {
  const labels = { [HELPER_NETNS_DIR_LABEL]: '/var/run/docker/netns', [HELPER_CONFIG_LABEL]: configHash('/var/run/docker/netns') };
  const running = {
    Id: 'a'.repeat(64),
    State: { Running: true, Pid: 7 },
    Config: { Image: 'other/helper:1', Labels: labels },
    NetworkSettings: { SandboxKey: '/var/run/docker/netns/default' },
  };
  const none = readOnlyEngine({});
  assert.equal((await new ReadOnlyNetHelper().presence({ name: 'h', docker: none.docker })).state, 'missing');
  const there = readOnlyEngine({ containers: { 'swarmop-nethelper': running } });
  const p = await new ReadOnlyNetHelper({ image: 'other/helper:1' }).presence({ name: 'h', docker: there.docker });
  assert.deepEqual(p, { state: 'running', image: 'other/helper:1', id: running.Id, current: true, netnsDir: '/var/run/docker/netns' });
  const older = await new ReadOnlyNetHelper({ image: 'other/helper:2' }).presence({ name: 'h', docker: there.docker });
  assert.equal(older.state === 'running' && older.current, false, 'another image: the operator would replace it');
  assert.deepEqual([none.writes, there.writes], [[], []]);
});
