/**
 * Hostile documents: objects and status values written straight into a REAL Consul's KV (behind
 * the CLI's back, so nothing the CLI checks or sets applies), reconciled by the in-process
 * Operator with the real ConsulCluster, SwarmCluster and StaticIPAttachment reconcilers under the
 * operator's trust policy (the one `swarmop operator` builds from its flags). Each is refused with
 * a condition naming the field, and nothing happens on a host: the "engines" are real loopback
 * listeners (tcp, and a unix socket) that record every request and answer only a container
 * inspect, and the Consul agent address a hostile status names is a listener that counts requests.
 * Only GET requests may reach the engines, and none the agent listener.
 * The attachments run with the run-once helper: the resident helper's netlink monitors start on
 * every host that has attachments (the operator's own doing, not a document's).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { allReconcilers } from '../controllers/index.js';
import { createStaticIPAttachmentReconciler } from '../controllers/staticipattachment/index.js';
import { defaultTrustPolicy, type TrustPolicy } from '../controllers/trust-policy.js';
import { createLogger } from '../runtime/logger.js';
import { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { lineSink } from '../../testing/util/line-sink.js';
import { waitUntil } from '../../testing/util/wait-until.js';
import { Operator } from './operator.js';
import { handWrittenMeta, rawKv, type Cond } from '../../testing/harness/raw-kv.js';

const PREFIX = 'hostile/';
const API = 'swarmop.io/v1alpha1';
/** The hostile ConsulCluster's bindAddress and the hostile status's agent: a listener on the agents' port 8500. */
const AGENT_IP = '127.0.0.5';

let agent: ConsulAgentHandle;
let kv: ConsulKv;

interface Seen {
  method: string;
  url: string;
  token?: string;
}

/** An HTTP listener that records every request; `answer` may reply, else 404. */
function recorder(answer: (req: IncomingMessage, res: ServerResponse) => boolean = () => false): { server: Server; seen: Seen[] } {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const token = req.headers['x-consul-token'];
    seen.push({ method: req.method ?? '', url: req.url ?? '', ...(typeof token === 'string' ? { token } : {}) });
    req.resume();
    if (!answer(req, res)) res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not here"}');
  });
  return { server, seen };
}

/** What the engines say of each container: network mode and labels. */
const CONTAINERS: Record<string, { mode: string; labels?: Record<string, string> }> = {
  hostnet: { mode: 'host', labels: { 'swarmop.io/attach': '' } },
  sharer: { mode: 'container:0123456789ab', labels: { 'swarmop.io/attach': '' } },
  unlabelled: { mode: 'bridge' },
};

function inspectAnswer(req: IncomingMessage, res: ServerResponse): boolean {
  // An event stream that stays open and quiet: the host counts as connected.
  if (req.method === 'GET' && /\/events(\?|$)/.test(req.url ?? '')) {
    res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
    return true;
  }
  const m = /\/containers\/([^/?]+)\/json/.exec(req.url ?? '');
  const c = m && req.method === 'GET' ? CONTAINERS[decodeURIComponent(m[1]!)] : undefined;
  if (!c) return false;
  const body = {
    Id: `id-${m![1]}`,
    State: { Running: true, Pid: 4242 },
    HostConfig: { NetworkMode: c.mode },
    Config: { Labels: c.labels ?? {} },
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return true;
}

const engine = recorder(inspectAnswer);
const localEngine = recorder(inspectAnswer);
const agentListener = recorder();
let enginePort = 0;
let socketDir = '';

function listen(server: Server, ...args: [number, string] | [string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(args as [number, string]), () => resolve());
  });
}

/** Listeners first, then the real Consul and the operator: one hook, so nothing runs before what it needs. */
async function startListeners(): Promise<void> {
  await listen(engine.server, 0, '127.0.0.1');
  enginePort = (engine.server.address() as { port: number }).port;
  socketDir = mkdtempSync(join(tmpdir(), 'swarmop-hostile-'));
  await listen(localEngine.server, join(socketDir, 'docker.sock'));
  await listen(agentListener.server, 8500, AGENT_IP);
}

const meta = handWrittenMeta;

const putRaw = (key: string, value: unknown) => rawKv(agent.httpAddr).put(key, value);

