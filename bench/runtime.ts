/**
 * bench:runtime — swarmop's operator at 10,000 documents in a real local Consul, measured twice:
 *
 * 1. In-process runtime: the Operator (watchers, object indexes, workqueue, reconcile driver with its
 *    status reads and compare-and-set writes, the Consul client) with a no-op DockerHost
 *    reconciler (Ready=True, touches nothing) and no Docker event streams, under the operator's
 *    V8 flags (src/runtime/v8-flags.ts). This is the part whose cost grows with the number of
 *    documents whatever they declare, and the only one where a resync pass can be started and
 *    timed from outside the reconcilers (`queue.resync()`). Prints, one line each with its target:
 *      first full sync    start -> every document reconciled once (status written for each)
 *      RSS after sync     right after that first sync (the issue's figure), and the peak (VmHWM)
 *      full resync        one resync pass over every key (the periodic resync's own code path)
 *      idle CPU           over 30 s with nothing changing, and with the safety-net re-list of
 *                         every document that the watcher runs once per 60 s (its cost once)
 *      latency p50/p99    one document's spec changed in Consul -> its reconcile starts
 *    Its anchor: the same first sync in a child with V8's default flags.
 * 2. The real operator process: `node bin/swarmop.js operator` (the built CLI, all controllers,
 *    host event streams, metrics) at 10,000 documents whose Docker endpoint is a unix socket
 *    that does not exist (so nothing leaves the machine and every Docker call fails at once),
 *    run once per mix of `--real-dockerhosts` (default both): one DockerHost and 9,999
 *    StaticIPAttachments on it, then 10,000 DockerHosts that answer nothing (each probed,
 *    Ready=False; their event streams wait for a probe that answers, so none is dialled).
 *    "First sync" = a status key exists for every document (each was reconciled once); its RSS
 *    and peak come from /proc/PID/status, its CPU seconds from /proc/PID/stat (the wall time
 *    depends on what else runs on the machine).
 *
 * The documents are written by a child process (`--seed-only`), as `swarmop apply` would from
 * elsewhere: writing them in this process left ~80 MB of the writer's freed memory in the RSS
 * that is measured as the operator's. The single updates are written from here.
 * The in-process RSS includes tsx's own loader (~25 MB more at start than compiled; see the "at
 * start" memory line); `bench:runtime:dist` runs part 1 compiled. Part 2 needs the build
 * (`npm run bench:runtime` builds first).
 *
 *   npm run bench:runtime [-- --count N --updates N --idle-seconds N --concurrency N
 *                             --real-count N --real-dockerhosts N[,N...] --real-timeout-seconds N
 *                             --real-only --real-node-flags='--cpu-prof --cpu-prof-dir=DIR' --real-heap-snapshot-dir DIR]
 *   npm run bench:runtime:dist [-- ...]
 *   CONSUL_HTTP_ADDR=host:port npm run bench:runtime   (use a running agent instead of starting one)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer } from 'node:net';
import v8 from 'node:v8';
import type { KindReconciler } from '../src/controllers/kind-reconciler.js';
import { API_VERSION, type Resource } from '../src/crds/index.js';
import { Operator } from '../src/operator/operator.js';
import { waitUntil } from '../testing/util/wait-until.js';
import { ConsulKv } from '../src/store/consul-kv.js';
import { ResourceStore } from '../src/store/resource-store.js';
import { sectionPrefix } from '../src/store/store-keys.js';
import { applyOperatorV8Flags, OPERATOR_V8_FLAGS } from '../src/runtime/v8-flags.js';
import { startConsulAgent, type ConsulAgentHandle } from '../testing/harness/consul-agent.js';
import { reportFigure } from './figures.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    updates: { type: 'string', default: '200' },
    'idle-seconds': { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '4' },
    'seed-only': { type: 'boolean', default: false },
    /** Part 1's prefix (the anchor child gets its own: it runs while the parent's operator watches). */
    prefix: { type: 'string', default: 'bench-runtime/' },
    /** What --seed-only writes: the in-process documents, or the real process's (see part 2). */
    'seed-set': { type: 'string', default: 'runtime' },
    /** Part 1's first sync only, with V8's default flags (the anchor, run as a child). */
    'v8-defaults': { type: 'boolean', default: false },
    'first-sync-only': { type: 'boolean', default: false },
    'real-count': { type: 'string', default: '10000' },
    /** DockerHosts among part 2's documents, one real run per comma-separated count (the rest are StaticIPAttachments). */
    'real-dockerhosts': { type: 'string', default: '1,10000' },
    'real-timeout-seconds': { type: 'string', default: '180' },
    /** Part 2 only (the real operator process), without the in-process runs of part 1. */
    'real-only': { type: 'boolean', default: false },
    /** Part 2: a heap snapshot of the operator process right after its first sync, written to this directory. */
    'real-heap-snapshot-dir': { type: 'string', default: '' },
    /** Extra node flags for part 2's operator process (e.g. --cpu-prof, --heapsnapshot-signal=SIGUSR2). */
    'real-node-flags': { type: 'string', default: '' },
  },
});
// The operator process sets these first thing (bin/swarmop.js); the in-process runtime runs as it does.
if (!values['v8-defaults']) applyOperatorV8Flags();
const count = Number(values.count);
const updates = Number(values.updates);
const idleSeconds = Number(values['idle-seconds']);
const concurrency = Number(values.concurrency);
const PREFIX = values.prefix;
const REAL_PREFIX = 'bench-runtime-real/';
const realCount = Number(values['real-count']);
const realDockerHostCounts = values['real-dockerhosts'].split(',').map(Number);
if (realDockerHostCounts.some((n) => !Number.isInteger(n) || n < 0))
  throw new Error(`--real-dockerhosts: comma-separated counts, got ${values['real-dockerhosts']}`);
