import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { DockerHost } from '../crds/index.js';
import type { EventStreamSource } from '../runtime/docker-events.js';
import { HostStreams, type HostProbes } from './host-streams.js';

function host(name: string): DockerHost {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name },
    spec: { endpoint: `unix:///nowhere/${name}.sock`, address: '127.0.0.1' },
  } as DockerHost;
}

/** The probes as the DockerHost controller reports them, set by the test. */
class TestProbes implements HostProbes {
  readonly #last = new Map<string, boolean>();
  readonly #listeners = new Set<(host: string, reachable: boolean) => void>();
  probed(h: string) {
    return this.#last.get(h);
  }
  onProbe(listener: (host: string, reachable: boolean) => void) {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
  report(h: string, reachable: boolean) {
    this.#last.set(h, reachable);
    for (const l of this.#listeners) l(h, reachable);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 30));

test('a host is connected only after its probe says the engine answers; unanswered hosts cost no attempts between probes', async () => {
  const opens = new Map<string, number>();
  const up = new Set<string>();
  const source = (h: DockerHost): EventStreamSource => ({
    open: async () => {
      opens.set(h.metadata.name, (opens.get(h.metadata.name) ?? 0) + 1);
      if (!up.has(h.metadata.name)) throw new Error('connect ENOENT');
      return new PassThrough();
    },
  });
  const probes = new TestProbes();
  const connected: string[] = [];
  const hosts = Array.from({ length: 50 }, (_, i) => host(`h${i}`));
  const streams = new HostStreams({
    dockerHosts: () => hosts,
    onEvent: () => {},
    onConnectivity: (h, c) => void (c && connected.push(h)),
    probes,
    source,
    backoff: { baseMs: 5, capMs: 5 },
  });
  const ac = new AbortController();
  const done = streams.start(ac.signal);
  try {
    await tick();
    assert.equal(opens.size, 0, 'no host probed yet: nothing opened');
    for (const h of hosts) probes.report(h.metadata.name, false);
    await tick();
    assert.equal(opens.size, 0, 'every probe said down: nothing opened');

    // h1's probe says it answers but its stream fails: it retries on its backoff until a probe says it is down.
    up.add('h0');
    probes.report('h0', true);
    probes.report('h1', true);
    await tick();
    assert.deepEqual(connected, ['h0']);
    assert.ok(opens.get('h1')! > 1, `h1 retried while its probe said up (${opens.get('h1')})`);
    probes.report('h1', false);
    await tick();
    const afterDown = opens.get('h1')!;
    await tick();
    assert.equal(opens.get('h1'), afterDown, 'a host probed down gets no more attempts');
    up.add('h1');
    probes.report('h1', true);
    await tick();
    assert.deepEqual(connected, ['h0', 'h1']);
    assert.equal(opens.size, 2, 'the 48 hosts that never answered were never dialled');
  } finally {
    ac.abort();
    await done;
  }
});

test('without probes every host connects at once, as before', async () => {
  const connected: string[] = [];
  const streams = new HostStreams({
    dockerHosts: () => [host('a'), host('b')],
    onEvent: () => {},
    onConnectivity: (h, c) => void (c && connected.push(h)),
    source: () => ({ open: async () => new PassThrough() }),
  });
  const ac = new AbortController();
  const done = streams.start(ac.signal);
  await tick();
  assert.deepEqual(connected.sort(), ['a', 'b']);
  ac.abort();
  await done;
});

test('a stream that was connected and dropped is re-dialled on its backoff for a while even after a probe says down, then waits for probes', async () => {
  let opens = 0;
  let current: PassThrough | undefined;
  let up = true;
  const probes = new TestProbes();
  const changes: boolean[] = [];
  let now = 1_000_000;
  const streams = new HostStreams({
    dockerHosts: () => [host('a')],
    onEvent: () => {},
    onConnectivity: (_h, c) => void changes.push(c),
    probes,
    source: () => ({
      open: async () => {
        opens++;
        if (!up) throw new Error('connect ECONNREFUSED');
        return (current = new PassThrough());
      },
    }),
    backoff: { baseMs: 5, capMs: 5 },
    redialWindowMs: 60_000,
    now: () => now,
  });
  const ac = new AbortController();
  const done = streams.start(ac.signal);
  try {
    probes.report('a', true);
    await tick();
    assert.deepEqual(changes, [true]);
    // The engine stops: the stream drops and the probe that follows says down.
    up = false;
    current!.destroy(new Error('socket hang up'));
    probes.report('a', false);
    await tick();
    assert.deepEqual(changes, [true, false]);
    const during = opens;
    await tick();
    assert.ok(opens > during, 'still re-dialled within the window after the drop');
    // The engine is back within the window: seen by the stream itself, without a probe.
    up = true;
    await tick();
    assert.deepEqual(changes, [true, false, true]);
    // Down again, now past the window: only a probe that answers brings the next attempt.
    up = false;
    current!.destroy(new Error('socket hang up'));
    await tick();
    now += 61_000;
    await tick();
    const after = opens;
    await tick();
    assert.equal(opens, after, 'past the window a host probed down is not dialled');
    up = true;
    probes.report('a', true);
    await tick();
    assert.deepEqual(changes, [true, false, true, false, true]);
  } finally {
    ac.abort();
    await done;
  }
});