const putRawTxn = (values: Record<string, unknown>) => rawKv(agent.httpAddr).putTxn(values);

async function statusOf(store: ResourceStore, kind: string, name: string): Promise<{ conditions?: Cond[]; service?: unknown } | undefined> {
  const pair = await kv.get(store.statusKey(kind, name));
  return pair ? (JSON.parse(pair.value) as { conditions?: Cond[] }) : undefined;
}

async function readyOf(store: ResourceStore, kind: string, name: string): Promise<Cond | undefined> {
  return (await statusOf(store, kind, name))?.conditions?.find((c) => c.type === 'Ready');
}

/** Waits for Ready=False with `reason` on kind/name and returns its message. */
async function refused(store: ResourceStore, kind: string, name: string, reason: string): Promise<string> {
  await waitUntil(
    `${kind}/${name} Ready=False ${reason}`,
    async () => (await readyOf(store, kind, name))?.reason === reason,
    20_000,
    100,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; Ready is ${JSON.stringify(await readyOf(store, kind, name))}`);
  });
  const ready = (await readyOf(store, kind, name))!;
  assert.equal(ready.status, 'False');
  return ready.message;
}

const store = () => new ResourceStore({ kv, prefix: PREFIX });
let operatorDone: Promise<void> | undefined;
const stop = new AbortController();
const { stream: sink, lines } = lineSink();

const POLICY: TrustPolicy = {
  ...defaultTrustPolicy(PREFIX),
  allowedImages: ['hashicorp/consul'],
  attachRequiresLabel: 'swarmop.io/attach',
};

before(async () => {
  await startListeners();
  agent = await startConsulAgent();
  kv = new ConsulKv({ address: agent.address });
  const s = store();
  // Hosts: one engine over plain tcp, one over a local unix socket.
  await putRaw(s.objectKey('DockerHost', 'plain'), {
    apiVersion: API,
    kind: 'DockerHost',
    metadata: meta('plain'),
    spec: { endpoint: `tcp://127.0.0.1:${enginePort}`, address: '127.0.0.2' },
  });
  await putRaw(s.objectKey('DockerHost', 'local'), {
    apiVersion: API,
    kind: 'DockerHost',
    metadata: meta('local'),
    spec: { endpoint: `unix://${join(socketDir, 'docker.sock')}`, address: '127.0.0.3' },
  });
  await putRaw(`${PREFIX}secrets/dc/token`, 'secret-token-1');
  await putRaw(`${PREFIX}objects/not-a-secret`, 'store-internal');

  const log = createLogger({ format: 'json', level: 'debug', stream: sink });
  const readSecret = async (key: string) => (await kv.get(key))?.value;
  const reconcilers = allReconcilers({ kv, policy: POLICY }).filter((r) => r.kind === 'ConsulCluster' || r.kind === 'SwarmCluster');
  reconcilers.push(
    createStaticIPAttachmentReconciler({
      helperMode: 'run',
      readSecret,
      attachRequiresLabel: POLICY.attachRequiresLabel!,
      retryAfterMs: 60_000,
    }),
  );
  // Host events on: the controllers' own host watches (Consul member polls, swarm polls) run too.
  const operator = new Operator({ kv, store: s, reconcilers, log, resyncMs: 2_000 });
  operatorDone = operator.start(stop.signal);
});

after(async () => {
  stop.abort();
  await operatorDone;
  kv?.close();
  await agent?.stop();
  for (const s of [engine.server, localEngine.server, agentListener.server]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(socketDir, { recursive: true, force: true });
});

const cluster = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: API,
  kind: 'ConsulCluster',
  metadata: meta(name),
  spec: { datacenter: 'dc', image: 'hashicorp/consul:1.8.7', servers: [{ host: 'local', node: 'n1' }], ...spec },
});

const attachment = (name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  apiVersion: API,
  kind: 'StaticIPAttachment',
  metadata: meta(name, metadata),
  spec: { host: 'local', bridge: 'br0', ...spec },
});

/** Nothing but reads reached an engine. */
function assertNoMutation(): void {
  for (const e of [engine, localEngine]) {
    const writes = e.seen.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    assert.deepEqual(writes, [], `mutating requests: ${JSON.stringify(writes)}`);
  }
}

