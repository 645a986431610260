/**
 * One round of "never two operators acting at once" with REAL parts, shared by
 * src/operator/leader-fencing.int.test.ts (3 rounds, asserted) and bench/failover.ts (20 rounds,
 * measured): two `swarmop operator --leader-elect` processes on one real Consul agent, one
 * DockerHost whose endpoint is a recording proxy in front of a real Docker Engine, and the first
 * leader's link to Consul through a proxy the caller controls.
 *
 * The leader (a) is caught in a slow engine answer: the proxy forwards its "is the helper image
 * there?" question and keeps the answer ("no") back. Then a loses its lock: `partition` (packets to
 * Consul dropped: a only learns it from its lease running out), `reset` (its Consul connections
 * fail at once) or `destroy` (its session destroyed by hand). The standby (b) takes over and puts
 * the image on the host. Only then does a get its stale answer, on which it would import the image
 * too. The round reports what the two processes' own logs and the proxies saw; the caller judges.
 */
import Docker from 'dockerode';
import type { Resource } from '../../src/crds/index.js';
import { defaultHelperImage } from '../../src/nethelper/helper-image.js';
import { ConsulKv } from '../../src/store/consul-kv.js';
import { isChangingMethod } from '../../src/runtime/fence.js';
import { ResourceStore } from '../../src/store/resource-store.js';
import { OperatorProcess, type SeenLine } from './operator-process.js';
import { RecordingHttpProxy, type ProxiedRequest } from './recording-http-proxy.js';
import { waitUntil } from '../util/wait-until.js';

export type LossKind = 'partition' | 'reset' | 'destroy';

export interface FencingContext {
  /** CONSUL_HTTP_ADDR of the real agent. */
  consulAddr: string;
  /** The real engine's unix socket. */
  engineSocket: string;
  /** Tree whose built CLI runs the operators (default: this one). */
  repoRoot?: string;
  /** Every process started, so the caller can kill leftovers. */
  children: OperatorProcess[];
  proxies: RecordingHttpProxy[];
}

export interface FencingRound {
  kind: LossKind;
  /** Date.now() when the lock was taken away. */
  faultAt: number;
  /** a's and b's lines, by their own `ts`. */
  aStoppedTs?: number;
  bStartedTs: number;
  /** Time of a's last change that reached the engine or the store, if any. */
  aLastChangeAt?: number;
  /** Time of b's first change that reached the engine. */
  bFirstChangeAt?: number;
  /** a's changes that reached the engine at or after b's `started leading`. */
  aChangesAfterB: ProxiedRequest[];
  /** a's store writes that reached Consul at or after b's `started leading` (not its own check passes). */
  aStoreWritesAfterB: ProxiedRequest[];
  /** a logged that its stale import was refused. */
  aImportRefused: boolean;
  aExit: { code: number | null; signal: NodeJS.Signals | null };
  a: OperatorProcess;
  b: OperatorProcess;
}

export const isChange = (r: ProxiedRequest): boolean => isChangingMethod(r.method);

function tsOf(l: SeenLine | undefined): number | undefined {
  const ts = Date.parse(String(l?.ts));
  return Number.isNaN(ts) ? undefined : ts;
}

function replica(ctx: FencingContext, name: string, storeAddr: string, prefix: string): OperatorProcess {
  const c = new OperatorProcess({
    name,
    storeAddr,
    prefix,
    ...(ctx.repoRoot ? { repoRoot: ctx.repoRoot } : {}),
    args: ['--leader-elect', '--lock-delay-seconds', '1', '--metrics-addr', '127.0.0.1:0', '--log-level', 'debug'],
  });
  ctx.children.push(c);
  c.start();
  return c;
}

