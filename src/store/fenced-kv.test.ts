import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { FakeClock } from '../../testing/fakes/fake-clock.js';
import { isLeadershipLost, LeaseFence } from '../runtime/fence.js';
import { FencedKv } from './fenced-kv.js';

const LOCK = 'p/leader';

async function leader() {
  const kv = new MemoryKv();
  const clock = new FakeClock();
  const session = await kv.createSession({ name: 'a', ttl: '10s', lockDelay: '0s', behavior: 'release' });
  assert.equal(await kv.acquire(LOCK, 'a', session), true);
  const fence = new LeaseFence({ clock });
  let deadline = clock.now() + 1500;
  fence.grant({ key: LOCK, session, deadline: () => deadline });
  let refusedByStore = 0;
  const fenced = new FencedKv({ kv, fence, onRefusedByStore: () => refusedByStore++ });
  return { kv, clock, fence, fenced, session, refused: () => refusedByStore, expire: () => (deadline = -Infinity) };
}

test('writes of the lock holder apply and return only their own results', async () => {
  const { kv, fenced } = await leader();
  await fenced.set('p/a', '1');
  assert.equal(await fenced.cas('p/a', '2', (await kv.get('p/a'))!.modifyIndex), true);
  const res = await fenced.txn([
    { verb: 'get', key: 'p/a' },
    { verb: 'set', key: 'p/b', value: 'x' },
  ]);
  assert.deepEqual(
    res.results.map((r) => r.key),
    ['p/a', 'p/b'],
  );
  assert.equal((await kv.get('p/a'))?.value, '2');
  assert.equal(await fenced.delete('p/b'), true);
  assert.equal(await kv.get('p/b'), undefined);
});

test('a lost compare-and-set stays a plain conflict and does not end the lease', async () => {
  const { kv, fence, fenced } = await leader();
  await kv.set('p/a', '1');
  assert.equal(await fenced.cas('p/a', '2', 999), false);
  assert.equal(await fenced.delete('p/a', { cas: 999 }), false);
  fence.check('still leading');
});

test("after the lock moved, the store refuses the old leader's write, the value stays, and the lease ends", async () => {
  const { kv, fence, fenced, session, refused } = await leader();
  await kv.set('p/status', 'new leader');
  const before = await kv.get('p/status');
  // The lock is taken away by hand (session destroyed) and another replica takes it: the old
  // leader's own clock still says its lease holds, so only the store can refuse the write.
  await kv.destroySession(session);
  const other = await kv.createSession({ name: 'b', ttl: '10s', lockDelay: '0s', behavior: 'release' });
  assert.equal(await kv.acquire(LOCK, 'b', other), true);
  await assert.rejects(fenced.cas('p/status', 'old leader', before!.modifyIndex), isLeadershipLost);
  assert.equal(refused(), 1);
  assert.deepEqual(await kv.get('p/status'), before, 'the late write changed nothing');
  assert.throws(() => fence.check('next write'), isLeadershipLost);
});

test('after the lease deadline no write reaches the store at all', async () => {
  const { kv, fenced, expire } = await leader();
  await kv.set('p/a', '1');
  const index = (await kv.list('p/')).index;
  expire();
  await assert.rejects(fenced.set('p/a', '2'), isLeadershipLost);
  await assert.rejects(fenced.txn([{ verb: 'delete', key: 'p/a' }]), isLeadershipLost);
  assert.equal((await kv.list('p/')).index, index, 'nothing was written');
  assert.equal((await kv.get('p/a'))?.value, '1');
});

test('a foreign Consul (swarm discovery): writes and sessions pass the fence only, with no lock to prove', async () => {
  const kv = new MemoryKv();
  const clock = new FakeClock();
  const fence = new LeaseFence({ clock });
  const fenced = new FencedKv({ kv, fence, foreign: true });
  await assert.rejects(fenced.createSession({ name: 'x', ttl: '10s', lockDelay: '0s', behavior: 'delete' }), isLeadershipLost);
  await assert.rejects(fenced.set('swarm/docker/swarm/nodes/a', 'a'), isLeadershipLost);
  fence.grant({ key: 'store/leader', session: 'not-in-this-consul', deadline: () => Infinity });
  const s = await fenced.createSession({ name: 'x', ttl: '10s', lockDelay: '0s', behavior: 'delete' });
  assert.equal(await fenced.acquire('swarm/docker/swarm/nodes/a', 'a', s), true);
  await fenced.set('swarm/other', 'b');
  assert.equal((await kv.get('swarm/other'))?.value, 'b');
});