test(
  'ConsulCluster fields that reach further than they mean are refused, naming each field, before any secret is read or any host called',
  { timeout: 60_000 },
  async () => {
    const s = store();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['cc-datadir', { dataDir: '/etc' }, /^spec\.dataDir: \/etc is outside the data directory root \/var\/lib\/swarmop/],
      [
        'cc-image',
        { image: 'registry.evil.example/consul:1.8.7' },
        /^spec\.image: image registry\.evil\.example\/consul:1\.8\.7 .* is not from an allowed registry/,
      ],
      [
        'cc-secret',
        { gossipKeyRef: { kvKey: `${PREFIX}objects/not-a-secret` } },
        /^spec\.gossipKeyRef\.kvKey: secret key hostile\/objects\/not-a-secret is outside the secrets prefix hostile\/secrets\//,
      ],
      [
        'cc-bind',
        { servers: [{ host: 'local', node: 'n1', bindAddress: AGENT_IP }], aclTokenRef: { kvKey: `${PREFIX}secrets/dc/token` } },
        /^spec\.servers\[0\]\.bindAddress: 127\.0\.0\.5 is not an address of DockerHost local/,
      ],
      [
        'cc-insecure',
        { servers: [{ host: 'plain', node: 'n1' }], aclTokenRef: { kvKey: `${PREFIX}secrets/dc/token` } },
        /^spec\.servers\[0\]\.host: DockerHost plain is reached over plain tcp .*--allow-insecure-engines/,
      ],
    ];
    // One transaction: a hand write that lands in the same watch wake as the operator's own journaled
    // write (a finalizer added to an earlier case) is seen only at the next full re-list (60 s).
    await putRawTxn(Object.fromEntries(cases.map(([name, spec]) => [s.objectKey('ConsulCluster', name), cluster(name, spec)])));
    for (const [name, , message] of cases) assert.match(await refused(s, 'ConsulCluster', name, 'NotAllowed'), message, name);
    // The member watch polls agents every second: give it a few rounds at the hostile bind address.
    await new Promise((r) => setTimeout(r, 3_000));
    assertNoMutation();
    assert.deepEqual(
      engine.seen.filter((r) => !r.url.includes('/events')),
      [],
      'no request but its event stream to the plain-tcp engine',
    );
    assert.deepEqual(agentListener.seen, [], 'no request to the hostile bind address');
  },
);

test('a SwarmCluster with a plain-tcp engine is refused naming it: no join token leaves', { timeout: 60_000 }, async () => {
  const s = store();
  await putRaw(s.objectKey('SwarmCluster', 'swarm'), {
    apiVersion: API,
    kind: 'SwarmCluster',
    metadata: meta('swarm'),
    spec: { managers: ['local'], workers: ['plain'] },
  });
  assert.match(await refused(s, 'SwarmCluster', 'swarm', 'NotAllowed'), /^spec\.workers\[0\]: DockerHost plain is reached over plain tcp/);
  assertNoMutation();
  assert.ok(!localEngine.seen.some((r) => /\/swarm\/(init|join)/.test(r.url)), JSON.stringify(localEngine.seen));
});

test(
  'an attachment to a container without its own network namespace, or without the required label, is refused naming spec.container',
  { timeout: 60_000 },
  async () => {
    const s = store();
    // One transaction, for the same reason as the ConsulClusters above.
    await putRawTxn({
      [s.objectKey('StaticIPAttachment', 'sia-hostnet')]: attachment('sia-hostnet', { container: 'hostnet', address: '10.77.0.10/24' }),
      [s.objectKey('StaticIPAttachment', 'sia-shared')]: attachment('sia-shared', { container: 'sharer', address: '10.77.0.11/24' }),
      [s.objectKey('StaticIPAttachment', 'sia-unlabelled')]: attachment('sia-unlabelled', {
        container: 'unlabelled',
        address: '10.77.0.12/24',
      }),
    });
    assert.match(
      await refused(s, 'StaticIPAttachment', 'sia-hostnet', 'NoOwnNetworkNamespace'),
      /^spec\.container: container hostnet on local has network mode host/,
    );
    assert.match(
      await refused(s, 'StaticIPAttachment', 'sia-shared', 'NoOwnNetworkNamespace'),
      /^spec\.container: container sharer on local has network mode container:/,
    );
    assert.match(
      await refused(s, 'StaticIPAttachment', 'sia-unlabelled', 'NotAllowed'),
      /^spec\.container: .* does not carry the label swarmop\.io\/attach/,
    );
    assertNoMutation();
    // Only the inspects: no helper container was created, no exec, no image import.
    assert.deepEqual(
      [...new Set(localEngine.seen.map((r) => r.url.replace(/^\/v[\d.]+/, '').replace(/\?.*/, '')))]
        .filter((u) => u !== '/events' && u !== '/info')
        .sort(),
      ['/containers/hostnet/json', '/containers/sharer/json', '/containers/unlabelled/json'],
    );
  },
);

