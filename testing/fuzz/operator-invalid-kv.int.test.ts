/**
 * Documents written into Consul KV by hand, behind the CLI's back, that fail validation: the
 * in-process Operator (real DockerHost reconciler, REAL Consul agent) marks each Ready=False with
 * reason InvalidSpec on its own status key, keeps serving the valid object next to them, and never
 * crashes. A document fixed in place leaves InvalidSpec behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDockerHostReconciler } from '../../src/controllers/dockerhost/index.js';
import { Operator } from '../../src/operator/operator.js';
import { createLogger } from '../../src/runtime/logger.js';
import { waitUntil } from '../util/wait-until.js';
import type { ConsulKv } from '../../src/store/consul-kv.js';
import { ResourceStore } from '../../src/store/resource-store.js';
import type { ConsulAgentHandle } from '../harness/consul-agent.js';
import { useRealConsul } from '../harness/real-consul.js';
import { lineSink } from '../util/line-sink.js';

const PREFIX = 'fuzz-operator/';
let agent: ConsulAgentHandle;
let kv: ConsulKv;

useRealConsul((a, k) => ((agent = a), (kv = k)));

function dockerHost(
  name: string,
  extra: { spec?: Record<string, unknown>; metadata?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name, uid: `uid-${name}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', ...extra.metadata },
    // Port 1 on loopback refuses at once: a valid host is Ready=False/Unreachable, never InvalidSpec.
    spec: { endpoint: 'tcp://127.0.0.1:1', address: '127.0.0.1', ...extra.spec },
  };
}

function deeplyNested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** name → the raw value written under objects/dockerhosts/<name>. */
const BAD_DOCUMENTS: Record<string, string | Uint8Array> = {
  'not-json': '{apiVersion: swarmop.io/v1alpha1',
  empty: '',
  'json-array': '[1,2,3]',
  'json-string': '"DockerHost"',
  'invalid-utf8': new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
  // A valid ConsulCluster, stored under dockerhosts/.
  'wrong-kind': JSON.stringify({
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ConsulCluster',
    metadata: { name: 'wrong-kind' },
    spec: { datacenter: 'dc', image: 'hashicorp/consul:1.8.7', servers: [{ host: 'a', node: 'a' }] },
  }),
  'unknown-kind': JSON.stringify({ ...dockerHost('unknown-kind'), kind: 'Pod' }),
  'name-mismatch': JSON.stringify(dockerHost('someone-else')),
  'invalid-spec': JSON.stringify(dockerHost('invalid-spec', { spec: { address: '999.1.1.1', endpoint: 'tcp://a b:2375' } })),
  'unknown-field': JSON.stringify(dockerHost('unknown-field', { spec: { privileged: true } })),
  'shell-name': JSON.stringify(dockerHost('shell-name', { metadata: { labels: { 'a;rm -rf /': '$(id)' } } })),
  // Just under Consul's 512 KiB value limit, over the 64 KiB annotation limit.
  huge: JSON.stringify(dockerHost('huge', { metadata: { annotations: { blob: 'x'.repeat(500_000) } } })),
  'deep-json': deeplyNested(50_000),
  'spec-null': JSON.stringify({ ...dockerHost('spec-null'), spec: null }),
};

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

async function readyOf(store: ResourceStore, name: string): Promise<Cond | undefined> {
  const pair = await kv.get(store.statusKey('DockerHost', name));
  if (!pair) return undefined;
  try {
    const status = JSON.parse(pair.value) as { conditions?: Cond[] };
    return status.conditions?.find((c) => c.type === 'Ready');
  } catch {
    return undefined;
  }
}

async function putRaw(key: string, value: string | Uint8Array): Promise<void> {
  // The raw HTTP API, as a person with curl would: ConsulKv only writes UTF-8 strings.
  const res = await fetch(`${agent.httpAddr}/v1/kv/${key}`, {
    method: 'PUT',
    body: typeof value === 'string' ? value : new Uint8Array(value).buffer,
  });
  assert.equal(res.status, 200, `PUT ${key}: ${await res.text()}`);
}

