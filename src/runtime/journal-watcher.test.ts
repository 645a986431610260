import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../crds/index.js';
import type { KvPair } from '../store/kv.js';
import { MemoryKv } from '../store/memory-kv.js';
import { journalPrefixOf, objectsPrefixOf } from '../store/object-journal.js';
import { ResourceStore } from '../store/resource-store.js';
import { JournalWatcher } from './journal-watcher.js';
import { waitUntil } from './wait-until.js';

// The test (not src/runtime) uses the store to produce journaled writes.
const host = (name: string, octet = 1): Resource =>
  ({ apiVersion: 'swarmop.io/v1alpha1', kind: 'DockerHost', metadata: { name }, spec: { endpoint: `tcp://10.0.0.${octet}:2375`, address: `10.0.0.${octet}` } }) as Resource;

/** A watcher over MemoryKv mirroring the prefix into a map, counting how it learnt of changes. */
function setup(opts: { slots?: number; relistMs?: number; maxFetch?: number } = {}) {
  const kv = new MemoryKv();
  const prefix = 'w/';
  const store = new ResourceStore({ kv, prefix, journalSlots: opts.slots });
  const mirror = new Map<string, string>();
  const gets: string[] = [];
  /** down: every call fails; gate: list() waits for it (the watcher is slow to look). */
  const link: { down: boolean; gate?: Promise<void> } = { down: false };
  const outage = () => Promise.reject(new Error('connection refused'));
  const counting = {
    list: async (p: string, o?: Parameters<MemoryKv['list']>[1]) => {
      await link.gate;
      return link.down ? outage() : kv.list(p, o);
    },
    prefixIndex: (p: string, o?: Parameters<MemoryKv['prefixIndex']>[1]) => (link.down ? outage() : kv.prefixIndex(p, o)),
    get: (key: string, o?: { signal?: AbortSignal }) => (link.down ? outage() : (gets.push(key), kv.get(key, o))),
  };
  const watcher = new JournalWatcher({
    kv: counting,
    prefix: objectsPrefixOf(prefix),
    journalPrefix: journalPrefixOf(prefix),
    relistMs: opts.relistMs ?? 3_600_000,
    maxFetch: opts.maxFetch,
    minIntervalMs: 10,
    backoff: { baseMs: 10, capMs: 50 },
    onList: (pairs: KvPair[]) => {
      mirror.clear();
      for (const p of pairs) mirror.set(p.key, p.value);
    },
    onChange: (changed: KvPair[], removed: string[]) => {
      for (const p of changed) mirror.set(p.key, p.value);
      for (const k of removed) mirror.delete(k);
    },
  });
  const ac = new AbortController();
  const done = watcher.start(ac.signal);
  const key = (name: string) => `${objectsPrefixOf(prefix)}dockerhosts/${name}`;
  const addressOf = (name: string) => {
    const v = mirror.get(key(name));
    return v === undefined ? undefined : (JSON.parse(v) as Resource).spec.address;
  };
  const stop = async () => {
    ac.abort();
    await done;
  };
  const synced = () => waitUntil('first listing', () => watcher.hasSynced());
  return { kv, store, watcher, mirror, gets, key, addressOf, stop, link, synced };
}

test('after the first listing, single changes are fetched by key from the journal, not re-listed', async () => {
  const t = setup();
  try {
    await t.synced();
    await t.store.apply([host('a'), host('b')]);
    await waitUntil('a and b seen', () => t.mirror.size === 2 && t.watcher.state.seq === 1);
    t.gets.length = 0;
    await t.store.apply([host('a', 9)]);
    await waitUntil('a updated', () => t.addressOf('a') === '10.0.0.9');
    await t.store.delete('DockerHost', 'b');
    await waitUntil('b removed', () => !t.mirror.has(t.key('b')));
    await t.store.apply([host('c', 3)]);
    await waitUntil('c added', () => t.addressOf('c') === '10.0.0.3');
    assert.equal(t.watcher.state.relists, 1, `re-listed: ${t.watcher.state.lastRelistReason}`);
    assert.deepEqual(t.gets, [t.key('a'), t.key('b'), t.key('c')]);
    // A status write is not an objects change: it wakes nothing.
    const incremental = t.watcher.state.incremental;
    await t.store.updateStatus({ kind: 'DockerHost', metadata: { name: 'a' } }, { seen: true });
    await t.store.apply([host('a', 10)]);
    await waitUntil('a updated again', () => t.addressOf('a') === '10.0.0.10');
    assert.equal(t.watcher.state.incremental, incremental + 1);
  } finally {
    await t.stop();
  }
});

