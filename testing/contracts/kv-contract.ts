/**
 * The behaviour table every KvStore must satisfy, run against the real Consul (consul-kv.int.test.ts)
 * and against the in-memory fake (memory-kv.test.ts), so the fake cannot drift from Consul.
 * Each case gets a fresh key prefix, so one store can serve every case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSwarmopError } from '../../src/errors.js';
import { isTxnConflict } from '../../src/store/kv-errors.js';
import type { KvStore, KvTxnOp } from '../../src/store/kv.js';

export interface KvContractFixture {
  kv: KvStore;
  /** Makes the session expire now (real Consul: destroy it; fake: invalidate it). */
  expireSession?(id: string): Promise<void>;
}

let counter = 0;
function freshPrefix(): string {
  counter += 1;
  return `contract-${process.pid}-${Date.now()}-${counter}/`;
}

export function kvContract(name: string, fixture: () => KvContractFixture): void {
  test(`${name}: get returns undefined for a missing key and the pair with indexes for a set one`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    assert.equal(await kv.get(`${p}missing`), undefined);
    await kv.set(`${p}a`, 'héllo');
    const pair = await kv.get(`${p}a`);
    assert.ok(pair);
    assert.equal(pair.key, `${p}a`);
    assert.equal(pair.value, 'héllo');
    assert.ok(pair.modifyIndex > 0);
    assert.equal(pair.createIndex, pair.modifyIndex);
    await kv.set(`${p}a`, 'again');
    const updated = await kv.get(`${p}a`);
    assert.ok(updated && updated.modifyIndex > pair.modifyIndex);
    assert.equal(updated.createIndex, pair.createIndex);
  });

  test(`${name}: an empty value reads back as the empty string`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}empty`, '');
    assert.equal((await kv.get(`${p}empty`))?.value, '');
  });

  test(`${name}: list returns the pairs under a prefix sorted by key, with an index`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    const empty = await kv.list(p);
    assert.deepEqual(empty.pairs, []);
    assert.ok(empty.index > 0);
    await kv.set(`${p}b`, '2');
    await kv.set(`${p}a/x`, '1');
    await kv.set(`${p.slice(0, -1)}-other`, 'not under the prefix');
    const listed = await kv.list(p);
    assert.deepEqual(
      listed.pairs.map((x) => [x.key, x.value]),
      [
        [`${p}a/x`, '1'],
        [`${p}b`, '2'],
      ],
    );
    assert.ok(listed.index >= Math.max(...listed.pairs.map((x) => x.modifyIndex)));
  });

  test(`${name}: cas creates only when absent with index 0 and updates only on the current index`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    assert.equal(await kv.cas(`${p}k`, 'v1', 0), true);
    assert.equal(await kv.cas(`${p}k`, 'v2', 0), false);
    const cur = await kv.get(`${p}k`);
    assert.ok(cur);
    assert.equal(await kv.cas(`${p}k`, 'stale', cur.modifyIndex + 1000), false);
    assert.equal(await kv.cas(`${p}k`, 'v2', cur.modifyIndex), true);
    assert.equal(await kv.cas(`${p}k`, 'v3', cur.modifyIndex), false);
    assert.equal((await kv.get(`${p}k`))?.value, 'v2');
  });

  test(`${name}: delete removes one key, with cas only on the current index, and recursively a tree`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}one`, '1');
    const one = await kv.get(`${p}one`);
    assert.ok(one);
    assert.equal(await kv.delete(`${p}one`, { cas: one.modifyIndex + 1000 }), false);
    assert.ok(await kv.get(`${p}one`));
    assert.equal(await kv.delete(`${p}one`, { cas: one.modifyIndex }), true);
    assert.equal(await kv.get(`${p}one`), undefined);
    await kv.set(`${p}tree/a`, '1');
    await kv.set(`${p}tree/b/c`, '2');
    await kv.set(`${p}keep`, '3');
    assert.equal(await kv.delete(`${p}tree/`, { recurse: true }), true);
    assert.deepEqual(
      (await kv.list(p)).pairs.map((x) => x.key),
      [`${p}keep`],
    );
    assert.equal(await kv.delete(`${p}never-existed`), true);
  });

  test(`${name}: a blocking list returns at once when the index is older than the data`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}a`, '1');
    const first = await kv.list(p);
    const started = Date.now();
    const again = await kv.list(p, { index: first.index - 1, wait: '5s' });
    assert.ok(Date.now() - started < 4000, 'answered at once, not after the 5 s wait');
    assert.equal(again.pairs.length, 1);
  });

  test(`${name}: a blocking list wakes up on a change under the prefix and reports a higher index`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}a`, '1');
    const first = await kv.list(p);
    const blocked = kv.list(p, { index: first.index, wait: '10s' });
    setTimeout(() => void kv.set(`${p}b`, '2'), 100);
    const started = Date.now();
    const next = await blocked;
    assert.ok(Date.now() - started < 5000, 'woke up before the wait ran out');
    assert.ok(next.index > first.index);
    assert.deepEqual(
      next.pairs.map((x) => x.key),
      [`${p}a`, `${p}b`],
    );
  });

  test(`${name}: a blocking list wakes up when a key under the prefix is deleted`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}a`, '1');
    await kv.set(`${p}b`, '2');
    const first = await kv.list(p);
    const blocked = kv.list(p, { index: first.index, wait: '10s' });
    setTimeout(() => void kv.delete(`${p}b`), 100);
    const next = await blocked;
    assert.ok(next.index > first.index);
    assert.deepEqual(
      next.pairs.map((x) => x.key),
      [`${p}a`],
    );
  });

  test(`${name}: prefixIndex follows writes and deletions under the prefix only, and blocks like list`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}dir/a`, '1');
    const first = await kv.prefixIndex(p);
    assert.equal(first, (await kv.list(p)).index);
    await kv.set(`${p.slice(0, -1)}-other/x`, 'not under the prefix');
    assert.equal(await kv.prefixIndex(p), first, 'a write elsewhere does not move it');
    const blocked = kv.prefixIndex(p, { index: first, wait: '10s' });
    setTimeout(() => void kv.delete(`${p}dir/a`), 100);
    const afterDelete = await blocked;
    assert.ok(afterDelete > first, 'a deletion moves it');
    const started = Date.now();
    assert.equal(await kv.prefixIndex(p, { index: afterDelete, wait: '300ms' }), afterDelete);
    assert.ok(Date.now() - started >= 250);
  });

  test(`${name}: a blocking list returns the same index when the wait runs out`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}a`, '1');
    const first = await kv.list(p);
    const started = Date.now();
    const same = await kv.list(p, { index: first.index, wait: '300ms' });
    assert.ok(Date.now() - started >= 250);
    assert.equal(same.index, first.index);
  });

  test(`${name}: aborting a blocking list rejects it promptly with the signal's reason`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}a`, '1');
    const first = await kv.list(p);
    const controller = new AbortController();
    const blocked = kv.list(p, { index: first.index, wait: '30s', signal: controller.signal });
    const reason = new Error('stop watching');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    await assert.rejects(blocked, (err) => err === reason);
    assert.ok(Date.now() - started < 15_000, 'the abort ended the 30 s wait');
  });

  test(`${name}: a transaction applies every operation with one shared index`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}old`, 'x');
    const old = await kv.get(`${p}old`);
    assert.ok(old);
    const res = await kv.txn([
      { verb: 'set', key: `${p}a`, value: 'A' },
      { verb: 'cas', key: `${p}b`, value: 'B', index: 0 },
      { verb: 'cas', key: `${p}old`, value: 'y', index: old.modifyIndex },
      { verb: 'get', key: `${p}old` },
    ]);
    const a = await kv.get(`${p}a`);
    const b = await kv.get(`${p}b`);
    assert.equal(a?.value, 'A');
    assert.equal(b?.value, 'B');
    assert.equal(a?.modifyIndex, b?.modifyIndex);
    assert.equal((await kv.get(`${p}old`))?.modifyIndex, a?.modifyIndex);
    assert.equal(res.results.length, 4);
    assert.equal(res.results[3]?.value, 'y');
    assert.equal(res.results[0]?.modifyIndex, a?.modifyIndex);
  });

  test(`${name}: a transaction with one failing check writes nothing and names the failing key`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}taken`, 'x');
    const before = await kv.list(p);
    await assert.rejects(
      kv.txn([
        { verb: 'set', key: `${p}new`, value: 'n' },
        { verb: 'cas', key: `${p}taken`, value: 'y', index: 0 },
        { verb: 'check-not-exists', key: `${p}taken` },
      ]),
      (err) => {
        assert.ok(isTxnConflict(err));
        assert.ok(isSwarmopError(err, 'Conflict'));
        assert.deepEqual(err.keys, [`${p}taken`]);
        assert.deepEqual(
          err.failures.map((f) => f.opIndex),
          [1, 2],
        );
        assert.match(err.message, /taken/);
        return true;
      },
    );
    const after = await kv.list(p);
    assert.deepEqual(after.pairs, before.pairs);
  });

  test(`${name}: transaction checks and deletes follow the indexes`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    await kv.set(`${p}a`, '1');
    await kv.set(`${p}t/x`, '1');
    await kv.set(`${p}t/y`, '1');
    const a = await kv.get(`${p}a`);
    assert.ok(a);
    await assert.rejects(kv.txn([{ verb: 'check-index', key: `${p}a`, index: a.modifyIndex + 1000 }]), isTxnConflict);
    await assert.rejects(kv.txn([{ verb: 'delete-cas', key: `${p}a`, index: a.modifyIndex + 1000 }]), isTxnConflict);
    await assert.rejects(kv.txn([{ verb: 'get', key: `${p}missing` }]), isTxnConflict);
    await kv.txn([
      { verb: 'check-index', key: `${p}a`, index: a.modifyIndex },
      { verb: 'delete-cas', key: `${p}a`, index: a.modifyIndex },
      { verb: 'delete-tree', key: `${p}t/` },
      { verb: 'delete', key: `${p}never` },
      { verb: 'check-not-exists', key: `${p}a` },
    ]);
    assert.deepEqual((await kv.list(p)).pairs, []);
  });

  test(`${name}: a transaction of more than 64 operations is refused before anything is sent`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    const ops: KvTxnOp[] = Array.from({ length: 65 }, (_, i) => ({ verb: 'set', key: `${p}${i}`, value: 'v' }));
    await assert.rejects(kv.txn(ops), (err) => isSwarmopError(err) && /64/.test(err.message));
    assert.deepEqual((await kv.list(p)).pairs, []);
    const ok = ops.slice(0, 64);
    await kv.txn(ok);
    assert.equal((await kv.list(p)).pairs.length, 64);
  });

  test(`${name}: a session lock is held by one session at a time and released`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    const s1 = await kv.createSession({ name: 'one', ttl: '15s', lockDelay: '0s', behavior: 'release' });
    const s2 = await kv.createSession({ name: 'two', ttl: '15s', lockDelay: '0s', behavior: 'release' });
    try {
      assert.equal(await kv.acquire(`${p}leader`, 'one', s1), true);
      assert.equal(await kv.acquire(`${p}leader`, 'two', s2), false);
      const held = await kv.get(`${p}leader`);
      assert.equal(held?.session, s1);
      assert.equal(held?.value, 'one');
      assert.equal(await kv.release(`${p}leader`, s2), false);
      assert.equal(await kv.release(`${p}leader`, s1), true);
      const released = await kv.get(`${p}leader`);
      assert.equal(released?.session, undefined);
      assert.equal(released?.value, 'one', 'release keeps the value');
      assert.equal(await kv.acquire(`${p}leader`, 'two', s2), true);
      assert.equal(await kv.renewSession(s2), true);
    } finally {
      await kv.destroySession(s1);
      await kv.destroySession(s2);
    }
  });

  test(`${name}: destroying a session frees its lock and renewing it then reports false`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    const s1 = await kv.createSession({ name: 'one', ttl: '10s', lockDelay: '0s', behavior: 'release' });
    assert.equal(await kv.acquire(`${p}leader`, 'one', s1), true);
    await kv.destroySession(s1);
    assert.equal(await kv.renewSession(s1), false);
    assert.equal((await kv.get(`${p}leader`))?.session, undefined);
    const s2 = await kv.createSession({ name: 'two', ttl: '10s', lockDelay: '0s', behavior: 'delete' });
    assert.equal(await kv.acquire(`${p}leader`, 'two', s2), true);
    await kv.destroySession(s2);
    assert.equal(await kv.get(`${p}leader`), undefined, "behavior 'delete' removes the key");
  });

  test(`${name}: check-session applies a transaction only while the session holds the lock`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    const s1 = await kv.createSession({ name: 'one', ttl: '10s', lockDelay: '0s', behavior: 'release' });
    const s2 = await kv.createSession({ name: 'two', ttl: '10s', lockDelay: '0s', behavior: 'release' });
    try {
      assert.equal(await kv.acquire(`${p}leader`, 'one', s1), true);
      const res = await kv.txn([
        { verb: 'set', key: `${p}status`, value: 'by one' },
        { verb: 'check-session', key: `${p}leader`, session: s1 },
      ]);
      assert.deepEqual(
        res.results.map((r) => r.key),
        [`${p}status`, `${p}leader`],
      );
      await assert.rejects(
        kv.txn([
          { verb: 'set', key: `${p}status`, value: 'by two' },
          { verb: 'check-session', key: `${p}leader`, session: s2 },
        ]),
        (err) => isTxnConflict(err) && err.failures.length === 1 && err.failures[0]!.opIndex === 1 && err.keys[0] === `${p}leader`,
      );
      await kv.destroySession(s1);
      await assert.rejects(
        kv.txn([
          { verb: 'set', key: `${p}status`, value: 'late' },
          { verb: 'check-session', key: `${p}leader`, session: s1 },
        ]),
        isTxnConflict,
      );
      assert.equal((await kv.get(`${p}status`))?.value, 'by one', 'refused writes left the value alone');
    } finally {
      await kv.destroySession(s1);
      await kv.destroySession(s2);
    }
  });

  test(`${name}: a lock delay keeps others from taking a lock right after its session ends`, async () => {
    const { kv } = fixture();
    const p = freshPrefix();
    const s1 = await kv.createSession({ name: 'one', ttl: '10s', lockDelay: '2s', behavior: 'release' });
    const s2 = await kv.createSession({ name: 'two', ttl: '10s', lockDelay: '0s', behavior: 'release' });
    try {
      assert.equal(await kv.acquire(`${p}leader`, 'one', s1), true);
      await kv.destroySession(s1);
      assert.equal(await kv.acquire(`${p}leader`, 'two', s2), false);
    } finally {
      await kv.destroySession(s2);
    }
  });
}
