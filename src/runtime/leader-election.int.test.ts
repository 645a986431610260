import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsulKv } from '../store/consul-kv.js';
import { startConsulAgent } from '../testing/consul-agent.js';
import { LeaderElector } from './leader-election.js';
import { waitUntil } from './wait-until.js';

const KEY = 'swarmop-int/leader';

function elector(kv: ConsulKv, identity: string, leading: Set<string>, options: { releaseOnStop?: boolean } = {}) {
  let overlap = 0;
  const e = new LeaderElector({
    kv,
    key: KEY,
    identity,
    ttlSeconds: 10,
    lockDelaySeconds: 1,
    retryMs: 200,
    releaseOnStop: options.releaseOnStop,
    onStartedLeading: async (signal) => {
      if (leading.size > 0) overlap++;
      leading.add(identity);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      leading.delete(identity);
    },
  });
  const ac = new AbortController();
  const done = e.start(ac.signal);
  return { e, stop: async () => (ac.abort(), await done), overlaps: () => overlap };
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
    assert.ok(clean < 2000, `clean hand-over took ${clean} ms`);
    assert.ok(ttl >= 9000, `take-over waited for the TTL (${ttl} ms)`);
    assert.equal(a.overlaps() + b.overlaps() + c.overlaps(), 0, 'two electors never led at once');
    await c.stop();
  } finally {
    kv.close();
    await agent.stop();
  }
});
