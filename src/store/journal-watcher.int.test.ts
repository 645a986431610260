/**
 * JournalWatcher against a REAL Consul agent: journaled changes arrive without re-listing, a
 * document written by hand is picked up, and the watcher heals across an agent restart, both
 * when the agent comes back empty (dev) and with its data (persistent).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsulKv } from './consul-kv.js';
import { ObjectJournal } from './object-journal.js';
import { sectionPrefix } from './store-keys.js';
import { startConsulAgent } from '../../testing/harness/consul-agent.js';
import { JournalWatcher } from './journal-watcher.js';
import { waitUntil } from '../../testing/util/wait-until.js';

for (const mode of ['dev', 'persistent'] as const) {
  test(
    `journaled changes arrive by key, a hand-written one by a re-list, and the watch survives an agent restart (${mode})`,
    { timeout: 120_000 },
    async () => {
      const agent = await startConsulAgent({ mode });
      const kv = new ConsulKv({ address: agent.address, requestTimeoutMs: 2000 });
      const prefix = 'jw-int/';
      const objects = sectionPrefix(prefix, 'objects');
      const journal = new ObjectJournal({ kv, prefix });
      const put = (name: string, value: string) =>
        journal.txn([{ verb: 'set', key: `${objects}things/${name}`, value }], [`${objects}things/${name}`]);
      const mirror = new Map<string, string>();
      let gets = 0;
      const watcher = new JournalWatcher({
        kv: {
          list: kv.list.bind(kv),
          prefixIndex: kv.prefixIndex.bind(kv),
          get: (k, o) => (k.startsWith(objects) && gets++, kv.get(k, o)),
        },
        prefix,
        waitMs: 5_000,
        backoff: { baseMs: 100, capMs: 1000 },
        onList: (pairs) => {
          mirror.clear();
          for (const p of pairs) mirror.set(p.key.slice(objects.length), p.value);
        },
        onChange: (changed, removed) => {
          for (const p of changed) mirror.set(p.key.slice(objects.length), p.value);
          for (const k of removed) mirror.delete(k.slice(objects.length));
        },
      });
      const ac = new AbortController();
      const running = watcher.start(ac.signal);
      try {
        await waitUntil('first listing', () => watcher.hasSynced());
        await put('a', '1');
        await put('b', '1');
        await waitUntil('a and b', () => mirror.get('things/a') === '1' && mirror.get('things/b') === '1');
        const began = performance.now();
        await put('a', '2');
        await waitUntil('a updated', () => mirror.get('things/a') === '2', 5_000, 1);
        const journaledMs = performance.now() - began;
        assert.equal(watcher.state.relists, 1, `only the first listing (last reason ${watcher.state.lastRelistReason})`);
        assert.equal(gets, 3, 'one GET of an objects key per journaled change');

        const handBegan = performance.now();
        await kv.set(`${objects}things/by-hand`, 'x');
        await waitUntil('hand-written seen', () => mirror.get('things/by-hand') === 'x', 5_000, 1);
        const handMs = performance.now() - handBegan;
        assert.equal(watcher.state.lastRelistReason, 'a change that is not in the journal');

        await agent.kill();
        await waitUntil('the outage is reported', () => watcher.state.phase === 'backoff', 15_000);
        await agent.restart();
        await put('c', '3');
        await waitUntil('c seen after the restart', () => mirror.get('things/c') === '3', 30_000);
        assert.equal(mirror.has('things/a'), mode === 'persistent', 'the mirror holds what the agent holds');
        await put('c', '4');
        await waitUntil('c updated by the journal', () => mirror.get('things/c') === '4', 5_000);
        assert.equal(watcher.state.phase, 'watching');
        console.log(
          `# ${mode}: journaled change seen in ${journaledMs.toFixed(1)} ms, hand-written in ${handMs.toFixed(1)} ms; ` +
            `${watcher.state.relists} listings (last: ${watcher.state.lastRelistReason}), ${watcher.state.incremental} incremental wakes`,
        );
      } finally {
        ac.abort();
        await running;
        kv.close();
        await agent.stop();
      }
    },
  );
}