/** The seeding child's count (it gets one). */
const realDockerHosts = realDockerHostCounts[0]!;
const realTimeoutMs = Number(values['real-timeout-seconds']) * 1000;
/** A Docker endpoint nothing listens on: every call fails at once and no packet leaves the machine. */
const NOWHERE = 'unix:///nonexistent-swarmop-bench';

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
    return `anon ${(Number(field('RssAnon')) / 1024).toFixed(1)}, file ${(Number(field('RssFile')) / 1024).toFixed(1)}, peak ${(Number(field('VmHWM')) / 1024).toFixed(1)}, threads ${field('Threads')}`;
  } catch {
    return 'no /proc';
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** /proc/PID/status fields in MB (VmRSS, VmHWM = peak RSS, RssAnon, RssFile). */
function procMb(pid: number | 'self'): Record<'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile', number> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { VmRSS: kb('VmRSS'), VmHWM: kb('VmHWM'), RssAnon: kb('RssAnon'), RssFile: kb('RssFile') };
}

const IN_PROCESS = `operator at ${count} documents (in-process runtime, no-op reconciler)`;

function line(label: string, value: string, target: string, ok: boolean | undefined, what = IN_PROCESS, anchor = '—'): void {
  const verdict = ok === undefined ? '' : ok ? '  ok' : '  MISSED';
  console.log(`${label.padEnd(34)} ${value.padStart(12)}   target ${target}${verdict}`);
  if (ok !== undefined) reportFigure({ what: `${what}: ${label}`, figure: value, anchor, target, met: ok });
}

/**
 * Part 2's documents: `dockerHosts` DockerHosts (at least one) at endpoints nothing listens on,
 * the rest StaticIPAttachments on the first one, each with its own address and container.
 */
function realDocs(total: number, dockerHosts: number): Resource[] {
  const hosts = Math.max(1, dockerHosts);
  const out: Resource[] = [];
  for (let i = 0; i < Math.min(total, hosts); i++) {
    out.push({
      apiVersion: API_VERSION,
      kind: 'DockerHost',
      metadata: { name: `nowhere-${String(i).padStart(5, '0')}` },
      spec: { endpoint: `${NOWHERE}/host-${i}.sock`, address: `10.255.${Math.floor(i / 250) % 250}.${(i % 250) + 1}` },
    });
  }
  for (let k = 0; k < total - hosts; k++) {
    out.push({
      apiVersion: API_VERSION,
      kind: 'StaticIPAttachment',
      metadata: { name: `c-${String(k).padStart(5, '0')}` },
      spec: { host: 'nowhere-00000', container: `c-${k}`, bridge: 'br0', address: `10.${Math.floor(k / 250) % 250}.${k % 250}.10/8` },
    });
  }
  return out;
}

/** `--seed-only`: write the documents to CONSUL_HTTP_ADDR and exit (run as a child process). */
async function seed(): Promise<void> {
  const kv = new ConsulKv({ address: process.env.CONSUL_HTTP_ADDR! });
  const real = values['seed-set'] === 'real';
  const prefix = real ? REAL_PREFIX : PREFIX;
  const store = new ResourceStore({ kv, prefix });
  const docs = real ? realDocs(count, realDockerHosts) : Array.from({ length: count }, (_, i) => doc(i));
  try {
    await kv.delete(prefix, { recurse: true });
    for (let i = 0; i < docs.length; i += 1000) await store.apply(docs.slice(i, i + 1000));
  } finally {
    kv.close();
  }
}

