/**
 * bench:runtime — the operator's runtime under 10,000 documents in a real local Consul: the
 * Operator (watchers, reflectors, workqueue, reconcile driver with its status writes) runs with a
 * no-op DockerHost reconciler (Ready=True, touches nothing) and no Docker event streams.
 * Prints, one line each with its target:
 *   first full sync    start -> every document reconciled once (status written for each)
 *   full resync        one resync pass over every key (the periodic resync's own code path)
 *   RSS                after sync and resync
 *   idle CPU           over 30 s with nothing changing, and with the safety-net re-list of every
 *                      document that the watcher runs once per 60 s (its cost measured once)
 *   RSS after idle     after the idle window (V8 shrinks its heap once allocation stops)
 *   latency p50/p99    one document's spec changed in Consul -> its reconcile starts
 *
 * The 10,000 documents are written by a child process (`--seed-only`), as `swarmop apply` would
 * from elsewhere: writing them in this process left ~80 MB of the writer's freed memory in the
 * RSS that is measured as the operator's. The single updates are written from here.
 * RSS includes tsx's own loader (~25 MB more at start than compiled; see the "at start" memory
 * line); the installed operator runs compiled JavaScript without it, which `bench:runtime:dist`
 * measures (same code, built into .cache/bench-dist).
 *
 *   npm run bench:runtime [-- --count N --updates N --idle-seconds N --concurrency N]
 *   npm run bench:runtime:dist [-- ...]
 *   CONSUL_HTTP_ADDR=host:port npm run bench:runtime   (use a running agent instead of starting one)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import type { KindReconciler } from '../src/controllers/kind-reconciler.js';
import { API_VERSION, type Resource } from '../src/crds/index.js';
import { Operator } from '../src/operator/operator.js';
import { waitUntil } from '../testing/wait-until.js';
import { ConsulKv } from '../src/store/consul-kv.js';
import { ResourceStore } from '../src/store/resource-store.js';
import { startConsulAgent, type ConsulAgentHandle } from '../testing/consul-agent.js';
import { reportFigure } from './figures.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    updates: { type: 'string', default: '200' },
    'idle-seconds': { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '4' },
    'seed-only': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const updates = Number(values.updates);
const idleSeconds = Number(values['idle-seconds']);
const concurrency = Number(values.concurrency);
const PREFIX = 'bench-runtime/';

function doc(i: number, variant = 0): Resource {
  const octet = (i % 250) + 1;
  const net = Math.floor(i / 250) + variant;
  return {
    apiVersion: API_VERSION,
    kind: 'DockerHost',
    metadata: { name: `host-${String(i).padStart(5, '0')}`, labels: { bench: 'runtime', rack: `r${i % 8}` } },
    spec: { endpoint: `tcp://10.${net % 250}.0.${octet}:2375`, address: `10.${net % 250}.0.${octet}` },
  };
}

/** Where the RSS goes: V8 heap (used / reserved by space), buffers outside it, the rest. */
function memoryBreakdown(label: string): void {
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)}`;
  const m = process.memoryUsage();
  const spaces = v8
    .getHeapSpaceStatistics()
    .filter((s) => s.space_size > 2 ** 20)
    .map((s) => `${s.space_name.replace(/_space$/, '')} ${mb(s.space_used_size)}/${mb(s.space_size)}`);
  console.log(
    `# memory ${label}: rss ${mb(m.rss)} MB (${procRss()}) = heap ${mb(m.heapTotal)} (used ${mb(m.heapUsed)}) + external ${mb(m.external)} (arrayBuffers ${mb(m.arrayBuffers)}) + code/stacks/malloc ${mb(m.rss - m.heapTotal - m.external)}; spaces used/reserved MB: ${spaces.join(', ')}`,
  );
}

