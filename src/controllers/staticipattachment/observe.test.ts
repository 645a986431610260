import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { isSwarmopError } from '../../errors.js';
import { parseProgramOutput, programArgv } from '../../nethelper/helper-program.js';
import { observeProgram, parseObservation } from './observe.js';

const NS = '/run/swarmop/netns/0123456789ab';
const LINK = '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"],"mtu":65536,"address":"00:00:00:00:00:00","addr_info":[]}]';
const ROUTE = '[{"dst":"default","gateway":"10.0.0.1","dev":"eth0","flags":[]}]';

test('each side is one ip -batch (JSON, details) whose script reads links and routes', () => {
  assert.deepEqual(observeProgram(NS), [
    { mode: 'must', argv: ['ip', '-j', '-d', '-batch', '-'], stdin: ['addr show', 'route show default'] },
    { mode: 'may', argv: ['nsenter', `--net=${NS}`, 'ip', '-j', '-d', '-batch', '-'], stdin: ['addr show', 'route show'] },
  ]);
  assert.equal(observeProgram(undefined).length, 1);
});

test('one JSON line per batch line; an empty route table is []', () => {
  const obs = parseObservation(
    {
      results: [
        { exitCode: 0, stdout: `${LINK}\n${ROUTE}\n` },
        { exitCode: 0, stdout: `${LINK}\n[]\n` },
      ],
      stderr: '',
    },
    NS,
  );
  assert.deepEqual(obs.host.defaultRoutes, [{ dst: 'default', gateway: '10.0.0.1', dev: 'eth0', onlink: false }]);
  assert.deepEqual(
    obs.container?.links.map((l) => l.name),
    ['lo'],
  );
  assert.deepEqual(obs.container?.routes, []);
});

test('a container side that could not run leaves the container out; a short batch output is an error, never "nothing there"', () => {
  const host = { exitCode: 0, stdout: `${LINK}\n${ROUTE}\n` };
  assert.equal(
    parseObservation({ results: [host, { exitCode: 1, stdout: '' }], stderr: 'nsenter: no such process' }, NS).container,
    undefined,
  );
  assert.throws(
    () => parseObservation({ results: [{ exitCode: 0, stdout: `${LINK}\n` }], stderr: '' }, undefined),
    (e: unknown) => isSwarmopError(e, 'Internal') && /expected 2 JSON lines/.test(e.message),
  );
});

test("the host side parses this machine's own ip output", () => {
  const cmds = observeProgram(undefined);
  const argv = programArgv(cmds);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  const obs = parseObservation(parseProgramOutput(cmds, r.stdout, r.stderr), undefined);
  assert.ok(
    obs.host.links.some((l) => l.name === 'lo' && l.up),
    JSON.stringify(obs.host.links.map((l) => l.name)),
  );
});
