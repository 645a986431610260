/**
 * Never two operators acting at once, with REAL parts: two `swarmop operator --leader-elect`
 * processes (the built CLI) on one real Consul agent, one DockerHost whose endpoint is a recording
 * proxy in front of a real Docker Engine (hack/dockerd.sh), and the leader's own link to Consul
 * through a proxy the test controls.
 *
 * The leader (a) is caught in a slow engine answer: the proxy forwards its "is the helper image
 * there?" question but keeps the answer ("no") back. Then a loses its lock, by a partition (its
 * Consul link is cut) or by hand (its session destroyed). The standby (b) takes over and puts the
 * image on the host itself. Only then does a get its stale answer, on which it would import the
 * image too: that call must never leave a. Proof from the two processes' own logs and the
 * recording proxy (requests attributed to each process by PID):
 * - a's `stopped leading` comes strictly before b's `started leading`;
 * - every change a sent to the engine (and, when its Consul link is up, every store write) reached
 *   it before b's `started leading`; a's stale import was refused in a (its `call refused` line);
 * - b did import the image (the change a would have repeated), and a exited with code 8.
 * The 20-run version with figures is `npm run bench:failover`; hack/mutation-smoke.sh's `fence`
 * mutant turns this red.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import type { Resource } from '../crds/index.js';
import { defaultHelperImage } from '../controllers/staticipattachment/helper-image.js';
import { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/consul-agent.js';
import { startDockerEngine, type DockerEngineHandle } from '../../testing/docker-engine.js';
import { OperatorProcess, type SeenLine } from '../../testing/operator-process.js';
import { RecordingHttpProxy, type ProxiedRequest } from '../../testing/recording-http-proxy.js';
import { waitUntil } from '../../testing/wait-until.js';

let agent: ConsulAgentHandle;
let engine: DockerEngineHandle;
let docker: Docker;
const children: OperatorProcess[] = [];
const proxies: RecordingHttpProxy[] = [];

before(async () => {
  [agent, engine] = await Promise.all([startConsulAgent(), startDockerEngine({ name: 'fencing' })]);
  docker = new Docker({ socketPath: engine.socketPath });
});

after(async () => {
  for (const c of children) if (c.running) await c.stop('SIGKILL').catch(() => undefined);
  for (const p of proxies) await p.close().catch(() => undefined);
  await agent?.stop();
  await engine?.stop();
});

const isMutating = (r: ProxiedRequest): boolean => r.method !== 'GET' && r.method !== 'HEAD';
const tsOf = (l: SeenLine | undefined): number => {
  const ts = Date.parse(String(l?.ts));
  assert.ok(!Number.isNaN(ts), `a log line with a ts: ${JSON.stringify(l)}`);
  return ts;
};

function replica(name: string, storeAddr: string, prefix: string): OperatorProcess {
  const c = new OperatorProcess({
    name,
    storeAddr,
    prefix,
    args: ['--leader-elect', '--lock-delay-seconds', '1', '--metrics-addr', '127.0.0.1:0', '--log-level', 'debug'],
  });
  children.push(c);
  c.start();
  return c;
}

async function removeHelperImage(): Promise<void> {
  await docker
    .getImage(defaultHelperImage())
    .remove({ force: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
}

export interface FencingRun {
  /** b's `started leading` minus a's `stopped leading` (ms, from their own log timestamps). */
  stoppedBeforeStartedMs: number;
  /** fault -> b's `started leading` (ms). */
  failoverMs: number;
  aChangesAfterB: number;
  aStoreWritesAfterB: number;
}

