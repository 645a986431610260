import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsulKv } from '../store/consul-kv.js';
import { startConsulAgent } from '../../testing/harness/consul-agent.js';
import { ObjectIndex } from './object-index.js';
import { waitUntil } from '../../testing/util/wait-until.js';
import { PrefixWatcher, type WatcherPhase } from './watcher.js';

for (const mode of ['dev', 'persistent'] as const) {
  test(`the watcher reports an agent outage and keeps delivering changes after the restart (${mode})`, { timeout: 120_000 }, async () => {
    const agent = await startConsulAgent({ mode });
    const kv = new ConsulKv({ address: agent.address, requestTimeoutMs: 2000 });
    const objectIndex = new ObjectIndex<string>();
    const phases: WatcherPhase[] = [];
    const watcher = new PrefixWatcher({
      kv,
      prefix: 'swarmop-int/',
      wait: '5s',
      backoff: { baseMs: 100, capMs: 1000 },
      onSnapshot: (pairs, index) =>
        void objectIndex.replace(
          pairs.map((p) => [p.key, p.value] as const),
          index,
        ),
      onStateChange: (s) => phases.push(s.phase),
    });
    const ac = new AbortController();
    const running = watcher.start(ac.signal);
    try {
      await waitUntil('first sync', () => watcher.hasSynced());
      await kv.set('swarmop-int/a', '1');
      await waitUntil('a seen', () => objectIndex.get('swarmop-int/a') === '1');
      const before = watcher.state.lastIndex;

      await agent.kill();
      await waitUntil('the outage is reported', () => watcher.state.phase === 'backoff', 15_000);
      await agent.restart();
      await kv.set('swarmop-int/b', '2');
      await waitUntil('b seen after restart', () => objectIndex.get('swarmop-int/b') === '2', 30_000);
      await kv.set('swarmop-int/b', '3');
      await waitUntil('b updated', () => objectIndex.get('swarmop-int/b') === '3');
      assert.equal(objectIndex.has('swarmop-int/a'), mode === 'persistent', 'the cache mirrors what the agent holds');
      assert.equal(watcher.state.phase, 'watching');
      console.log(`# ${mode}: index before restart ${before}, after ${watcher.state.lastIndex}, phases ${phases.join(' -> ')}`);
    } finally {
      ac.abort();
      await running;
      kv.close();
      await agent.stop();
    }
  });
}
