/**
 * Never two operators acting at once, with REAL parts: two `swarmop operator --leader-elect`
 * processes (the built CLI) on one real Consul agent, one DockerHost whose endpoint is a recording
 * proxy in front of a real Docker Engine (hack/dockerd.sh), and the leader's own link to Consul
 * through a proxy the test controls.
 *
 * The round (testing/harness/fencing-scenario.ts): the leader (a) is caught in a slow engine answer (its
 * "is the helper image there?" gets its "no" late), then loses its lock, by a partition (packets
 * dropped, or connections reset) or by hand (its session destroyed). The standby (b) takes over and
 * puts the image on the host itself. Only then does a get its stale answer, on which it would
 * import the image too: that call must never leave a. Proof from the two processes' own logs and
 * the recording proxies (requests attributed to each process by PID):
 * - a's `stopped leading` comes strictly before b's `started leading`;
 * - every change a sent to the engine (and, when its Consul link is up, every store write) reached
 *   it before b's `started leading`; a's stale import was refused in a (its `call refused` line);
 * - b did import the image (the change a would have repeated), and a exited with code 8.
 * The 20-run version with figures is `npm run bench:failover`; hack/mutation-smoke.sh's `fence`
 * mutant turns this red.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { startDockerEngine, type DockerEngineHandle } from '../../testing/harness/docker-engine.js';
import { fencingRound, type FencingContext, type FencingRound, type LossKind } from '../../testing/harness/fencing-scenario.js';
import { OperatorProcess } from '../../testing/harness/operator-process.js';
import type { Resource } from '../crds/index.js';
import { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';

let agent: ConsulAgentHandle;
let engine: DockerEngineHandle;
let ctx: FencingContext;

before(async () => {
  [agent, engine] = await Promise.all([startConsulAgent(), startDockerEngine({ name: 'fencing' })]);
  ctx = { consulAddr: agent.address, engineSocket: engine.socketPath, children: [], proxies: [] };
});

after(async () => {
  for (const c of ctx?.children ?? []) if (c.running) await c.stop('SIGKILL').catch(() => undefined);
  for (const p of ctx?.proxies ?? []) await p.close().catch(() => undefined);
  await agent?.stop();
  await engine?.stop();
});

async function round(kind: LossKind, i: number): Promise<FencingRound> {
  const r = await fencingRound(ctx, kind, `fence-int-${kind}-${i}/`);
  const { a, b } = r;
  assert.ok(r.aStoppedTs !== undefined, `a logged stopped leading\n${a.dump()}`);
  assert.equal(b.find('started leading').length, 1, b.dump());
  assert.ok(r.aStoppedTs < r.bStartedTs, `a stopped leading (${r.aStoppedTs}) strictly before b started (${r.bStartedTs})`);
  assert.deepEqual(r.aChangesAfterB, [], 'a sent no change to the engine once b led');
  assert.deepEqual(r.aStoreWritesAfterB, [], 'no store write of a reached Consul once b led');
  // a did try: its stale answer led it to the import b had already done, and the fence refused it.
  assert.ok(r.aImportRefused, `a's stale import was refused inside a\n${a.dump(40)}`);
  assert.ok(r.bFirstChangeAt !== undefined && r.bFirstChangeAt >= r.bStartedTs, 'b made the change itself, after it started leading');
  assert.deepEqual(r.aExit, { code: 8, signal: null }, `a exits with LeadershipLost's code\n${a.dump()}`);
  return r;
}

const margin = (r: FencingRound): number => r.bStartedTs - r.aStoppedTs!;

test(
  'a leader cut off from Consul while a slow engine answer is pending stops acting before the standby leads, and exits 8',
  { timeout: 300_000 },
  async () => {
    const runs = [await round('partition', 0), await round('reset', 1), await round('partition', 2)];
    console.log(
      `# partition (dropped, reset, dropped): a stopped leading ${runs.map(margin).join(', ')} ms before b started; failover ${runs.map((r) => r.bStartedTs - r.faultAt).join(', ')} ms`,
    );
  },
);

test(
  'a leader whose session is destroyed by hand stops acting before the standby leads, and writes nothing more to the store',
  { timeout: 300_000 },
  async () => {
    const r = await round('destroy', 0);
    console.log(`# session destroyed: a stopped leading ${margin(r)} ms before b started; failover ${r.bStartedTs - r.faultAt} ms`);
  },
);

test(
  'with --on-leader-loss standby, a replica whose lock was taken stays up, re-lists the store and leads again',
  { timeout: 120_000 },
  async () => {
    const op = new OperatorProcess({
      name: 'standby-mode',
      storeAddr: agent.address,
      prefix: 'fence-int-standby/',
      args: ['--leader-elect', '--on-leader-loss', 'standby', '--lock-delay-seconds', '1', '--metrics-addr', '127.0.0.1:0'],
    });
    // One object in the prefix: an empty prefix's index is the whole store's, so every write anywhere
    // (the session destroyed below) would wake the watcher into a re-list of its own.
    const kv = new ConsulKv({ address: agent.address });
    await new ResourceStore({ kv, prefix: 'fence-int-standby/' }).apply([
      {
        apiVersion: 'swarmop.io/v1alpha1',
        kind: 'DockerHost',
        metadata: { name: 'nowhere' },
        spec: { endpoint: 'unix:///run/swarmop-fence-int-none/docker.sock', address: '127.0.0.1' },
      } as Resource,
    ]);
    kv.close();
    ctx.children.push(op);
    op.start();
    const first = await op.waitForLog('leads', (l) => l.message === 'started leading', 30_000);
    const res = await fetch(`http://${agent.address}/v1/session/destroy/${encodeURIComponent(String(first.session))}`, { method: 'PUT' });
    assert.equal(res.status, 200);
    await op.waitForLog('stopped leading', (l) => l.message === 'stopped leading' && l.lockLost === true, 10_000);
    const again = await op.waitForLog('leads again', (l) => l.message === 'started leading' && l.session !== first.session, 30_000);
    assert.ok(op.running, 'the process stayed up');
    // The new term started from a fresh listing of the store, not from the cache of the lost one.
    const relist = op.lines.findIndex((l) => l.message === 'objects re-listed' && l.reason === 'new leadership term');
    assert.ok(relist > op.lines.indexOf(again), `a re-list for the new term\n${op.dump(20)}`);
    assert.deepEqual(await op.stop('SIGTERM'), { code: 0, signal: null });
  },
);
