import assert from 'node:assert/strict';
import { test } from 'node:test';
import Docker from 'dockerode';
import { readOnlyDockerClient } from './read-only-docker.js';

/** A client whose modem records what would be sent and answers every request with `{}`. */
function recordingClient(allowExec?: (cmd: readonly string[]) => boolean) {
  const sent: string[] = [];
  const refused: string[] = [];
  const docker = new Docker({ socketPath: '/nonexistent/docker.sock' });
  (docker.modem as unknown as { dial: unknown }).dial = (o: { method: string; path: string }, cb: (e: unknown, d?: unknown) => void) => {
    sent.push(`${o.method} ${o.path.split('?')[0]}`);
    cb(null, {});
  };
  readOnlyDockerClient(docker, { ...(allowExec ? { allowExec } : {}), onRefused: (r) => refused.push(r) });
  return { docker, sent, refused };
}

test('reads pass; every changing call is refused before it is sent', async () => {
  const { docker, sent, refused } = recordingClient();
  await docker.getContainer('web1').inspect();
  await docker.listContainers();
  await docker.getImage('busybox').inspect();
  await assert.rejects(docker.createContainer({ Image: 'busybox' }), /read-only: refused docker POST \/containers\/create/);
  await assert.rejects(docker.getContainer('web1').remove({ force: true }), /refused docker DELETE \/containers\/web1/);
  await assert.rejects(docker.getContainer('web1').start(), /refused docker POST/);
  await assert.rejects(
    docker.getContainer('web1').exec({ Cmd: ['ip', 'link', 'del', 'eth1'] }),
    /refused docker POST \/containers\/web1\/exec/,
  );
  await assert.rejects(docker.swarmLeave({ force: true }), /refused docker POST \/swarm\/leave/);
  assert.deepEqual(sent, ['GET /containers/web1/json', 'GET /containers/json', 'GET /images/busybox/json']);
  assert.equal(refused.length, 5);
});

test('an exec is created only for a command the caller allows, and such an exec may be started', async () => {
  const { docker, sent } = recordingClient((cmd) => cmd.join(' ') === 'ip -j addr show');
  const exec = await docker.getContainer('helper').exec({ Cmd: ['ip', '-j', 'addr', 'show'] });
  await assert.rejects(docker.getContainer('helper').exec({ Cmd: ['ip', 'addr', 'flush', 'eth1'] }), /refused/);
  await exec.inspect();
  assert.deepEqual(sent, ['POST /containers/helper/exec', `GET /exec/${String(exec.id)}/json`]);
});
