/**
 * npm run bench:dockerhost - a DockerHost's Ready flip through the REAL operator process
 * (`swarmop operator --resync-seconds 3600`, so the periodic resync cannot be what flips it).
 *
 * The host is a real dockerd of this run's own (hack/dockerd.sh, its own socket and data root:
 * no lab needed); the store is a `consul agent -dev` started for this run. Each round stops the
 * engine and starts it again:
 *  - down: the clock starts when the bench starts stopping the engine (hack/dockerd.sh stop sends
 *    SIGTERM by its PID file) and stops when the DockerHost's status in the store says Ready=False
 *    (read every 20 ms);
 *  - up: from the moment the started engine answers to Ready=True.
 * Anchor: none runnable (without the operator nothing writes a DockerHost's status); the bound
 * that matters is the fallback it beats, a resync (3600 s here).
 * Settings: BENCH_FLIP_RUNS (default 20).
 */
import { startConsulAgent } from '../testing/harness/consul-agent.js';
import { startDockerEngine } from '../testing/harness/docker-engine.js';
import { OperatorProcess } from '../testing/harness/operator-process.js';
import { swarmopCli } from './operator-run.js';
import { reportFigure } from './figures.js';
import { stats } from './stats.js';

const RUNS = Number(process.env.BENCH_FLIP_RUNS ?? 20);
const HOST = 'flip';
const PREFIX = 'bench-flip/';

interface Condition {
  type: string;
  status: string;
}

async function main(): Promise<void> {
  const consul = await startConsulAgent();
  const engine = await startDockerEngine({ name: 'bench-flip' });
  const op = new OperatorProcess({
    storeAddr: consul.address,
    prefix: PREFIX,
    args: ['--resync-seconds', '3600', '--metrics-addr', '0'],
    name: 'bench-operator',
  });
  const ready = async (): Promise<string | undefined> => {
    const r = await fetch(`${consul.httpAddr}/v1/kv/${PREFIX}status/dockerhosts/${HOST}?raw`);
    if (r.status !== 200) return undefined;
    const s = (await r.json()) as { conditions?: Condition[] };
    return s.conditions?.find((c) => c.type === 'Ready')?.status;
  };
  const until = async (what: string, want: string, timeoutMs: number): Promise<number> => {
    const start = Date.now();
    for (;;) {
      if ((await ready().catch(() => undefined)) === want) return Date.now();
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; operator's last lines:\n${op.dump(20)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    const manifest = `apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: ${HOST}}\nspec: {endpoint: "${engine.dockerHost}", address: 127.0.0.1}\n`;
    await swarmopCli(consul.address, PREFIX, ['apply', '-f', '-'], manifest);
    op.start();
    await until('Ready=True at first', 'True', 60_000);
    const down: number[] = [];
    const gone: number[] = [];
    const up: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = Date.now();
      const stopped = engine.stop().then(() => Date.now());
      const flipped = await until(`Ready=False after stop ${i + 1}`, 'False', 30_000);
      down.push(flipped - t0);
      gone.push((await stopped) - t0);
      await engine.start();
      const answered = Date.now();
      up.push((await until(`Ready=True after start ${i + 1}`, 'True', 30_000)) - answered);
    }
    const d = stats(down);
    console.log(`DockerHost through the operator process (--resync-seconds 3600), engine: a dockerd of this run`);
    console.log(`engine stop begun -> Ready=False     ${d.text}   target p99 <= 2000 ms`);
    console.log(`engine stop begun -> engine exited   ${stats(gone).text}   (how long dockerd takes to go)`);
    console.log(`engine answers    -> Ready=True      ${stats(up).text}`);
    reportFigure({
      what: 'DockerHost: engine stopping → Ready=False in the store (operator process, --resync-seconds 3600)',
      figure: d.n >= 20 ? d.text : `n=${d.n} p50 ${d.p50.toFixed(0)} ms  max ${d.max.toFixed(0)} ms (n < 20: no p99)`,
      anchor: '— (without the operator nothing writes the status; the fallback would be the resync, 3600 s here)',
      target: 'p99 ≤ 2 s',
      met: d.n >= 20 && d.p99 <= 2000,
    });
  } finally {
    if (op.running) await op.stop().catch(() => undefined);
    await engine.stop().catch(() => undefined);
    await consul.stop().catch(() => undefined);
  }
}

await main();