async function fencingRun(kind: 'partition' | 'reset' | 'destroy', i: number): Promise<FencingRun> {
  const prefix = `fence-int-${kind}-${i}/`;
  await removeHelperImage();
  const consulForA = new RecordingHttpProxy({ target: { host: '127.0.0.1', port: Number(agent.address.split(':')[1]) } });
  proxies.push(consulForA);
  await consulForA.listen();
  const a = replica(`a-${kind}-${i}`, consulForA.address, prefix);
  await a.waitForLog('a leads', (l) => l.message === 'started leading', 30_000);
  const b = replica(`b-${kind}-${i}`, agent.address, prefix);
  const engineProxy = new RecordingHttpProxy({ target: { socketPath: engine.socketPath }, pids: () => [a.pid, b.pid].filter((p): p is number => p !== undefined) });
  proxies.push(engineProxy);
  await engineProxy.listen();
  await waitUntil('b is a ready standby', async () => {
    const addr = b.metricsAddr();
    if (!addr) return false;
    return (await fetch(`http://${addr}/readyz`).catch(() => undefined))?.status === 200;
  }, 30_000, 50);
  assert.equal(b.find('started leading').length, 0, 'b waits while a holds the lock');

  // a's question about the helper image gets its answer late.
  engineProxy.holdResponses((r) => r.pid === a.pid && r.method === 'GET' && /\/images\/.+\/json/.test(r.path));
  const kv = new ConsulKv({ address: agent.address });
  try {
    await new ResourceStore({ kv, prefix }).apply([
      { apiVersion: 'swarmop.io/v1alpha1', kind: 'DockerHost', metadata: { name: 'fenced' }, spec: { endpoint: `tcp://127.0.0.1:${engineProxy.port}`, address: '127.0.0.1' } } as Resource,
    ]);
    await waitUntil("a's image question is held", () => engineProxy.held >= 1, 20_000, 20);

    const faultAt = Date.now();
    if (kind === 'partition' || kind === 'reset') {
      // Packets dropped: a only learns from its lease running out; reset: its connections fail at once.
      consulForA.cut({ reset: kind === 'reset' });
    } else {
      const session = String(a.find('started leading')[0]?.session ?? '');
      assert.match(session, /^[0-9a-f-]{36}$/);
      const res = await fetch(`http://${agent.address}/v1/session/destroy/${session}`, { method: 'PUT' });
      assert.equal(res.status, 200);
    }
    const bStarted = await b.waitForLog('b leads', (l) => l.message === 'started leading', 20_000);
    await waitUntil('b imports the helper image', () => engineProxy.requests.some((r) => r.pid === b.pid && r.method === 'POST' && r.path.includes('/images/create')), 30_000, 20);
    // Now a gets its stale "no image" answer.
    engineProxy.release();
    const exit = await waitForExit(a, 30_000);
    assert.deepEqual(exit, { code: 8, signal: null }, `a exits with LeadershipLost's code\n${a.dump()}`);
    await b.stop('SIGTERM');

    const aStopped = a.find('stopped leading');
    assert.equal(aStopped.length, 1, a.dump());
    const bStartTs = tsOf(bStarted);
    const stoppedBeforeStartedMs = bStartTs - tsOf(aStopped[0]);
    assert.ok(stoppedBeforeStartedMs > 0, `a stopped leading ${stoppedBeforeStartedMs} ms before b started`);
    const aChanges = engineProxy.requests.filter((r) => r.pid === a.pid && isMutating(r));
    const aChangesAfterB = aChanges.filter((r) => r.at >= bStartTs).length;
    assert.equal(aChangesAfterB, 0, `a sent changes to the engine after b led: ${JSON.stringify(aChanges)}`);
    // a did try: its stale answer led it to the import that b had already done.
    assert.ok(
      a.find('call refused: not leading').some((l) => /POST \/images\/create/.test(String(l.action))),
      `a's import was refused in a\n${a.dump(40)}`,
    );
    // The store's side: no write of a's reached Consul after b led (a's link is its proxy).
    const aStoreWritesAfterB = consulForA.requests.filter((r) => isMutating(r) && !r.blackholed && r.at >= bStartTs && !r.path.startsWith('/v1/agent/check/')).length;
    assert.equal(aStoreWritesAfterB, 0, `a wrote to the store after b led: ${JSON.stringify(consulForA.requests.filter((r) => r.at >= bStartTs))}`);
    return { stoppedBeforeStartedMs, failoverMs: bStartTs - faultAt, aChangesAfterB, aStoreWritesAfterB };
  } finally {
    kv.close();
    engineProxy.release();
  }
}

async function waitForExit(c: OperatorProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  await waitUntil(`${c.name} exits`, () => !c.running, timeoutMs, 50);
  return c.stop('SIGTERM');
}

test('a leader cut off from Consul while a slow engine answer is pending stops acting before the standby leads, and exits 8', { timeout: 300_000 }, async () => {
  const runs: FencingRun[] = [];
  runs.push(await fencingRun('partition', 0), await fencingRun('reset', 1), await fencingRun('partition', 2));
  console.log(`# partition (dropped, reset, dropped): a stopped leading ${runs.map((r) => r.stoppedBeforeStartedMs).join(', ')} ms before b started; failover ${runs.map((r) => r.failoverMs).join(', ')} ms`);
});

test('a leader whose session is destroyed by hand stops acting before the standby leads, and writes nothing more to the store', { timeout: 300_000 }, async () => {
  const run = await fencingRun('destroy', 0);
  console.log(`# session destroyed: a stopped leading ${run.stoppedBeforeStartedMs} ms before b started; failover ${run.failoverMs} ms`);
});
