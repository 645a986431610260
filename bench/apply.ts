/**
 * bench:apply — 1,000 generated DockerHost documents applied to a real local Consul through
 * ResourceStore.apply (validation, one read per kind, CAS writes in /v1/txn batches of 64),
 * next to the same documents written one PUT per key in the same run.
 * Target: 1,000 documents applied in under 1 s.
 *
 *   npm run bench:apply [-- --count N]
 *   CONSUL_HTTP_ADDR=host:port npm run bench:apply   (use a running agent instead of starting one)
 */
import { parseArgs } from 'node:util';
import { API_VERSION, type Resource } from '../src/crds/index.js';
import { ConsulKv } from '../src/store/consul-kv.js';
import { ResourceStore } from '../src/store/resource-store.js';
import { objectKey } from '../src/store/store-keys.js';
import { startConsulAgent, type ConsulAgentHandle } from '../testing/harness/consul-agent.js';
import { reportFigure } from './figures.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '1000' } } });
const count = Number(values.count);

function docs(n: number, variant: number): Resource[] {
  return Array.from({ length: n }, (_, i) => {
    const octet = (i % 250) + 1;
    const net = Math.floor(i / 250) + variant;
    return {
      apiVersion: API_VERSION,
      kind: 'DockerHost',
      metadata: { name: `host-${String(i).padStart(5, '0')}`, labels: { bench: 'apply', rack: `r${i % 8}` } },
      spec: { endpoint: `tcp://10.${net}.0.${octet}:2375`, address: `10.${net}.0.${octet}` },
    };
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

function row(label: string, n: number, ms: number): string {
  const rate = (n / ms) * 1000;
  return `${label.padEnd(44)} ${String(n).padStart(6)} docs ${ms.toFixed(0).padStart(7)} ms ${rate.toFixed(0).padStart(8)} docs/s`;
}

async function main(): Promise<void> {
  let agent: ConsulAgentHandle | undefined;
  const external = process.env.CONSUL_HTTP_ADDR;
  if (!external) agent = await startConsulAgent();
  const address = external ?? agent!.address;
  const kv = new ConsulKv({ address, ...(process.env.CONSUL_HTTP_TOKEN ? { token: process.env.CONSUL_HTTP_TOKEN } : {}) });
  const run = `bench-${process.pid}-${Date.now()}`;
  try {
    const store = new ResourceStore({ kv, prefix: `${run}/apply/` });
    const first = docs(count, 0);
    // Warm-up (connection, schema compilation) on a throwaway prefix, not counted.
    await new ResourceStore({ kv, prefix: `${run}/warmup/` }).apply(docs(64, 0));

    const create = await timed(() => store.apply(first));
    const unchanged = await timed(() => store.apply(first));
    const update = await timed(() => store.apply(docs(count, 100)));

    const putPrefix = `${run}/put/`;
    const values = first.map((d) => [objectKey(putPrefix, d.kind, d.metadata.name), JSON.stringify(d)] as const);
    const sequential = await timed(async () => {
      for (const [k, v] of values) await kv.set(k, v);
    });
    const parallelPrefix = `${run}/put-parallel/`;
    // Consul refuses more than 200 connections per client (http_max_conns_per_client): 32 in flight.
    const parallel = await timed(() =>
      pool(first, 32, (d) => kv.set(objectKey(parallelPrefix, d.kind, d.metadata.name), JSON.stringify(d))),
    );

    const counts = (r: { action: string }[]): string =>
      Object.entries(r.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x.action]: (acc[x.action] ?? 0) + 1 }), {}))
        .map(([a, n]) => `${n} ${a}`)
        .join(', ');
    const stored = (await kv.list(`${run}/apply/objects/`)).pairs.length;

    console.log(`bench:apply against Consul at ${address}${agent ? ' (consul agent -dev started for this run)' : ''}`);
    console.log(row('ResourceStore.apply, create (txn x64, CAS)', count, create.ms) + `   [${counts(create.value)}]`);
    console.log(row('ResourceStore.apply, re-apply unchanged', count, unchanged.ms) + `   [${counts(unchanged.value)}]`);
    console.log(row('ResourceStore.apply, update every spec', count, update.ms) + `   [${counts(update.value)}]`);
    console.log(row('one PUT per key, sequential', count, sequential.ms));
    console.log(row('one PUT per key, 32 in parallel', count, parallel.ms));
    console.log(`transactions per apply: ${Math.ceil(count / 64)}; objects stored: ${stored}`);
    const verdict = create.ms < 1000 ? 'PASS' : 'FAIL';
    reportFigure({
      what: `apply ${count} documents (one ResourceStore.apply)`,
      figure: `${create.ms.toFixed(0)} ms`,
      anchor: `one PUT per key: ${sequential.ms.toFixed(0)} ms sequential, ${parallel.ms.toFixed(0)} ms 32 in parallel`,
      target: '< 1000 ms',
      met: create.ms < 1000,
    });
    console.log(
      `target ${count} docs < 1000 ms: ${verdict} (${create.ms.toFixed(0)} ms; ${(sequential.ms / create.ms).toFixed(1)}x faster than sequential PUTs)`,
    );
    if (verdict === 'FAIL') process.exitCode = 1;
  } finally {
    await kv.delete(`${run}/`, { recurse: true }).catch(() => undefined);
    kv.close();
    await agent?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
});
