import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DockerHost } from '../crds/index.js';
import { startDockerEngine, type DockerEngineHandle } from '../../testing/harness/docker-engine.js';
import { waitUntil } from '../../testing/util/wait-until.js';
import { HostStreams } from './host-streams.js';

function host(name: string, endpoint: string): DockerHost {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name },
    spec: { endpoint, address: '127.0.0.1' },
  } as DockerHost;
}

describe('host event streams against a real dockerd', { timeout: 240_000 }, () => {
  let engine: DockerEngineHandle;
  before(async () => {
    engine = await startDockerEngine({ name: 'drift-streams' });
  });
  after(async () => {
    await engine?.stop();
  });

  test('an idle stream stays connected for 25 s (no reconnect, no re-queue) and a stopped engine flips it', async () => {
    const changes: { connected: boolean; at: number }[] = [];
    let events = 0;
    const streams = new HostStreams({
      dockerHosts: () => [host('idle', engine.dockerHost)],
      onEvent: () => void events++,
      // Every (re)connect re-queues every key on the host: counting them counts the re-queues.
      onConnectivity: (_h, connected) => void changes.push({ connected, at: Date.now() }),
    });
    const abort = new AbortController();
    const done = streams.start(abort.signal);
    try {
      await waitUntil('stream connected', () => changes.length > 0, 10_000, 20);
      // The idle window under test, not a wait for a condition: 2.5 times the 10 s request timeout that
      // once cut every idle stream (and re-queued every key) is enough to see that bug come back.
      await new Promise((r) => setTimeout(r, 25_000));
      assert.deepEqual(
        changes.map((c) => c.connected),
        [true],
        'exactly one connect in 25 idle seconds',
      );
      assert.equal(events, 0);

      await engine.stop();
      const stopped = Date.now();
      await waitUntil('stream down', () => changes.length > 1, 5_000, 10);
      assert.equal(changes[1]!.connected, false);
      console.log(`# stream down seen ${changes[1]!.at - stopped} ms after the engine stopped`);
    } finally {
      abort.abort();
      await done;
      await engine.start();
    }
  });
});
