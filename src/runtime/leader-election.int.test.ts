import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsulKv } from '../store/consul-kv.js';
import type { KvHealthChecks } from './kv.js';
import { startConsulAgent } from '../../testing/harness/consul-agent.js';
import { LeaderElector } from './leader-election.js';
import { isLeadershipLost } from './fence.js';
import { waitUntil } from '../../testing/util/wait-until.js';

const KEY = 'swarmop-int/leader';

function elector(
  kv: ConsulKv,
  identity: string,
  leading: Set<string>,
  options: { releaseOnStop?: boolean; checks?: KvHealthChecks; timeline?: string[] } = {},
) {
  let overlap = 0;
  const e = new LeaderElector({
    kv,
    ...(options.checks ? { checks: options.checks } : {}),
    key: KEY,
    identity,
    ttlSeconds: 10,
    lockDelaySeconds: 1,
    retryMs: 200,
    releaseOnStop: options.releaseOnStop,
    onStartedLeading: async (signal) => {
      if (leading.size > 0) overlap++;
      leading.add(identity);
      options.timeline?.push(`${Date.now()} start ${identity}`);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      options.timeline?.push(`${Date.now()} stop ${identity}`);
      leading.delete(identity);
    },
  });
  const ac = new AbortController();
  // The default after a LOST lock is to end with LeadershipLost (the process exits); a clean stop resolves.
  const done = e.start(ac.signal).then(
    () => 'stopped' as const,
    (err: unknown) => {
      if (isLeadershipLost(err)) return 'lost' as const;
      throw err;
    },
  );
  return { e, stop: async () => (ac.abort(), await done), ended: done, overlaps: () => overlap };
}

test('only one elector leads; a standby takes over after a clean stop and after a lost session', { timeout: 120_000 }, async () => {
  const agent = await startConsulAgent();
  const kv = new ConsulKv({ address: agent.address });
  const leading = new Set<string>();
  try {
    const a = elector(kv, 'a', leading);
    await waitUntil('a leads', () => a.e.isLeader());
    // b will play the killed leader: its stop leaves the session to expire, like a SIGKILL.
    const b = elector(kv, 'b', leading, { releaseOnStop: false });
    await waitUntil('b is a healthy standby', () => b.e.state.healthy);
    await new Promise((r) => setTimeout(r, 500)); // give b a chance to (wrongly) take the lock
    assert.deepEqual([...leading], ['a']);
    assert.equal(b.e.isLeader(), false);

    // Clean stop: a releases the lock and destroys its session; b is blocked on the key and wakes up.
    let t0 = Date.now();
    await a.stop();
    await waitUntil('b leads after a clean stop', () => b.e.isLeader(), 10_000, 5);
    const clean = Date.now() - t0;

    // "Killed" leader: b stops without releasing, so only the session TTL frees the lock.
    const c = elector(kv, 'c', leading);
    await waitUntil('c is a healthy standby', () => c.e.state.healthy);
    t0 = Date.now();
    await b.stop();
    await waitUntil('c leads after the TTL', () => c.e.isLeader(), 40_000, 20);
    const ttl = Date.now() - t0;
    console.log(`# failover after a clean stop: ${clean} ms; after a lost session (ttl 10 s, lock-delay 1 s): ${ttl} ms`);
    assert.ok(clean < 8000, `clean hand-over took ${clean} ms: it waited for the 10 s TTL`);
    assert.ok(ttl >= 9000, `take-over waited for the TTL (${ttl} ms)`);
    assert.equal(a.overlaps() + b.overlaps() + c.overlaps(), 0, 'two electors never led at once');
    await c.stop();
  } finally {
    kv.close();
    await agent.stop();
  }
});

/** The same client, cut off on demand: every call then fails after a while, as into a partition. */
function partitionable(kv: ConsulKv): { kv: ConsulKv; cut: () => void } {
  let cut = false;
  const proxy = new Proxy(kv, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (!cut) return (v as (...a: unknown[]) => unknown).apply(target, args);
        return new Promise((_, reject) => setTimeout(() => reject(new Error('partitioned')), 3_000));
      };
    },
  });
  return { kv: proxy, cut: () => void (cut = true) };
}

test(
  'with a TTL check bound to the session: a killed leader is replaced within 5 s, a partitioned one steps down before anyone else leads',
  { timeout: 120_000 },
  async () => {
    const agent = await startConsulAgent();
    const kv = new ConsulKv({ address: agent.address });
    const leading = new Set<string>();
    const timeline: string[] = [];
    try {
      const a = elector(kv, 'a', leading, { releaseOnStop: false, checks: kv, timeline });
      await waitUntil('a leads', () => a.e.isLeader());
      const b = elector(kv, 'b', leading, { checks: kv, timeline });
      await waitUntil('b is a healthy standby', () => b.e.state.healthy);

      // kill -9 of a: its check is no longer passed and nothing is released.
      let t0 = Date.now();
      await a.stop();
      await waitUntil('b leads after a was killed', () => b.e.isLeader(), 15_000, 10);
      const killed = Date.now() - t0;

      // b is cut off from Consul while leading; c (connected) must not lead before b stopped.
      const p = partitionable(new ConsulKv({ address: agent.address }));
      const c = elector(kv, 'c', leading, { checks: kv, timeline });
      await waitUntil('c is a healthy standby', () => c.e.state.healthy);
      await b.stop(); // b hands over cleanly to c; now let a partitionable d lead
      await waitUntil('c leads', () => c.e.isLeader(), 5_000, 10);
      const d = elector(p.kv, 'd', leading, { checks: p.kv, timeline });
      await waitUntil('d is a healthy standby', () => d.e.state.healthy);
      await c.stop();
      await waitUntil('d leads', () => d.e.isLeader(), 5_000, 10);
      const e = elector(kv, 'e', leading, { checks: kv, timeline });
      await waitUntil('e is a healthy standby', () => e.e.state.healthy);
      t0 = Date.now();
      p.cut();
      await waitUntil('e leads after d was partitioned', () => e.e.isLeader(), 15_000, 10);
      const partitioned = Date.now() - t0;
      console.log(
        `# failover with a 2 s TTL check: after kill -9 ${killed} ms; after a partition ${partitioned} ms; timeline ${timeline.join(', ')}`,
      );
      // Without the 2 s check only the 10 s session TTL would free the lock: under 9 s proves the check did.
      assert.ok(killed < 9_000, `killed leader replaced after ${killed} ms`);
      assert.ok(partitioned < 9_000, `partitioned leader replaced after ${partitioned} ms`);
      assert.equal(a.overlaps() + b.overlaps() + c.overlaps() + d.overlaps() + e.overlaps(), 0, 'two electors never led at once');
      const dStop = timeline.find((l) => l.endsWith('stop d'));
      const eStart = timeline.find((l) => l.endsWith('start e'));
      assert.ok(
        dStop && eStart && Number(dStop.split(' ')[0]) <= Number(eStart.split(' ')[0]),
        `d stopped before e started: ${timeline.join(', ')}`,
      );
      assert.equal(await d.ended, 'lost', 'the partitioned leader ended with LeadershipLost, without being stopped');
      assert.equal(await e.stop(), 'stopped');
    } finally {
      kv.close();
      await agent.stop();
    }
  },
);