function seedInChild(address: string, set: 'runtime' | 'real' = 'runtime', n = count, dockerHosts = realDockerHosts): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['--seed-only', '--seed-set', set, '--prefix', PREFIX, '--count', String(n), '--real-dockerhosts', String(dockerHosts)];
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
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
    if (values['real-only']) {
      for (const hosts of realDockerHostCounts) await realOperator(external ?? agent!.address, kv, hosts);
      return;
    }
    let began = performance.now();
    await seedInChild(external ?? agent!.address);
    console.log(
      `# ${count} DockerHost documents written by a child process in ${Math.round(performance.now() - began)} ms; concurrency ${concurrency}`,
    );

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
    const synced = procMb('self');
    if (values['first-sync-only']) {
      // The anchor run (V8 defaults): one machine-readable line for the parent, nothing else.
      console.log(`@anchor ${JSON.stringify({ syncMs, rss: synced.VmRSS, peak: synced.VmHWM })}`);
      return;
    }
    line(`first full sync (${count} reconciled)`, `${Math.round(syncMs)} ms`, '-', undefined);
    const anchor = await v8DefaultsAnchor(external ?? agent!.address);
    const anchorText = anchor ? `V8 default flags: ${anchor.rss.toFixed(1)} MB (peak ${anchor.peak.toFixed(1)} MB)` : '—';
    line('RSS right after the first sync', `${synced.VmRSS.toFixed(1)} MB`, '<= 150 MB', synced.VmRSS <= 150, IN_PROCESS, anchorText);
    console.log(
      `# peak RSS during the first sync ${synced.VmHWM.toFixed(1)} MB; operator V8 flags ${OPERATOR_V8_FLAGS.join(' ')}; anchor: ${anchorText}`,
    );
    memoryBreakdown('after the first sync');

    const before = runs;
    began = performance.now();
    operator.controller('DockerHost')!.queue.resync();
    await waitUntil('full resync', () => runs - before >= count && queueIdle(), 600_000, 10);
    const resyncMs = performance.now() - began;
    line('full resync', `${Math.round(resyncMs)} ms`, '<= 5000 ms', resyncMs <= 5000);

    globalThis.gc?.();
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    line('RSS after the resync', `${rssMb.toFixed(1)} MB`, '<= 150 MB', rssMb <= 150);
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
    console.log(
      `# watcher: ${w.relists} full listings (last: ${w.lastRelistReason ?? '-'}), ${w.incremental} journal wakes applied incrementally`,
    );

    // Part 2 runs after part 1 has stopped, so the two processes never share the CPU.
    ac.abort();
    await running;
    running = undefined;
    await kv.delete(PREFIX, { recurse: true }).catch(() => undefined);
    if (realCount > 0) for (const hosts of realDockerHostCounts) await realOperator(external ?? agent!.address, kv, hosts);
  } finally {
    ac.abort();
    await running;
    await kv.delete(PREFIX, { recurse: true }).catch(() => undefined);
    await kv.delete(REAL_PREFIX, { recurse: true }).catch(() => undefined);
    kv.close();
    await agent?.stop();
  }
}