test('hand-written invalid documents get Ready=False InvalidSpec and never stop the operator', { timeout: 120_000 }, async () => {
  const store = new ResourceStore({ kv, prefix: PREFIX });
  const { stream: sink, lines } = lineSink();
  const log = createLogger({ format: 'json', level: 'debug', stream: sink });
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => void uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const operator = new Operator({
    kv,
    store,
    reconcilers: [createDockerHostReconciler({ unreachableRecheckMs: 60_000, probeTimeoutMs: 2_000 })],
    log,
    hostEvents: false,
    resyncMs: 2_000,
  });
  const ac = new AbortController();
  let stopped: unknown = 'running';
  const done = operator.start(ac.signal).then(
    () => (stopped = 'resolved'),
    (err: unknown) => (stopped = err),
  );
  try {
    // One valid object first, so "keeps working" is measured on an object that was there before.
    await putRaw(store.objectKey('DockerHost', 'good'), JSON.stringify(dockerHost('good')));
    for (const [name, value] of Object.entries(BAD_DOCUMENTS)) await putRaw(store.objectKey('DockerHost', name), value);
    const names = Object.keys(BAD_DOCUMENTS);
    const missing = (): Promise<string[]> =>
      Promise.all(names.map(async (n) => ((await readyOf(store, n))?.reason === 'InvalidSpec' ? undefined : n))).then((l) =>
        l.filter((n): n is string => !!n),
      );
    await waitUntil('InvalidSpec on every hand-written document', async () => (await missing()).length === 0, 30_000, 100).catch(
      async (err: Error) => {
        throw new Error(`${err.message}; still without InvalidSpec: ${(await missing()).join(', ')}`);
      },
    );
    for (const name of names) {
      const ready = await readyOf(store, name);
      assert.equal(ready?.status, 'False', name);
      assert.ok(
        ready.message.length > 0 && ready.message.length < 4_000,
        `${name}: a short reason, got ${ready.message.length} characters`,
      );
    }
    assert.match((await readyOf(store, 'wrong-kind'))!.message, /kind/);
    assert.match((await readyOf(store, 'invalid-spec'))!.message, /spec\.address/);
    assert.match((await readyOf(store, 'huge'))!.message, /annotations/);

    // The valid neighbour is reconciled normally.
    await waitUntil('good reconciled', async () => (await readyOf(store, 'good'))?.reason === 'Unreachable', 15_000, 50);

    // Fixing a document in place clears InvalidSpec.
    await putRaw(store.objectKey('DockerHost', 'not-json'), JSON.stringify(dockerHost('not-json')));
    await waitUntil('not-json repaired', async () => (await readyOf(store, 'not-json'))?.reason === 'Unreachable', 15_000, 50);

    assert.equal(stopped, 'running', 'the operator kept running');
    assert.deepEqual(uncaught, []);
    assert.ok(!lines.some((l) => /"level":"error"/.test(l) && /\n\s+at /.test(JSON.parse(l).stack ?? '')), 'no stack logged');
  } finally {
    ac.abort();
    await done;
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
  assert.equal(stopped, 'resolved', 'the operator drained and resolved on abort');
});

// Known gap (src/operator/operator.ts, not this suite's code): readStatus JSON.parses the stored
// status without a guard, so an invalid document whose status key was also hand-written as
// garbage makes every reconcile throw and InvalidSpec is never written. Kept as a TODO so it shows.
test('an invalid document whose status key is not JSON still gets InvalidSpec', { timeout: 60_000 }, async () => {
  const store = new ResourceStore({ kv, prefix: 'fuzz-operator-status/' });
  const operator = new Operator({
    kv,
    store,
    reconcilers: [createDockerHostReconciler({ unreachableRecheckMs: 60_000 })],
    hostEvents: false,
  });
  const ac = new AbortController();
  const done = operator.start(ac.signal);
  try {
    await putRaw(store.statusKey('DockerHost', 'garbage-status'), 'not json at all');
    await putRaw(store.objectKey('DockerHost', 'garbage-status'), '{{{');
    await waitUntil(
      'InvalidSpec on garbage-status',
      async () => (await readyOf(store, 'garbage-status'))?.reason === 'InvalidSpec',
      10_000,
      100,
    );
  } finally {
    ac.abort();
    await done;
  }
});