export async function fencingRound(ctx: FencingContext, kind: LossKind, prefix: string): Promise<FencingRound> {
  const docker = new Docker({ socketPath: ctx.engineSocket });
  await docker
    .getImage(defaultHelperImage())
    .remove({ force: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
  const [host, port] = ctx.consulAddr.split(':');
  const consulForA = new RecordingHttpProxy({ target: { host: host!, port: Number(port) } });
  ctx.proxies.push(consulForA);
  await consulForA.listen();
  const a = replica(ctx, `a-${prefix.replace(/\W+/g, '-')}`, consulForA.address, prefix);
  await a.waitForLog('a leads', (l) => l.message === 'started leading', 30_000);
  const b = replica(ctx, `b-${prefix.replace(/\W+/g, '-')}`, ctx.consulAddr, prefix);
  const engine = new RecordingHttpProxy({
    target: { socketPath: ctx.engineSocket },
    pids: () => [a.pid, b.pid].filter((p): p is number => p !== undefined),
  });
  ctx.proxies.push(engine);
  await engine.listen();
  const kv = new ConsulKv({ address: ctx.consulAddr });
  try {
    await waitUntil(
      'b is a ready standby',
      async () => {
        const addr = b.metricsAddr();
        if (!addr) return false;
        return (await fetch(`http://${addr}/readyz`).catch(() => undefined))?.status === 200;
      },
      30_000,
      50,
    );
    if (b.find('started leading').length > 0) throw new Error(`b leads while a holds the lock:\n${b.dump(10)}`);

    // a's question about the helper image gets its answer late.
    engine.holdResponses((r) => r.pid === a.pid && r.method === 'GET' && /\/images\/.+\/json/.test(r.path));
    await new ResourceStore({ kv, prefix }).apply([
      {
        apiVersion: 'swarmop.io/v1alpha1',
        kind: 'DockerHost',
        metadata: { name: 'fenced' },
        spec: { endpoint: `tcp://127.0.0.1:${engine.port}`, address: '127.0.0.1' },
      } as Resource,
    ]);
    await waitUntil("a's image question is held", () => engine.held >= 1, 20_000, 20);

    const faultAt = Date.now();
    if (kind === 'destroy') {
      const session = String(a.find('started leading')[0]?.session ?? '');
      const res = await fetch(`http://${ctx.consulAddr}/v1/session/destroy/${encodeURIComponent(session)}`, { method: 'PUT' });
      if (res.status !== 200) throw new Error(`destroying a's session ${session}: HTTP ${res.status}`);
    } else {
      consulForA.cut({ reset: kind === 'reset' });
    }
    const bStarted = await b.waitForLog('b leads', (l) => l.message === 'started leading', 20_000);
    await waitUntil(
      'b imports the helper image',
      () => engine.requests.some((r) => r.pid === b.pid && r.method === 'POST' && r.path.includes('/images/create')),
      30_000,
      20,
    );
    // Now a gets its stale "no image" answer.
    engine.release();
    await waitUntil(`${a.name} exits`, () => !a.running, 30_000, 50).catch(() => undefined);
    const aExit = await a.stop('SIGTERM');
    await b.stop('SIGTERM');

    const bStartedTs = tsOf(bStarted)!;
    const aEngineChanges = engine.requests.filter((r) => r.pid === a.pid && isChange(r));
    const aStoreWrites = consulForA.requests.filter((r) => isChange(r) && !r.blackholed && !r.path.startsWith('/v1/agent/check/'));
    const aLast = [...aEngineChanges, ...aStoreWrites].map((r) => r.at);
    const bFirst = engine.requests.find((r) => r.pid === b.pid && isChange(r));
    const aStoppedTs = tsOf(a.find('stopped leading')[0]);
    return {
      kind,
      faultAt,
      ...(aStoppedTs !== undefined ? { aStoppedTs } : {}),
      bStartedTs,
      ...(aLast.length > 0 ? { aLastChangeAt: Math.max(...aLast) } : {}),
      ...(bFirst ? { bFirstChangeAt: bFirst.at } : {}),
      aChangesAfterB: aEngineChanges.filter((r) => r.at >= bStartedTs),
      aStoreWritesAfterB: aStoreWrites.filter((r) => r.at >= bStartedTs),
      aImportRefused: a.find('call refused: not leading').some((l) => /POST \/images\/create/.test(String(l.action))),
      aExit,
      a,
      b,
    };
  } finally {
    engine.release();
    kv.close();
  }
}
