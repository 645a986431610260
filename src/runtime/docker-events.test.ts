import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import PQueue from 'p-queue';
import {
  DockerEventStream,
  LINE_LIMIT_BYTES,
  LineSplitter,
  type DockerEvent,
  type DockerEventStreamOptions,
  type EventStreamSource,
} from './docker-events.js';
import { OutputLimitError } from './output-limits.js';
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
  /** How many of the next opens fail as a refused connection. */
  failNext: number;
  constructor({ failFirst = 0 } = {}) {
    this.failNext = failFirst;
  }
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

/** Every open hangs until the test fails it, like a TCP connect to a host that never answers. */
class HangingConnects {
  /** The streams' names, one per open, in the order they dialled. */
  readonly dialled: string[] = [];
  /** The most opens that were in flight at once. */
  most = 0;
  readonly #inFlight: (() => void)[] = [];

  get inFlight(): number {
    return this.#inFlight.length;
  }

  /** The source of the stream named `name`. */
  for(name: string): EventStreamSource {
    return {
      open: () => {
        this.dialled.push(name);
        return new Promise((_resolve, reject) => {
          this.#inFlight.push(() => reject(new Error('connect ETIMEDOUT')));
          this.most = Math.max(this.most, this.#inFlight.length);
        });
      },
    };
  }

  failAll(): void {
    for (const fail of this.#inFlight.splice(0)) fail();
  }
}

type StreamOverrides<S extends EventStreamSource> = Partial<Omit<DockerEventStreamOptions, 'source' | 'clock'>> & {
  source?: S;
  clock?: FakeClock;
};

/**
 * Starts one stream (host consul01, backoff 500 ms doubling up to 2 s) over a FakeSource on a fake
 * clock, recording its events, re-lists and connection changes; `overrides` replace any of those.
 */
function setup<S extends EventStreamSource = FakeSource>(overrides: StreamOverrides<S> = {}) {
  const { source = new FakeSource() as EventStreamSource as S, clock = new FakeClock(), ...options } = overrides;
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
    ...options,
  });
  const ac = new AbortController();
  const done = stream.start(ac.signal);
  return { clock, source, events, log, relists: () => relists, stream, stop: async () => (ac.abort(), await done) };
}

/** `count` streams (h0, h1, …) over `connects`, sharing `limiter` and one clock, retrying every 100 ms. */
function limitedStreams(connects: HangingConnects, limiter: PQueue, count: number) {
  const clock = new FakeClock();
  const streams = Array.from({ length: count }, (_, i) =>
    setup({ host: `h${i}`, source: connects.for(`h${i}`), clock, limiter, backoff: { baseMs: 100, capMs: 100 } }),
  );
  return { clock, streams };
}

/** Stops every stream, failing the opens still in flight (they do not answer the abort). */
async function stopAll(streams: { stop: () => Promise<void> }[], connects: HangingConnects): Promise<void> {
  const stopping = Promise.all(streams.map((s) => s.stop()));
  connects.failAll();
  await stopping;
}

test('events are parsed across chunk boundaries and connect triggers a re-list', async () => {
  const { source, events, log, relists, stop } = setup();
  await flushMicrotasks();
  assert.deepEqual(log, ['connected']);
  assert.equal(relists(), 1, 're-list after the first connect');
  source.streams[0]!.write('{"Type":"container","Action":"start","time":100,"Actor":{"ID":"c1"}}\n{"Type":"cont');
  source.streams[0]!.write('ainer","Action":"die","time":101}\n');
  await flushMicrotasks();
  assert.deepEqual(
    events.map((e) => e.Action),
    ['start', 'die'],
  );
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
  const { log, stop } = setup({ source: new FakeSource({ failFirst: 1 }) });
  await flushMicrotasks();
  assert.deepEqual(log, ['disconnected: connect ECONNREFUSED']);
  await stop();
});