test('a document written or deleted in KV by hand, bypassing the journal, is picked up by a re-list at once', async () => {
  const t = setup();
  try {
    await t.store.apply([host('a')]);
    await waitUntil('synced', () => t.mirror.size === 1);
    await t.kv.set(t.key('by-hand'), JSON.stringify(host('by-hand', 7)));
    await waitUntil('hand-written seen', () => t.addressOf('by-hand') === '10.0.0.7');
    assert.equal(t.watcher.state.lastRelistReason, 'a change that is not in the journal');
    await t.kv.delete(t.key('a'));
    await waitUntil('hand-deleted seen', () => !t.mirror.has(t.key('a')));
    assert.equal(t.watcher.state.relists, 3);
  } finally {
    await t.stop();
  }
});

test('a watcher that falls behind the ring re-lists, and so does one whose journal restarted from zero', async () => {
  const t = setup({ slots: 4 });
  try {
    await t.store.apply([host('a')]);
    await waitUntil('synced', () => t.mirror.size === 1);
    // Six journaled writes before the watcher gets to read the journal (4 slots).
    let open!: () => void;
    t.link.gate = new Promise((resolve) => (open = resolve));
    for (let i = 0; i < 6; i++) await t.store.apply([host(`n${i}`, i + 2)]);
    open();
    await waitUntil('all seen', () => t.mirror.size === 7);
    assert.equal(t.watcher.state.lastRelistReason, 'journal gap', JSON.stringify(t.watcher.state));
    // The agent restarts empty (persistent data would keep the index): the journal head starts
    // again at 1, below the watcher's position, once the index passes the old one.
    const oldIndex = t.kv.currentIndex;
    t.kv.resetIndex();
    const fresh = new ResourceStore({ kv: t.kv, prefix: 'w/', journalSlots: 4 });
    let n = 0;
    while (t.kv.currentIndex <= oldIndex + 1) await fresh.apply([host(`after-${n++}`, 200)]);
    await waitUntil('restart seen', () => t.mirror.size === n && t.addressOf('after-0') === '10.0.0.200');
    assert.ok(!t.mirror.has(t.key('a')), 'what the agent lost is gone from the mirror too');
    assert.equal(t.watcher.state.lastRelistReason, 'journal reset');
  } finally {
    await t.stop();
  }
});

test('a wake naming more keys than maxFetch re-lists instead of fetching them one by one', async () => {
  const t = setup({ maxFetch: 5 });
  try {
    await t.synced();
    await t.store.apply([host('a')]);
    await waitUntil('a seen', () => t.mirror.size === 1);
    t.gets.length = 0;
    await t.store.apply(Array.from({ length: 20 }, (_, i) => host(`m${i}`, i + 2)));
    await waitUntil('bulk seen', () => t.mirror.size === 21);
    assert.equal(t.watcher.state.lastRelistReason, '20 changed keys');
    assert.deepEqual(t.gets, []);
  } finally {
    await t.stop();
  }
});

test('an outage backs off, re-lists when the store answers again, and the periodic re-list runs on time', async () => {
  const t = setup({ relistMs: 100 });
  try {
    await t.store.apply([host('a')]);
    await waitUntil('synced', () => t.mirror.size === 1);
    await waitUntil('periodic re-list', () => t.watcher.state.lastRelistReason === 'periodic' && t.watcher.state.relists >= 2, 2000);
    t.link.down = true;
    await t.store.apply([host('during-outage', 4)]);
    await waitUntil('outage reported', () => t.watcher.state.phase === 'backoff', 2000);
    const before = t.watcher.state.relists;
    t.link.down = false;
    await waitUntil('outage healed', () => t.addressOf('during-outage') === '10.0.0.4', 2000);
    assert.ok(t.watcher.state.relists > before);
    assert.equal(t.watcher.state.lastRelistReason, 'error');
    assert.equal(t.watcher.state.phase, 'watching');
  } finally {
    await t.stop();
  }
});