/** Linux's split of the RSS: anonymous memory vs mapped files (the node binary, libraries). */
function procRss(): string {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string) => /\d+/.exec(new RegExp(`^${name}:.*$`, 'm').exec(status)?.[0] ?? '')?.[0];
    return `anon ${(Number(field('RssAnon')) / 1024).toFixed(1)}, file ${(Number(field('RssFile')) / 1024).toFixed(1)}, threads ${field('Threads')}`;
  } catch {
    return 'no /proc';
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function line(label: string, value: string, target: string, ok: boolean | undefined): void {
  const verdict = ok === undefined ? '' : ok ? '  ok' : '  MISSED';
  console.log(`${label.padEnd(34)} ${value.padStart(12)}   target ${target}${verdict}`);
  if (ok !== undefined) reportFigure({ what: `operator at ${count} documents (in-process runtime, no-op reconciler): ${label}`, figure: value, anchor: '—', target, met: ok });
}

/** `--seed-only`: write the documents to CONSUL_HTTP_ADDR and exit (run as a child process). */
async function seed(): Promise<void> {
  const kv = new ConsulKv({ address: process.env.CONSUL_HTTP_ADDR! });
  const store = new ResourceStore({ kv, prefix: PREFIX });
  try {
    await kv.delete(PREFIX, { recurse: true });
    for (let i = 0; i < count; i += 1000) await store.apply(Array.from({ length: Math.min(1000, count - i) }, (_, j) => doc(i + j)));
  } finally {
    kv.close();
  }
}

function seedInChild(address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--seed-only', '--count', String(count)], {
      env: { ...process.env, CONSUL_HTTP_ADDR: address },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seeding child exited ${code}`))));
  });
}

async function main(): Promise<void> {
  memoryBreakdown('at start');
  let agent: ConsulAgentHandle | undefined;
  const external = process.env.CONSUL_HTTP_ADDR;
  if (!external) agent = await startConsulAgent();
  const kv = new ConsulKv({ address: external ?? agent!.address });
  const store = new ResourceStore({ kv, prefix: PREFIX });
  const ac = new AbortController();
  let running: Promise<void> | undefined;
  try {
    let began = performance.now();
    await seedInChild(external ?? agent!.address);
    console.log(`# ${count} DockerHost documents written by a child process in ${Math.round(performance.now() - began)} ms; concurrency ${concurrency}`);

    // The no-op reconciler: counts runs and notes when each key's run started.
    let runs = 0;
    const started = new Map<string, number>();
    const noop: KindReconciler = {
      kind: 'DockerHost',
      reconcile: async (r) => {
        runs++;
        started.set(r.metadata.name, performance.now());
        return { observed: {}, conditions: [{ type: 'Ready', status: 'True', reason: 'NoOp', message: 'bench' }] };
      },
    };
    // The timer never fires during the run; the resync pass is started by hand below.
    const operator = new Operator({ kv, store, reconcilers: [noop], hostEvents: false, resyncMs: 3_600_000, concurrency });
    const queueIdle = () => {
      const q = operator.controller('DockerHost')?.queue;
      return q !== undefined && q.depth === 0 && q.active === 0;
    };

    began = performance.now();
    running = operator.start(ac.signal);
    await waitUntil('first full sync', () => runs >= count && queueIdle(), 600_000, 10);
    const syncMs = performance.now() - began;
    line('first full sync (10k reconciled)', `${Math.round(syncMs)} ms`, '-', undefined);

    const before = runs;
    began = performance.now();
    operator.controller('DockerHost')!.queue.resync();
    await waitUntil('full resync', () => runs - before >= count && queueIdle(), 600_000, 10);
    const resyncMs = performance.now() - began;
    line('full resync', `${Math.round(resyncMs)} ms`, '<= 5000 ms', resyncMs <= 5000);

    globalThis.gc?.();
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    line('RSS', `${rssMb.toFixed(1)} MB`, '<= 150 MB', rssMb <= 150);
    memoryBreakdown('after resync');

    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const runs0 = runs;
    await new Promise((r) => setTimeout(r, idleSeconds * 1000)); // the idle window itself
    const cpu = process.cpuUsage(cpu0);
    const idlePct = ((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100;
    line(`idle CPU (${idleSeconds} s)`, `${idlePct.toFixed(2)} %`, '<= 1 %', idlePct <= 1);
    if (runs !== runs0) console.log(`# note: ${runs - runs0} reconciles ran during the idle window`);
    const rssIdle = process.memoryUsage().rss / 2 ** 20;
    line(`RSS after ${idleSeconds} s idle`, `${rssIdle.toFixed(1)} MB`, '<= 150 MB', rssIdle <= 150);

    // The periodic safety-net re-list (default every 60 s): one, timed, then amortized.
    const relists0 = operator.watchState.relists;
    const cpuR = process.cpuUsage();
    const wallR = performance.now();
    operator.relistObjects();
    await waitUntil('re-list', () => operator.watchState.relists > relists0, 60_000, 1);
    const relistCpuMs = (() => {
      const c = process.cpuUsage(cpuR);
      return (c.user + c.system) / 1000;
    })();
    const relistPct = (relistCpuMs / 60_000) * 100;
    console.log(`# one re-list of ${count} documents: ${Math.round(performance.now() - wallR)} ms wall, ${Math.round(relistCpuMs)} ms CPU`);
    line('idle CPU + re-list every 60 s', `${(idlePct + relistPct).toFixed(2)} %`, '<= 1 %', idlePct + relistPct <= 1);

    // Single updates: change one document's spec, time until its reconcile starts.
    const latencies: number[] = [];
    for (let u = 0; u < updates; u++) {
      const i = Math.floor(Math.random() * count);
      const name = doc(i).metadata.name;
      started.delete(name);
      const t0 = performance.now();
      await store.apply([doc(i, u + 1)]);
      await waitUntil(`reconcile of ${name}`, () => started.has(name), 10_000, 1);
      latencies.push(started.get(name)! - t0);
      await waitUntil('queue idle', queueIdle, 10_000, 1);
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    line(`event->reconcile p50 (${updates} updates)`, `${p50.toFixed(1)} ms`, '-', undefined);
    line(`event->reconcile p99 (${updates} updates)`, `${p99.toFixed(1)} ms`, '<= 50 ms', p99 <= 50);
    const rssAfter = process.memoryUsage().rss / 2 ** 20;
    line('RSS after updates', `${rssAfter.toFixed(1)} MB`, '<= 150 MB', rssAfter <= 150);
    memoryBreakdown('after updates');
    const w = operator.watchState;
    console.log(`# watcher: ${w.relists} full listings (last: ${w.lastRelistReason ?? '-'}), ${w.incremental} journal wakes applied incrementally`);
  } finally {
    ac.abort();
    await running;
    await kv.delete(PREFIX, { recurse: true }).catch(() => undefined);
    kv.close();
    await agent?.stop();
  }
}

if (values['seed-only']) await seed();
else await main();