test('no connect is attempted before ready() resolves, and none after a failure until it resolves again', async () => {
  let open: () => void = () => {};
  let readyCalls = 0;
  const { source, clock, stop } = setup({
    source: new FakeSource({ failFirst: 2 }),
    backoff: { baseMs: 500, capMs: 500 },
    // The host's probe: each call waits until the test says the host answers.
    ready: () => (readyCalls++, new Promise<void>((resolve) => (open = resolve))),
  });
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
  const stopping = stop();
  open();
  await stopping;
});

test('a stream waiting for ready() stops at once when aborted', async () => {
  const { source, stop } = setup({ ready: (signal) => new Promise((r) => signal.addEventListener('abort', () => r(), { once: true })) });
  await flushMicrotasks();
  await stop();
  assert.deepEqual(source.opens, [], 'never dialled');
});

test('connect attempts of many streams are bounded by a shared limiter and given out in arrival order', async () => {
  const connects = new HangingConnects();
  const limiter = new PQueue({ concurrency: 3 });
  const { clock, streams } = limitedStreams(connects, limiter, 10);
  await flushMicrotasks();
  assert.equal(connects.inFlight, 3);
  for (let round = 0; round < 20; round++) {
    connects.failAll();
    await flushMicrotasks();
    await clock.advance(100);
  }
  assert.equal(connects.most, 3, 'never more than 3 connects at once');
  assert.deepEqual(
    connects.dialled.slice(0, 10),
    ['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'h9'],
    'each freed slot goes to the stream that waited longest',
  );
  await stopAll(streams, connects);
  assert.deepEqual([limiter.pending, limiter.size], [0, 0], 'every slot given back, nobody left in line');
});

test('a stream stopped while it waits for a connect slot leaves the line without dialling', async () => {
  const connects = new HangingConnects();
  const limiter = new PQueue({ concurrency: 1 });
  const { streams } = limitedStreams(connects, limiter, 3);
  await flushMicrotasks();
  assert.deepEqual([connects.dialled, limiter.size], [['h0'], 2], 'h0 holds the slot, h1 and h2 wait');
  const stopping = streams[1]!.stop();
  await flushMicrotasks();
  assert.equal(limiter.size, 1, 'the stopped stream left the line');
  await stopping;
  connects.failAll();
  await flushMicrotasks();
  assert.deepEqual(connects.dialled, ['h0', 'h2'], 'the freed slot went to the next stream still waiting');
  await stopAll([streams[0]!, streams[2]!], connects);
  assert.deepEqual([limiter.pending, limiter.size], [0, 0]);
});

test('the line splitter refuses a line over its cap instead of holding it', () => {
  const s = new LineSplitter({ maxLineBytes: 16, what: 'test stream: a line' });
  assert.deepEqual(s.push('0123456789\n0123'), ['0123456789']);
  assert.throws(
    () => s.push('456789abcdefgh'),
    (e: unknown) => e instanceof OutputLimitError && /test stream: a line over 16 bytes/.test(e.message),
  );
  // the default cap holds a long but sane line
  const d = new LineSplitter();
  assert.deepEqual(d.push(`${'x'.repeat(100_000)}\n`), ['x'.repeat(100_000)]);
  assert.throws(() => d.push('y'.repeat(LINE_LIMIT_BYTES + 1)), OutputLimitError);
});

test('an event stream that sends a line over the cap is ended, logged, and dialled again', async () => {
  const warnings: string[] = [];
  const log = {
    error: () => undefined,
    warn: (m: string, f?: Record<string, unknown>) => void warnings.push(`${m}: ${String(f?.error)}`),
    info: () => undefined,
    debug: () => undefined,
    child: () => log,
  };
  const { source, clock, stop } = setup({ log: log as never, maxLineBytes: 64 });
  await flushMicrotasks();
  const first = source.streams[0]!;
  first.write('{"Action":"start","time":1}\n');
  first.write('x'.repeat(65));
  await flushMicrotasks();
  assert.equal(first.destroyed, true, 'the stream is ended');
  assert.match(warnings.join('\n'), /docker event stream down, reconnecting: docker events of consul01: a line over 64 bytes/);
  await clock.advance(600);
  await flushMicrotasks();
  assert.equal(source.opens.length, 2, 'dialled again');
  await stop();
});