/** Part 1's first sync in a child with V8's default flags; undefined when it fails (reported). */
async function v8DefaultsAnchor(address: string): Promise<{ syncMs: number; rss: number; peak: number } | undefined> {
  const args = [
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    '--first-sync-only',
    '--v8-defaults',
    '--prefix',
    'bench-runtime-anchor/',
    '--count',
    String(count),
    '--concurrency',
    String(concurrency),
  ];
  const child = spawn(process.execPath, args, { env: { ...process.env, CONSUL_HTTP_ADDR: address }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const mark = /^@anchor (.*)$/m.exec(out);
  if (code !== 0 || !mark) {
    console.log(`# anchor run (V8 default flags) failed: exit ${code}`);
    return undefined;
  }
  return JSON.parse(mark[1]!) as { syncMs: number; rss: number; peak: number };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ')'; utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** How many status keys exist under the prefix: one per document reconciled at least once. */
async function statusCount(address: string, prefix: string): Promise<number> {
  const res = await fetch(`http://${address}/v1/kv/${sectionPrefix(prefix, 'status')}?keys`);
  if (res.status === 404) return 0;
  return ((await res.json()) as string[]).length;
}

/**
 * Part 2: the built `swarmop operator` as its own process over `realCount` documents; RSS and
 * peak from /proc when every document has a status (its first reconcile is done).
 */
async function realOperator(address: string, kv: ConsulKv, dockerHosts: number): Promise<void> {
  // bench/runtime.ts, or .cache/bench-dist/bench/runtime.js when compiled (bench:runtime:dist).
  const bin = ['../bin/swarmop.js', '../../../bin/swarmop.js']
    .map((p) => fileURLToPath(new URL(p, import.meta.url)))
    .find((p) => existsSync(p));
  if (!bin) throw new Error('bin/swarmop.js not found next to the bench');
  if (!existsSync(fileURLToPath(new URL('dist/src/cli/main.js', pathToFileURL(`${dirname(dirname(bin))}/`)))))
    throw new Error('the build is missing: run `npm run build` first');
  let began = performance.now();
  await seedInChild(address, 'real', realCount, dockerHosts);
  const hosts = Math.min(realCount, Math.max(1, dockerHosts));
  const mix = `${hosts} DockerHost${hosts === 1 ? '' : 's'} + ${realCount - hosts} StaticIPAttachments, Docker endpoints ${NOWHERE}/*.sock`;
  console.log(`# real operator process: ${mix}, written in ${Math.round(performance.now() - began)} ms`);
  const port = await freePort();
  const snapshotDir = values['real-heap-snapshot-dir'];
  const nodeFlags = values['real-node-flags'].split(' ').filter((f) => f !== '');
  if (snapshotDir) nodeFlags.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`);
  const args = [
    ...nodeFlags,
    bin,
    '--prefix',
    REAL_PREFIX,
    'operator',
    '--metrics-addr',
    `127.0.0.1:${port}`,
    '--no-ui',
    '--log-level',
    'error',
    '--resync-seconds',
    '3600',
    '--max-concurrent-reconciles',
    String(concurrency),
  ];
  let stderr = '';
  began = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, CONSUL_HTTP_ADDR: address }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const what = `operator at ${realCount} documents (real \`swarmop operator\` process: ${mix})`;
  try {
    let done = 0;
    while (performance.now() - began < realTimeoutMs && child.exitCode === null) {
      done = await statusCount(address, REAL_PREFIX).catch(() => done);
      if (done >= realCount) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (child.exitCode !== null) throw new Error(`the operator exited ${child.exitCode}: ${stderr}`);
    const mem = procMb(child.pid!);
    const syncMs = performance.now() - began;
    const cpuS = procCpuSeconds(child.pid!);
    if (done < realCount) {
      line(
        'real process: first sync',
        `${done}/${realCount} in ${Math.round(syncMs / 1000)} s`,
        `all within ${realTimeoutMs / 1000} s`,
        false,
        what,
      );
      line('real process: RSS (sync unfinished)', `${mem.VmRSS.toFixed(1)} MB`, '<= 150 MB', mem.VmRSS <= 150, what);
    } else {
      line('real process: first sync', `${Math.round(syncMs)} ms`, '-', undefined, what);
      line('real process: RSS right after the first sync', `${mem.VmRSS.toFixed(1)} MB`, '<= 150 MB', mem.VmRSS <= 150, what);
    }
    console.log(
      `# real process CPU until then: ${cpuS.toFixed(1)} s (user + system; the wall time depends on what else runs on the machine)`,
    );
    if (snapshotDir) {
      const before = new Set(existsSync(snapshotDir) ? readdirSync(snapshotDir) : []);
      child.kill('SIGUSR2');
      await waitUntil(
        'heap snapshot',
        () => readdirSync(snapshotDir).some((f) => !before.has(f) && f.endsWith('.heapsnapshot')) && child.exitCode === null,
        120_000,
        500,
      );
      await new Promise((r) => setTimeout(r, 5000)); // the file is written in one go; give it time to finish
      console.log(`# heap snapshot of the operator process right after its first sync in ${snapshotDir}`);
    }
    console.log(
      `# real process memory: rss ${mem.VmRSS.toFixed(1)} MB (anon ${mem.RssAnon.toFixed(1)}, file ${mem.RssFile.toFixed(1)}), peak ${mem.VmHWM.toFixed(1)} MB`,
    );
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    await kv.delete(REAL_PREFIX, { recurse: true }).catch(() => undefined);
  }
}

if (values['seed-only']) await seed();
else await main();
