import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../testing/fakes/fake-clock.js';
import { isLeadershipLost, LeaseFence, openFence } from './fence.js';
import { earliestLockMove, leaseDeadline, LEASE_FRACTION } from './leader-election.js';

test('a fence refuses every call before a lease is granted, names the call, and reports the refusal', () => {
  const refused: string[] = [];
  const fence = new LeaseFence({ clock: new FakeClock(), onRefuse: (action) => refused.push(action) });
  assert.throws(
    () => fence.check('docker POST /containers/x/start'),
    (err) => isLeadershipLost(err) && /docker POST \/containers\/x\/start/.test((err as Error).message),
  );
  assert.deepEqual(refused, ['docker POST /containers/x/start']);
  assert.equal(fence.signal.aborted, true, 'a call made while not leading is aborted at once');
  assert.equal(fence.lock, undefined);
});

test('a granted lease lets calls through until its deadline, then refuses them and aborts its signal', async () => {
  const clock = new FakeClock();
  const fence = new LeaseFence({ clock });
  let deadline = clock.now() + 1500;
  const revoked: string[] = [];
  fence.onRevoke((r) => revoked.push(r));
  fence.grant({ key: 'p/leader', session: 's1', deadline: () => deadline });
  fence.check('a write');
  const signal = fence.signal;
  assert.equal(signal.aborted, false);
  assert.deepEqual(fence.lock, { key: 'p/leader', session: 's1' });
  await clock.advance(1000);
  deadline = clock.now() + 1500; // a pass was accepted: the deadline moves
  await clock.advance(1499);
  fence.check('still leading');
  await clock.advance(1);
  assert.throws(() => fence.check('too late'), isLeadershipLost);
  assert.equal(signal.aborted, true);
  assert.ok(isLeadershipLost(signal.reason));
  assert.equal(revoked.length, 1);
  assert.match(revoked[0]!, /lease expired/);
  assert.equal(fence.lock, undefined);
});

test('revoking ends the lease once; a later grant starts a new one with a fresh signal', () => {
  const clock = new FakeClock();
  const fence = new LeaseFence({ clock });
  const revoked: string[] = [];
  fence.onRevoke((r) => revoked.push(r));
  fence.grant({ key: 'k', session: 's1', deadline: () => Infinity });
  const first = fence.signal;
  fence.revoke('the lock is held by s2');
  fence.revoke('again');
  assert.deepEqual(revoked, ['the lock is held by s2']);
  assert.throws(
    () => fence.check('x'),
    (err) => /the lock is held by s2/.test((err as Error).message),
  );
  fence.grant({ key: 'k', session: 's3', deadline: () => Infinity });
  assert.equal(first.aborted, true);
  assert.equal(fence.signal.aborted, false);
  fence.check('x');
});

test('the open fence (no leader election) never refuses and never aborts', () => {
  const fence = openFence();
  fence.check('anything');
  assert.equal(fence.signal.aborted, false);
  assert.equal(fence.lock, undefined);
});

test('the lease ends before any other replica can take the lock, with an explicit margin', () => {
  const sent = 1_000_000;
  // Defaults: check TTL 2 s, lock-delay 1 s, session TTL 10 s.
  const p = { lastPassSentMs: sent, checkTtlMs: 2000, lastRenewSentMs: sent, sessionTtlMs: 10_000 };
  assert.equal(leaseDeadline(p), sent + 1500);
  assert.equal(earliestLockMove({ ...p, lockDelayMs: 1000 }), sent + 3000);
  // Every lock-delay the CLI accepts (0-60 s) and check TTLs of 1-10 s keep a margin of at least a quarter of the check TTL.
  for (const checkTtlMs of [1000, 2000, 5000, 10_000]) {
    for (const lockDelayMs of [0, 1000, 15_000, 60_000]) {
      const q = { ...p, checkTtlMs };
      const margin = earliestLockMove({ ...q, lockDelayMs }) - leaseDeadline(q);
      assert.ok(
        margin >= checkTtlMs * (1 - LEASE_FRACTION),
        `check TTL ${checkTtlMs} ms, lock-delay ${lockDelayMs} ms: margin ${margin} ms`,
      );
    }
  }
  // Session only (no check): the lease ends at 3/4 of the TTL after the last accepted renewal.
  const s = { lastRenewSentMs: sent, sessionTtlMs: 10_000 };
  assert.equal(leaseDeadline(s), sent + 7500);
  assert.ok(earliestLockMove({ ...s, lockDelayMs: 0 }) - leaseDeadline(s) >= 2500);
  // A stale renewal cannot extend a lease the check already ended.
  assert.equal(leaseDeadline({ ...p, lastRenewSentMs: sent + 5000 }), sent + 1500);
});
