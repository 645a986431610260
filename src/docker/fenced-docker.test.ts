import assert from 'node:assert/strict';
import { test } from 'node:test';
import Docker from 'dockerode';
import { FakeClock } from '../../testing/fakes/fake-clock.js';
import { isChangingMethod, isLeadershipLost, LeaseFence } from '../runtime/fence.js';
import { fenceDockerClient } from './fenced-docker.js';

interface Dialed {
  method: string;
  path: string;
  abortSignal?: AbortSignal;
}

/** A real dockerode client whose modem records the requests it would send instead of sending them. */
function recordingClient(): { docker: Docker; dialed: Dialed[] } {
  const docker = new Docker({ socketPath: '/nonexistent/docker.sock' });
  const dialed: Dialed[] = [];
  (docker.modem as unknown as { dial: (o: Dialed, cb: (err: unknown, data?: unknown) => void) => void }).dial = (o, cb) => {
    dialed.push(o);
    cb(null, o.method === 'GET' ? [] : {});
  };
  return { docker, dialed };
}

test('only GET and HEAD are reads', () => {
  assert.deepEqual(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', undefined].map(isChangingMethod), [false, false, true, true, true, false]);
});

test('a fenced client sends reads while not leading and refuses every change before it is sent', async () => {
  const { docker, dialed } = recordingClient();
  const fence = new LeaseFence({ clock: new FakeClock() });
  fenceDockerClient(docker, fence);
  await docker.listContainers({ all: true });
  await assert.rejects(docker.getContainer('abc').start(), isLeadershipLost);
  await assert.rejects(docker.getContainer('abc').remove({ force: true }), isLeadershipLost);
  await assert.rejects(docker.createContainer({ Image: 'x' }), isLeadershipLost);
  assert.deepEqual(
    dialed.map((d) => `${d.method} ${d.path.split('?')[0]}`),
    ['GET /containers/json'],
    'no change left the process',
  );
});

test("while leading, a change is sent with the lease's signal, which aborts when the lease ends", async () => {
  const { docker, dialed } = recordingClient();
  const fence = new LeaseFence({ clock: new FakeClock() });
  fence.grant({ key: 'k', session: 's', deadline: () => Infinity });
  fenceDockerClient(docker, fence);
  await docker.getContainer('abc').start();
  const sent = dialed.at(-1)!;
  assert.equal(sent.method, 'POST');
  assert.ok(sent.abortSignal);
  assert.equal(sent.abortSignal.aborted, false);
  fence.revoke('the lock is held by someone else');
  assert.equal(sent.abortSignal.aborted, true, 'the in-flight call is aborted, not drained');
  await assert.rejects(docker.getContainer('abc').stop(), isLeadershipLost);
});
