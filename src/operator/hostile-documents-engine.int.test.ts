/**
 * Hostile documents against a REAL Docker Engine: objects and status values written straight into
 * a real Consul's KV (behind the CLI's back), reconciled by the in-process Operator with every
 * controller as `swarmop operator` builds them (allReconcilers, its trust policy, the resident
 * helper in session mode). Each is refused with a condition naming the field, and nothing changes
 * on the engine's host.
 *
 * The engine is a dockerd of this test's own (hack/dockerd.sh, DOCKERD_OWN_NAMESPACES=1): its host
 * is a network and mount namespace of its own, so its links, addresses, routes and mounts are
 * nobody else's and can be compared before and after exactly. On it run real containers: a
 * `--net host` one, a `--net container:X` one, an unlabelled one, and a labelled workload that a
 * legitimate attachment gets an address in first (the operator can change this host; it only
 * refuses to when a document asks for what it may not).
 *
 * Snapshot of the host: `ip -json addr`, `ip -json route show table all` in the engine's network
 * namespace, /proc/PID/mounts of the engine (its mount namespace), the engine's containers with
 * their state and mounts, its images, and the workload's own interfaces.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import { allReconcilers } from '../controllers/index.js';
import { HelperImageProvisioner } from '../controllers/staticipattachment/index.js';
import { defaultTrustPolicy, type TrustPolicy } from '../controllers/trust-policy.js';
import { createLogger } from '../runtime/logger.js';
import { ConsulKv } from '../store/consul-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { startConsulAgent, type ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { startDockerEngine, type DockerEngineHandle } from '../../testing/harness/docker-engine.js';
import { lineSink } from '../../testing/util/line-sink.js';
import { waitUntil } from '../../testing/util/wait-until.js';
import { Operator } from './operator.js';
import { handWrittenMeta, rawKv, type Cond } from '../../testing/harness/raw-kv.js';

const execFileP = promisify(execFile);
const ENGINE = 'hostile-engine';
const PREFIX = 'hostile-engine/';
const API = 'swarmop.io/v1alpha1';
const LABEL = 'swarmop.io/attach';
const TEST_LABELS = { 'io.swarmop.test': 'hostile-engine' };
/** A ConsulCluster's hostile bindAddress and a hostile status's agent: a listener on the agents' port. */
const AGENT_IP = '127.0.0.6';
const IDLE = { Entrypoint: [''], Cmd: ['sleep', 'infinity'] };

let agent: ConsulAgentHandle;
let kv: ConsulKv;
let engine: DockerEngineHandle;
let docker: Docker;
let enginePid = 0;
let operatorDone: Promise<void> | undefined;
const stop = new AbortController();
const { stream: sink, lines } = lineSink();
const agentRequests: string[] = [];
const agentListener: Server = createServer((req, res) => {
  agentRequests.push(`${req.method} ${req.url}`);
  req.resume();
  res.writeHead(404).end();
});

const POLICY: TrustPolicy = { ...defaultTrustPolicy(PREFIX), allowedImages: ['hashicorp/consul'], attachRequiresLabel: LABEL };
const store = () => new ResourceStore({ kv, prefix: PREFIX });
const meta = handWrittenMeta;

const putRaw = (key: string, value: unknown) => rawKv(agent.httpAddr).put(key, value);

const putRawTxn = (values: Record<string, unknown>) => rawKv(agent.httpAddr).putTxn(values);

async function statusOf(kind: string, name: string): Promise<{ conditions?: Cond[]; service?: unknown } | undefined> {
  const pair = await kv.get(store().statusKey(kind, name));
  return pair ? (JSON.parse(pair.value) as { conditions?: Cond[] }) : undefined;
}

async function readyOf(kind: string, name: string): Promise<Cond | undefined> {
  return (await statusOf(kind, name))?.conditions?.find((c) => c.type === 'Ready');
}

