import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { DockerEventStream, LineSplitter, type DockerEvent, type EventStreamSource } from './docker-events.js';
import { FakeClock, flushMicrotasks } from '../../testing/fakes/fake-clock.js';

test('the line splitter joins split lines and splits merged ones', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(s.push(':2}\n{"c":3}\n\n{"d":4}\n'), ['{"b":2}', '{"c":3}', '{"d":4}']);
  const bytes = new TextEncoder().encode('{"name":"é"}\n');
  assert.deepEqual([s.push(bytes.slice(0, 10)), s.push(bytes.slice(10))], [[], ['{"name":"é"}']]);
});

/** Hands out streams the test writes to; records the `since` of every open. */
class FakeSource implements EventStreamSource {
  opens: (number | undefined)[] = [];
  streams: PassThrough[] = [];
  failNext = 0;
  async open(since: number | undefined): Promise<NodeJS.ReadableStream> {
    this.opens.push(since);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connect ECONNREFUSED');
    }
    const s = new PassThrough();
    this.streams.push(s);
    return s;
  }
}

function setup() {
  const clock = new FakeClock();
  const source = new FakeSource();
  const events: DockerEvent[] = [];
  const log: string[] = [];
  let relists = 0;
  const stream = new DockerEventStream({
    host: 'consul01',
    source,
    clock,
    backoff: { baseMs: 500, capMs: 2000 },
    onEvent: (e) => events.push(e),
    relist: () => void relists++,
    onConnected: () => log.push('connected'),
    onDisconnected: (err) => log.push(`disconnected: ${err.message}`),
  });
  const ac = new AbortController();
  const done = stream.start(ac.signal);
  return { clock, source, events, log, relists: () => relists, stream, stop: async () => (ac.abort(), await done) };
}

test('events are parsed across chunk boundaries and connect triggers a re-list', async () => {
  const { source, events, log, relists, stop } = setup();
  await flushMicrotasks();
  assert.deepEqual(log, ['connected']);
  assert.equal(relists(), 1, 're-list after the first connect');
  source.streams[0]!.write('{"Type":"container","Action":"start","time":100,"Actor":{"ID":"c1"}}\n{"Type":"cont');
  source.streams[0]!.write('ainer","Action":"die","time":101}\n');
  await flushMicrotasks();
  assert.deepEqual(events.map((e) => e.Action), ['start', 'die']);
  await stop();
});

test('a stream that ends reports the disconnect at once, then reconnects with since and re-lists', async () => {
  const { source, clock, log, relists, stream, stop } = setup();
  await flushMicrotasks();
  source.streams[0]!.write('{"Action":"start","time":200}\n');
  source.streams[0]!.end();
  await flushMicrotasks();
  assert.deepEqual(log, ['connected', 'disconnected: event stream ended']);
  assert.equal(stream.connected, false);
  await clock.advance(500);
  assert.deepEqual(source.opens, [undefined, 200]);
  assert.deepEqual(log.at(-1), 'connected');
  assert.equal(relists(), 2);
  await stop();
});

test('failed connects back off exponentially up to the cap and report one disconnect', async () => {
  const { source, clock, log, stop } = setup();
  await flushMicrotasks();
  source.failNext = 3;
  source.streams[0]!.destroy(new Error('socket hang up'));
  await flushMicrotasks();
  for (const delay of [500, 1000, 2000]) {
    const opens = source.opens.length;
    await clock.advance(delay - 1);
    assert.equal(source.opens.length, opens);
    await clock.advance(1);
    assert.equal(source.opens.length, opens + 1, `reconnect after ${delay} ms`);
  }
  await clock.advance(2000);
  assert.deepEqual(log, ['connected', 'disconnected: socket hang up', 'connected']);
  await stop();
});

test('a host that is down from the start is reported disconnected', async () => {
  const clock = new FakeClock();
  const source = new FakeSource();
  source.failNext = 1;
  const log: string[] = [];
  const s = new DockerEventStream({
    host: 'h',
    source,
    clock,
    onEvent: () => {},
    relist: () => {},
    onDisconnected: () => log.push('down'),
  });
  const ac = new AbortController();
  const done = s.start(ac.signal);
  await flushMicrotasks();
  assert.deepEqual(log, ['down']);
  ac.abort();
  await done;
});

test('no connect is attempted before ready() resolves, and none after a failure until it resolves again', async () => {
  const clock = new FakeClock();
  const source = new FakeSource();
  source.failNext = 2;
  let open: () => void = () => {};
  let readyCalls = 0;
  const s = new DockerEventStream({
    host: 'h',
    source,
    clock,
    backoff: { baseMs: 500, capMs: 500 },
    onEvent: () => {},
    relist: () => {},
    // The host's probe: each call waits until the test says the host answers.
    ready: () => (readyCalls++, new Promise<void>((resolve) => (open = resolve))),
  });
  const ac = new AbortController();
  const done = s.start(ac.signal);
  await flushMicrotasks();
  await clock.advance(5000);
  assert.equal(source.opens.length, 0, 'nothing opened while the host is not known to answer');
  open();
  await flushMicrotasks();
  assert.equal(source.opens.length, 1);
  await clock.advance(5000);
  assert.equal(source.opens.length, 1, 'after the failed attempt, wait for ready() again, not only the backoff');
  assert.equal(readyCalls, 2);
  open();
  await flushMicrotasks();
  await clock.advance(500);
  assert.equal(source.opens.length, 2);
  ac.abort();
  open();
  await done;
});

test('a stream waiting for ready() stops at once when aborted', async () => {
  const s = new DockerEventStream({ host: 'h', source: new FakeSource(), onEvent: () => {}, relist: () => {}, ready: (signal) => new Promise((r) => signal.addEventListener('abort', () => r(), { once: true })) });
  const ac = new AbortController();
  const done = s.start(ac.signal);
  await flushMicrotasks();
  ac.abort();
  await done;
});

test('connect attempts of many streams are bounded by a shared limiter', async () => {
  let pending = 0;
  let most = 0;
  const release: (() => void)[] = [];
  // Every open hangs until the test lets it fail, like a TCP connect to a host that never answers.
  const source: EventStreamSource = {
    open: () => {
      pending++;
      most = Math.max(most, pending);
      return new Promise((_resolve, reject) => release.push(() => (pending--, reject(new Error('connect ETIMEDOUT')))));
    },
  };
  const limiter = new ConcurrencyLimit(3);
  const clock = new FakeClock();
  const ac = new AbortController();
  const streams = Array.from({ length: 10 }, (_, i) =>
    new DockerEventStream({ host: `h${i}`, source, clock, limiter, backoff: { baseMs: 100, capMs: 100 }, onEvent: () => {}, relist: () => {} }).start(ac.signal),
  );
  await flushMicrotasks();
  assert.equal(pending, 3);
  for (let round = 0; round < 20; round++) {
    release.splice(0).forEach((r) => r());
    await flushMicrotasks();
    await clock.advance(100);
  }
  assert.equal(most, 3, 'never more than 3 connects at once');
  ac.abort();
  release.splice(0).forEach((r) => r());
  await Promise.all(streams);
  assert.equal(limiter.active, 0, 'every slot given back');
});
