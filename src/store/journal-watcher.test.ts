import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KvPair, KvStore } from './kv.js';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { ObjectJournal } from './object-journal.js';
import { sectionPrefix } from './store-keys.js';
import { JournalWatcher } from './journal-watcher.js';
import { waitUntil } from '../../testing/util/wait-until.js';

/** Journaled writes the way ResourceStore makes them, without kinds: values are plain text. */
class Writer {
  readonly #journal: ObjectJournal;
  readonly #prefix: string;
  constructor(kv: KvStore, prefix: string, slots?: number) {
    this.#journal = new ObjectJournal({ kv, prefix, slots });
    this.#prefix = sectionPrefix(prefix, 'objects');
  }
  key(name: string): string {
    return `${this.#prefix}things/${name}`;
  }
  async put(...entries: [name: string, value: string][]): Promise<void> {
    const keys = entries.map(([n]) => this.key(n));
    await this.#journal.txn(
      entries.map(([n, value]) => ({ verb: 'set', key: this.key(n), value })),
      keys,
    );
  }
  async del(name: string): Promise<void> {
    await this.#journal.txn([{ verb: 'delete', key: this.key(name) }], [this.key(name)]);
  }
}

/** A watcher over MemoryKv mirroring the prefix into a map, counting how it learnt of changes. */
function setup(opts: { slots?: number; relistMs?: number; maxFetch?: number } = {}) {
  const kv = new MemoryKv();
  const prefix = 'w/';
  const store = new Writer(kv, prefix, opts.slots);
  const mirror = new Map<string, string>();
  const gets: string[] = [];
  /** down: every call fails; gate: reads wait for it (the watcher is slow to look). */
  const link: { down: boolean; gate?: Promise<void> } = { down: false };
  const outage = () => Promise.reject(new Error('connection refused'));
  const counting = {
    list: async (p: string, o?: Parameters<MemoryKv['list']>[1]) => {
      await link.gate;
      return link.down ? outage() : kv.list(p, o);
    },
    prefixIndex: (p: string, o?: Parameters<MemoryKv['prefixIndex']>[1]) => (link.down ? outage() : kv.prefixIndex(p, o)),
    get: async (key: string, o?: { signal?: AbortSignal }) => {
      await link.gate;
      if (link.down) return outage();
      if (key.startsWith(sectionPrefix(prefix, 'objects'))) gets.push(key);
      return kv.get(key, o);
    },
  };
  const watcher = new JournalWatcher({
    kv: counting,
    prefix,
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
  const key = (name: string) => store.key(name);
  const valueOf = (name: string) => mirror.get(key(name));
  const stop = async () => {
    ac.abort();
    await done;
  };
  const synced = () => waitUntil('first listing', () => watcher.hasSynced());
  return { kv, store, watcher, mirror, gets, key, valueOf, stop, link, synced };
}

test('after the first listing, single changes are fetched by key from the journal, not re-listed', async () => {
  const t = setup();
  try {
    await t.synced();
    await t.store.put(['a', '1'], ['b', '1']);
    await waitUntil('a and b seen', () => t.mirror.size === 2 && t.watcher.state.seq === 1);
    t.gets.length = 0;
    await t.store.put(['a', '9']);
    await waitUntil('a updated', () => t.valueOf('a') === '9');
    await t.store.del('b');
    await waitUntil('b removed', () => !t.mirror.has(t.key('b')));
    await t.store.put(['c', '3']);
    await waitUntil('c added', () => t.valueOf('c') === '3');
    assert.equal(t.watcher.state.relists, 1, `re-listed: ${t.watcher.state.lastRelistReason}`);
    assert.deepEqual(t.gets, [t.key('a'), t.key('b'), t.key('c')]);
    // A write outside the objects prefix (a status key) wakes nothing.
    const incremental = t.watcher.state.incremental;
    await t.kv.set('w/status/things/a', '{}');
    await t.store.put(['a', '10']);
    await waitUntil('a updated again', () => t.valueOf('a') === '10');
    assert.equal(t.watcher.state.incremental, incremental + 1);
  } finally {
    await t.stop();
  }
});

test('a document written or deleted in KV by hand, bypassing the journal, is picked up by a re-list at once', async () => {
  const t = setup();
  try {
    await t.store.put(['a', '1']);
    await waitUntil('synced', () => t.mirror.size === 1);
    await t.kv.set(t.key('by-hand'), '7');
    await waitUntil('hand-written seen', () => t.valueOf('by-hand') === '7');
    assert.equal(t.watcher.state.lastRelistReason, 'a change that is not in the journal');
    await t.kv.delete(t.key('a'));
    await waitUntil('hand-deleted seen', () => !t.mirror.has(t.key('a')));
    assert.equal(t.watcher.state.relists, 3);
  } finally {
    await t.stop();
  }
});

for (const behind of [6, 12])
  test(`a watcher ${behind} entries behind a 4-slot ring re-lists (${behind > 8 ? 'ring listed' : 'slots read one by one'}), and so does one whose journal restarted`, async () => {
    const t = setup({ slots: 4 });
    try {
      await t.store.put(['a', '1']);
      await waitUntil('synced', () => t.mirror.size === 1);
      // Journaled writes before the watcher gets to read the journal (4 slots).
      let open!: () => void;
      t.link.gate = new Promise((resolve) => (open = resolve));
      for (let i = 0; i < behind; i++) await t.store.put([`n${i}`, String(i + 2)]);
      open();
      await waitUntil('all seen', () => t.mirror.size === behind + 1);
      assert.equal(t.watcher.state.lastRelistReason, 'journal gap', JSON.stringify(t.watcher.state));
      // The agent restarts empty (persistent data would keep the index): the journal head starts
      // again at 1, below the watcher's position, once the index passes the old one.
      const oldIndex = t.kv.currentIndex;
      t.kv.resetIndex();
      const fresh = new Writer(t.kv, 'w/', 4);
      let n = 0;
      while (t.kv.currentIndex <= oldIndex + 1) await fresh.put([`after-${n++}`, '200']);
      await waitUntil('restart seen', () => t.mirror.size === n && t.valueOf('after-0') === '200');
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
    await t.store.put(['a', '1']);
    await waitUntil('a seen', () => t.mirror.size === 1);
    t.gets.length = 0;
    await t.store.put(...Array.from({ length: 20 }, (_, i): [string, string] => [`m${i}`, String(i + 2)]));
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
    await t.store.put(['a', '1']);
    await waitUntil('synced', () => t.mirror.size === 1);
    await waitUntil('periodic re-list', () => t.watcher.state.lastRelistReason === 'periodic' && t.watcher.state.relists >= 2, 2000);
    t.link.down = true;
    await t.store.put(['during-outage', '4']);
    await waitUntil('outage reported', () => t.watcher.state.phase === 'backoff', 2000);
    const before = t.watcher.state.relists;
    t.link.down = false;
    await waitUntil('outage healed', () => t.valueOf('during-outage') === '4', 2000);
    assert.ok(t.watcher.state.relists > before);
    assert.equal(t.watcher.state.lastRelistReason, 'error');
    assert.equal(t.watcher.state.phase, 'watching');
  } finally {
    await t.stop();
  }
});

test('relistNow interrupts a long blocking query and re-lists at once', async () => {
  const t = setup();
  try {
    await t.synced();
    await t.store.put(['a', '1']);
    await waitUntil('a seen', () => t.valueOf('a') === '1');
    await t.kv.set(t.key('a'), 'by hand'); // not journaled: only a listing shows it
    await waitUntil('hand-written seen', () => t.valueOf('a') === 'by hand');
    const before = t.watcher.state.relists;
    t.watcher.relistNow();
    await waitUntil('re-listed', () => t.watcher.state.relists === before + 1, 1000);
    assert.equal(t.watcher.state.lastRelistReason, 'requested');
    assert.equal(t.watcher.state.phase, 'watching');
    await t.store.put(['b', '2']);
    await waitUntil('b seen after', () => t.valueOf('b') === '2');
  } finally {
    await t.stop();
  }
});