/** Waits for Ready=`status` with `reason` on kind/name and returns its message. */
async function readyWith(kind: string, name: string, reason: string, status = 'False'): Promise<string> {
  await waitUntil(
    `${kind}/${name} Ready=${status} ${reason}`,
    async () => {
      const r = await readyOf(kind, name);
      return r?.reason === reason && r.status === status;
    },
    90_000,
    200,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; Ready is ${JSON.stringify(await readyOf(kind, name))}`);
  });
  return (await readyOf(kind, name))!.message;
}

async function run(argv: string[]): Promise<string> {
  const { stdout } = await execFileP(argv[0]!, argv.slice(1), { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** The engine's host, as it is now. */
async function hostSnapshot(): Promise<Record<string, unknown>> {
  const inNetns = (args: string[]): Promise<unknown> =>
    run(['nsenter', `--net=/proc/${enginePid}/ns/net`, 'ip', '-json', ...args]).then((s) => JSON.parse(s) as unknown);
  const containers = await Promise.all(
    ((await docker.listContainers({ all: true })) as { Id: string }[]).map(async (c) => {
      const i = await docker.getContainer(c.Id).inspect();
      return { id: i.Id, name: i.Name, status: i.State.Status, pid: i.State.Pid, networkMode: i.HostConfig.NetworkMode, mounts: i.Mounts };
    }),
  );
  containers.sort((a, b) => a.name.localeCompare(b.name));
  const workloadPid = containers.find((c) => c.name === '/workload')?.pid;
  assert.ok(workloadPid, 'the workload runs');
  return {
    addresses: await inNetns(['addr']),
    routes: await inNetns(['route', 'show', 'table', 'all']),
    mounts: readFileSync(`/proc/${enginePid}/mounts`, 'utf8').split('\n').sort(),
    containers,
    images: ((await docker.listImages({ all: true })) as { Id: string }[]).map((i) => i.Id).sort(),
    workload: JSON.parse(await run(['nsenter', '-t', String(workloadPid), '-n', 'ip', '-json', 'addr'])) as unknown,
  };
}

/**
 * A snapshot taken once the host stopped changing (IPv6 duplicate address detection, a bridge's
 * ports coming up): two looks a second apart agree and no address is still tentative. DAD can
 * keep a link-local address tentative for longer than a second on a busy machine, so two equal
 * looks alone once made a baseline that the next look no longer matched.
 */
async function settledSnapshot(): Promise<Record<string, unknown>> {
  let prev = await hostSnapshot();
  for (let i = 0; i < 30; i += 1) {
    await new Promise((r) => setTimeout(r, 1_000));
    const next = await hostSnapshot();
    const text = JSON.stringify(next);
    if (text === JSON.stringify(prev) && !text.includes('"tentative":true')) return next;
    prev = next;
  }
  throw new Error('the engine host did not settle in 30 s');
}

async function container(name: string, labels: Record<string, string>, networkMode: string): Promise<void> {
  const c = await docker.createContainer({
    name,
    Image: helperImages.image,
    ...IDLE,
    Labels: { ...TEST_LABELS, ...labels },
    HostConfig: { NetworkMode: networkMode },
  });
  await c.start();
}

const helperImages = new HelperImageProvisioner({});

async function removeAll(): Promise<void> {
  for (const c of (await docker.listContainers({ all: true })) as { Id: string }[]) await docker.getContainer(c.Id).remove({ force: true });
}

const attachment = (name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  apiVersion: API,
  kind: 'StaticIPAttachment',
  metadata: meta(name, metadata),
  spec: { host: 'engine', interface: 'eth1', bridge: 'brhostile0', ...spec },
});

const cluster = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: API,
  kind: 'ConsulCluster',
  metadata: meta(name),
  spec: { datacenter: 'dc', image: 'hashicorp/consul:1.8.7', servers: [{ host: 'engine', node: 'n1' }], ...spec },
});

let baseline: Record<string, unknown> = {};

before(async () => {
  await new Promise<void>((resolve, reject) => {
    agentListener.once('error', reject);
    agentListener.listen(8500, AGENT_IP, () => resolve());
  });
  process.env['DOCKERD_OWN_NAMESPACES'] = '1';
  try {
    engine = await startDockerEngine({ name: ENGINE });
  } finally {
    delete process.env['DOCKERD_OWN_NAMESPACES'];
  }
  enginePid = Number(readFileSync(`/run/swarmop-${ENGINE}/dockerd.pid`, 'utf8').trim());
  // Its own network namespace: not this machine's.
  assert.notEqual((await run(['readlink', `/proc/${enginePid}/ns/net`])).trim(), (await run(['readlink', '/proc/self/ns/net'])).trim());
  docker = new Docker({ socketPath: engine.socketPath });
  await removeAll();
  assert.notEqual((await helperImages.ensure({ name: 'engine', docker })).state, 'Failed');
  await container('workload', { [LABEL]: '' }, 'none');
  await container('hostnet', { [LABEL]: '' }, 'host');
  await container('sharer', { [LABEL]: '' }, 'container:workload');
  await container('unlabelled', {}, 'none');

  agent = await startConsulAgent();
  kv = new ConsulKv({ address: agent.address });
  const s = store();
  await putRaw(s.objectKey('DockerHost', 'engine'), {
    apiVersion: API,
    kind: 'DockerHost',
    metadata: meta('engine'),
    spec: { endpoint: engine.dockerHost, address: '10.252.9.1' },
  });
  await putRaw(`${PREFIX}secrets/dc/token`, 'secret-token-2');
  await putRaw(`${PREFIX}objects/not-a-secret`, 'store-internal');
  const log = createLogger({ format: 'json', level: 'debug', stream: sink });
  const operator = new Operator({ kv, store: s, reconcilers: allReconcilers({ kv, helperImages, policy: POLICY }), log, resyncMs: 2_000 });
  operatorDone = operator.start(stop.signal);

  // What the operator may do: a labelled container with a namespace of its own gets its address.
  await putRaw(
    s.objectKey('StaticIPAttachment', 'legit'),
    attachment('legit', { container: 'workload', address: '10.252.1.5/24', gateway: '10.252.1.1', ownBridge: true }),
  );
  await readyWith('StaticIPAttachment', 'legit', 'Attached', 'True');
  const inside = JSON.parse(
    await run([
      'nsenter',
      '-t',
      String((await docker.getContainer('workload').inspect()).State.Pid),
      '-n',
      'ip',
      '-json',
      '-4',
      'addr',
      'show',
      'dev',
      'eth1',
    ]),
  ) as { addr_info: { local: string }[] }[];
  assert.deepEqual(
    inside[0]?.addr_info.map((a) => a.local),
    ['10.252.1.5'],
  );
  baseline = await settledSnapshot();
  assert.ok(JSON.stringify(baseline['addresses']).includes('"brhostile0"'), 'the legitimate attachment made its bridge on the engine host');
});

after(async () => {
  stop.abort();
  await operatorDone;
  kv?.close();
  await agent?.stop();
  if (docker) await removeAll().catch(() => undefined);
  await engine?.stop();
  agentListener.closeAllConnections();
  await new Promise((r) => agentListener.close(r));
});

/** The host is as it was before the hostile documents. */
async function assertHostUnchanged(): Promise<void> {
  assert.deepEqual(await settledSnapshot(), baseline);
}

test(
  'ConsulCluster fields that reach further than they mean are refused naming each field; no container, mount or request follows',
  { timeout: 240_000 },
  async () => {
    const s = store();
    const cases: [string, Record<string, unknown>, string][] = [
      [
        'cc-datadir',
        { dataDir: '/etc' },
        "spec.dataDir: /etc is outside the data directory root /var/lib/swarmop (the operator's --data-dir-root)",
      ],
      ['cc-image', { image: 'registry.evil.example/consul:1.8.7' }, 'spec.image: image registry.evil.example/consul:1.8.7'],
      [
        'cc-secret',
        { gossipKeyRef: { kvKey: `${PREFIX}objects/not-a-secret` } },
        `spec.gossipKeyRef.kvKey: secret key ${PREFIX}objects/not-a-secret is outside the secrets prefix ${PREFIX}secrets/`,
      ],
      [
        'cc-bind',
        { servers: [{ host: 'engine', node: 'n1', bindAddress: AGENT_IP }], aclTokenRef: { kvKey: `${PREFIX}secrets/dc/token` } },
        `spec.servers[0].bindAddress: ${AGENT_IP} is not an address of DockerHost engine`,
      ],
    ];
    await putRawTxn(Object.fromEntries(cases.map(([name, spec]) => [s.objectKey('ConsulCluster', name), cluster(name, spec)])));
    for (const [name, , message] of cases)
      assert.ok(
        (await readyWith('ConsulCluster', name, 'NotAllowed')).startsWith(message),
        `${name}: ${(await readyOf('ConsulCluster', name))?.message}`,
      );
    // The member watch polls agents every second: give it a few rounds at the hostile bind address.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(agentRequests, [], 'no request to the hostile bind address');
    await assertHostUnchanged();
  },
);

test(
  'attachments to a --net host container, a --net container:X container and an unlabelled one are refused naming spec.container; the host keeps its links and routes',
  { timeout: 240_000 },
  async () => {
    const s = store();
    await putRawTxn({
      [s.objectKey('StaticIPAttachment', 'sia-hostnet')]: attachment('sia-hostnet', {
        container: 'hostnet',
        bridge: 'brhostile1',
        address: '10.252.2.10/24',
        gateway: '10.252.2.1',
        ownBridge: true,
      }),
      [s.objectKey('StaticIPAttachment', 'sia-shared')]: attachment('sia-shared', {
        container: 'sharer',
        bridge: 'brhostile1',
        address: '10.252.2.11/24',
        gateway: '10.252.2.1',
      }),
      [s.objectKey('StaticIPAttachment', 'sia-unlabelled')]: attachment('sia-unlabelled', {
        container: 'unlabelled',
        bridge: 'brhostile1',
        address: '10.252.2.12/24',
      }),
    });
    assert.match(
      await readyWith('StaticIPAttachment', 'sia-hostnet', 'NoOwnNetworkNamespace'),
      /^spec\.container: container hostnet on engine has network mode host/,
    );
    assert.match(
      await readyWith('StaticIPAttachment', 'sia-shared', 'NoOwnNetworkNamespace'),
      /^spec\.container: container sharer on engine has network mode container:/,
    );
    assert.match(
      await readyWith('StaticIPAttachment', 'sia-unlabelled', 'NotAllowed'),
      /^spec\.container: .* does not carry the label swarmop\.io\/attach/,
    );
    await assertHostUnchanged();
  },
);

test(
  "a uid copied from the attached workload's attachment: refused naming metadata.uid, and deleting the copy removes none of the original's links",
  { timeout: 240_000 },
  async () => {
    const s = store();
    const legit = JSON.parse((await kv.get(s.objectKey('StaticIPAttachment', 'legit')))!.value) as { metadata: { uid: string } };
    await putRaw(
      s.objectKey('StaticIPAttachment', 'sia-copy'),
      attachment(
        'sia-copy',
        { container: 'workload', interface: 'eth2', address: '10.252.1.6/24', ownBridge: true },
        { uid: legit.metadata.uid },
      ),
    );
    assert.match(
      await readyWith('StaticIPAttachment', 'sia-copy', 'NotAllowed'),
      new RegExp(`^metadata\\.uid: ${legit.metadata.uid} is also the uid of staticipattachment/legit`),
    );
    assert.match(
      await readyWith('StaticIPAttachment', 'legit', 'NotAllowed'),
      new RegExp(`^metadata\\.uid: ${legit.metadata.uid} is also the uid of staticipattachment/sia-copy`),
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
        { container: 'workload', interface: 'eth2', address: '10.252.1.6/24', ownBridge: true },
        { uid: legit.metadata.uid, finalizers: stored.metadata.finalizers, deletionTimestamp: '2026-01-02T00:00:00Z' },
      ),
    );
    await waitUntil('sia-copy gone', async () => (await kv.get(s.objectKey('StaticIPAttachment', 'sia-copy'))) === undefined, 90_000, 200);
    // The original is itself again once the copy is gone.
    await readyWith('StaticIPAttachment', 'legit', 'Attached', 'True');
    await assertHostUnchanged();
  },
);

test(
  'status is output only: a hand-written status naming an agent address never sends a request (or the token) there',
  { timeout: 240_000 },
  async () => {
    const s = store();
    // With a new generation of the document in the same transaction, so the operator reconciles it
    // with the hand-written status in the store.
    const legit = JSON.parse((await kv.get(s.objectKey('StaticIPAttachment', 'legit')))!.value) as { metadata: Record<string, unknown> };
    await putRawTxn({
      [s.statusKey('StaticIPAttachment', 'legit')]: {
        conditions: [
          { type: 'ServiceRegistered', status: 'True', reason: 'Registered', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' },
        ],
        service: { serviceID: 'legit', agent: 'n1', agentAddress: `${AGENT_IP}:8500/x#`, consulCluster: 'cc-bind', health: 'passing' },
      },
      [s.objectKey('StaticIPAttachment', 'legit')]: { ...legit, metadata: { ...legit.metadata, generation: 2 } },
    });
    await waitUntil(
      'status rebuilt without the hand-written service',
      async () => {
        const st = await statusOf('StaticIPAttachment', 'legit');
        return st?.service === undefined && st?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'Attached') === true;
      },
      90_000,
      200,
    );
    assert.deepEqual(agentRequests, [], 'the listener the status names got no request');
    assert.ok(!lines.some((l) => l.includes('secret-token-2')), 'the token is never logged');
    await assertHostUnchanged();
  },
);