test(
  'a uid copied from another attachment: both refused naming metadata.uid, and deleting the copy removes nothing',
  { timeout: 60_000 },
  async () => {
    const s = store();
    const before = localEngine.seen.length;
    // One transaction, so neither is ever seen without the other.
    await putRawTxn({
      [s.objectKey('StaticIPAttachment', 'sia-victim')]: attachment(
        'sia-victim',
        { container: 'victim', address: '10.77.0.20/24' },
        { uid: 'shared-uid' },
      ),
      [s.objectKey('StaticIPAttachment', 'sia-copy')]: attachment(
        'sia-copy',
        { container: 'copy', address: '10.77.0.21/24' },
        { uid: 'shared-uid' },
      ),
    });
    assert.match(
      await refused(s, 'StaticIPAttachment', 'sia-copy', 'NotAllowed'),
      /^metadata\.uid: shared-uid is also the uid of staticipattachment\/sia-victim/,
    );
    assert.match(
      await refused(s, 'StaticIPAttachment', 'sia-victim', 'NotAllowed'),
      /^metadata\.uid: shared-uid is also the uid of staticipattachment\/sia-copy/,
    );
    // Deleted by hand, finalizer and all: the finalizer goes without a call to the host.
    const stored = JSON.parse((await kv.get(s.objectKey('StaticIPAttachment', 'sia-copy')))!.value) as {
      metadata: { finalizers?: string[] };
    };
    assert.deepEqual(stored.metadata.finalizers, ['swarmop.io/staticip-cleanup']);
    await putRaw(
      s.objectKey('StaticIPAttachment', 'sia-copy'),
      attachment(
        'sia-copy',
        { container: 'copy', address: '10.77.0.21/24' },
        { uid: 'shared-uid', finalizers: stored.metadata.finalizers, deletionTimestamp: '2026-01-02T00:00:00Z' },
      ),
    );
    await waitUntil('sia-copy gone', async () => (await kv.get(s.objectKey('StaticIPAttachment', 'sia-copy'))) === undefined, 20_000, 100);
    assert.deepEqual(
      localEngine.seen.slice(before).filter((r) => /victim|copy/.test(r.url)),
      [],
      'no request to the host for either',
    );
    assertNoMutation();
  },
);

test(
  'status is output only: a hand-written status naming an agent address never sends a request (or the token) there',
  { timeout: 60_000 },
  async () => {
    const s = store();
    // Its container is not on the host (404): the network step ends, the service step runs.
    await putRaw(s.statusKey('StaticIPAttachment', 'sia-status'), {
      conditions: [
        { type: 'ServiceRegistered', status: 'True', reason: 'Registered', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
      service: { serviceID: 'sia-status', agent: 'n1', agentAddress: `${AGENT_IP}:8500/x#`, consulCluster: 'cc-bind', health: 'passing' },
    });
    await putRaw(
      s.objectKey('StaticIPAttachment', 'sia-status'),
      attachment('sia-status', { container: 'gone', address: '10.77.0.30/24' }),
    );
    await refused(s, 'StaticIPAttachment', 'sia-status', 'ContainerNotFound');
    await waitUntil(
      'status rebuilt without the hand-written service',
      async () => (await statusOf(s, 'StaticIPAttachment', 'sia-status'))?.service === undefined,
      20_000,
      100,
    );
    assert.deepEqual(agentListener.seen, [], 'the listener the status names got no request');
    assertNoMutation();
    assert.ok(!lines.some((l) => l.includes('secret-token-1')), 'the token is never logged');
  },
);
