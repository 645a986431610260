import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulCluster, DockerHost, KindName, StaticIPAttachment } from '../../../crds/index.js';
import type { ConditionInput, KindTypes, ObjectCache, KindReconcileContext, ReconcileOutcome, Repair } from '../../kind-reconciler.js';
import type { AttachmentObserved } from '../status.js';
import type { AgentCallOptions, ServiceAgent } from './agent.js';
import type { ObservedService, Registration } from './registration.js';
import { ServiceRegistrationStep } from './step.js';
import { scanByIndex } from '../../kind-indexes.js';

/** An in-memory agent per address; health is what the test sets. */
class FakeAgents implements ServiceAgent {
  services = new Map<string, Registration>();
  health: ObservedService['health'] = 'passing';
  calls: string[] = [];
  tokens: (string | undefined)[] = [];
  tls: (AgentCallOptions['tls'] | undefined)[] = [];
  down = new Set<string>();
  async read(agent: string, id: string, o: AgentCallOptions = {}): Promise<ObservedService | undefined> {
    this.note(agent, `read ${id}`, o);
    const r = this.services.get(`${agent}/${id}`);
    if (!r) return undefined;
    return {
      name: r.Name,
      address: r.Address,
      port: r.Port ?? 0,
      tags: r.Tags,
      meta: r.Meta,
      checkIds: r.Check ? [r.Check.CheckID] : [],
      health: this.health,
    };
  }
  async register(agent: string, r: Registration, o: AgentCallOptions = {}): Promise<void> {
    this.note(agent, `register ${r.ID}`, o);
    this.services.set(`${agent}/${r.ID}`, r);
  }
  async deregister(agent: string, id: string, o: AgentCallOptions = {}): Promise<void> {
    this.note(agent, `deregister ${id}`, o);
    this.services.delete(`${agent}/${id}`);
  }
  private note(agent: string, what: string, o: AgentCallOptions): void {
    if (this.down.has(agent)) throw new Error(`consul agent ${agent}: connection refused`);
    this.calls.push(`${agent} ${what}`);
    this.tokens.push(o.token);
    this.tls.push(o.tls);
  }
}

const cc = (name: string, servers: { host: string; node: string }[], extra: Partial<ConsulCluster['spec']> = {}): ConsulCluster => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'ConsulCluster',
  metadata: { name },
  spec: { datacenter: 'datacenter', image: 'consul', ui: false, bootstrapExpect: 1, dataDir: '/d', servers, ...extra },
});
const dh = (name: string, address: string): DockerHost => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name },
  spec: { endpoint: `tcp://${address}:2375`, address } as DockerHost['spec'],
});
const CLUSTER = cc('datacenter', [
  { host: 'consul01', node: 'consul01' },
  { host: 'consul02', node: 'consul02' },
]);
const HOSTS = [dh('consul01', '192.168.116.112'), dh('consul02', '192.168.116.113')];

function sia(spec: Record<string, unknown>, generation = 1, status?: StaticIPAttachment['status']): StaticIPAttachment {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name: 'ubuntu114', uid: 'u', generation },
    spec: {
      host: 'consul01',
      container: 'ubuntu114',
      bridge: 'br0',
      address: '192.168.116.114/24',
      interface: 'eth1',
      ...spec,
    } as StaticIPAttachment['spec'],
    ...(status ? { status } : {}),
  };
}
const SERVICE = { consulCluster: 'datacenter', name: 'ubuntu114', port: 8080, check: { tcp: 8080, interval: '2s', timeout: '1s' } };

type AnyResource = ConsulCluster | DockerHost | StaticIPAttachment;
function ctx(objs: AnyResource[]): KindReconcileContext & { repairs: Repair[]; events: string[] } {
  const repairs: Repair[] = [];
  const events: string[] = [];
  const cache: ObjectCache = {
    get: <K extends KindName>(k: K, n: string) =>
      objs.find((o) => o.kind === k && o.metadata.name === n) as unknown as KindTypes[K] | undefined,
    list: <K extends KindName>(k: K) => objs.filter((o) => o.kind === k) as unknown as KindTypes[K][],
    byIndex: <K extends KindName>(k: K, index: string, value: string) =>
      scanByIndex(k, index, value, objs.filter((o) => o.kind === k) as unknown as KindTypes[K][]),
  };
  return {
    log: undefined as never,
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts: { get: () => undefined, list: () => [] },
    cache,
    repairs,
    events,
    async repaired(r) {
      repairs.push(r);
    },
    async event(type, reason, message) {
      events.push(`${type} ${reason} ${message}`);
    },
    now: () => new Date('2024-01-01T00:00:00Z'),
  };
}
const net = (
  status: ConditionInput['status'],
  reason = status === 'True' ? 'Attached' : 'ContainerNotRunning',
): ReconcileOutcome<AttachmentObserved> => ({
  observed: {},
  conditions: [{ type: 'Ready', status, reason, message: '' }],
});

/** Runs the step and returns the attachment as the operator would store it next. */
async function pass(
  step: ServiceRegistrationStep,
  res: StaticIPAttachment,
  c: KindReconcileContext,
  ready: ConditionInput['status'] = 'True',
) {
  const out = await step.reconcile(res, net(ready), c);
  const conditions = out.condition ? [{ ...out.condition, lastTransitionTime: 'now', observedGeneration: res.metadata.generation! }] : [];
  return { out, next: { ...res, status: { ...(out.service ? { service: out.service } : {}), conditions } } as StaticIPAttachment };
}

test('first registration: on the agent of the host, an event and no repair; a converged pass changes nothing', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  const { out, next } = await pass(step, sia({ service: SERVICE }), c);
  assert.deepEqual(out, {
    service: {
      serviceID: 'ubuntu114',
      agent: 'consul01',
      agentAddress: '192.168.116.112:8500',
      consulCluster: 'datacenter',
      health: 'passing',
    },
    condition: {
      type: 'ServiceRegistered',
      status: 'True',
      reason: 'Registered',
      message: 'ubuntu114.service.datacenter.consul on agent consul01, passing',
    },
    requeueAfter: 10_000,
  });
  assert.deepEqual(agents.calls, [
    '192.168.116.112 read ubuntu114',
    '192.168.116.112 register ubuntu114',
    '192.168.116.112 read ubuntu114',
  ]);
  assert.equal(agents.services.get('192.168.116.112/ubuntu114')?.Address, '192.168.116.114');
  assert.deepEqual(c.events, [
    'Normal ServiceRegistered registered ubuntu114 at 192.168.116.114:8080 on agent consul01 of ConsulCluster datacenter',
  ]);
  assert.deepEqual(c.repairs, []);
  agents.calls = [];
  await pass(step, next, c);
  assert.deepEqual(agents.calls, ['192.168.116.112 read ubuntu114']);
  assert.equal(c.events.length, 1);
});

test('deregistered by hand: registered again with exactly one repair', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  const { next } = await pass(step, sia({ service: SERVICE }), c);
  agents.services.clear();
  await pass(step, next, c);
  assert.deepEqual(c.repairs, [
    {
      reason: 'ServiceMissing',
      found: 'service ubuntu114 is not registered on agent consul01',
      action: 'registered ubuntu114 at 192.168.116.114:8080 on agent consul01',
      host: 'consul01',
    },
  ]);
  assert.ok(agents.services.has('192.168.116.112/ubuntu114'));
});

test('a spec change (new generation) updates the registration as an event, not a repair', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  const { next } = await pass(step, sia({ service: SERVICE }), c);
  await pass(step, { ...next, metadata: { ...next.metadata, generation: 2 }, spec: { ...next.spec, address: '192.168.116.115/24' } }, c);
  assert.deepEqual(c.repairs, []);
  assert.equal(
    c.events[1],
    'Normal ServiceUpdated registered ubuntu114 at 192.168.116.115:8080 on agent consul01: service ubuntu114 on agent consul01 differs: address 192.168.116.114, meta',
  );
  assert.equal(agents.services.get('192.168.116.112/ubuntu114')?.Address, '192.168.116.115');
});

test('moved to another host: deregistered from the old agent, registered on the new one', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  const { next } = await pass(step, sia({ service: SERVICE }), c);
  agents.calls = [];
  const { out } = await pass(step, { ...next, metadata: { ...next.metadata, generation: 2 }, spec: { ...next.spec, host: 'consul02' } }, c);
  assert.deepEqual(agents.calls.slice(0, 3), [
    '192.168.116.112 deregister ubuntu114',
    '192.168.116.113 read ubuntu114',
    '192.168.116.113 register ubuntu114',
  ]);
  assert.deepEqual([...agents.services.keys()], ['192.168.116.113/ubuntu114']);
  assert.equal(out.service?.agent, 'consul02');
});

test('service block removed: deregistered, no service status and no condition', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  const { next } = await pass(step, sia({ service: SERVICE }), c);
  const { service: _s, ...spec } = next.spec;
  const { out } = await pass(step, { ...next, spec }, c);
  assert.deepEqual(out, {});
  assert.equal(agents.services.size, 0);
  assert.equal(c.events.at(-1), 'Normal ServiceDeregistered deregistered service ubuntu114 from agent consul01 (service block removed)');
});

test('finalize deregisters from the agent; the ACL token of the cluster rides along', async () => {
  const agents = new FakeAgents();
  const secured = cc('datacenter', [{ host: 'consul01', node: 'consul01' }], { aclTokenRef: { kvKey: 'secret/agent' } });
  const step = new ServiceRegistrationStep({ agent: agents, readSecret: async (k) => (k === 'secret/agent' ? 'tok-1' : undefined) });
  const c = ctx([secured, ...HOSTS]);
  const { next } = await pass(step, sia({ service: SERVICE }), c);
  await step.finalize(next, c);
  assert.equal(agents.services.size, 0);
  assert.deepEqual(new Set(agents.tokens), new Set(['tok-1']));
  assert.equal(c.events.at(-1), 'Normal ServiceDeregistered deregistered service ubuntu114 from agent consul01');
});

test('no such cluster or no member on the host: ServiceRegistered False with the reason, nothing called', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents, recheckMs: 7000 });
  const none = await step.reconcile(sia({ service: { ...SERVICE, consulCluster: 'nope' } }), net('True'), ctx([CLUSTER, ...HOSTS]));
  assert.deepEqual(none, {
    condition: {
      type: 'ServiceRegistered',
      status: 'False',
      reason: 'ConsulClusterNotFound',
      message: 'ConsulCluster nope does not exist',
    },
    requeueAfter: 7000,
  });
  const elsewhere = await step.reconcile(sia({ host: 'consulsvr', service: SERVICE }), net('True'), ctx([CLUSTER, ...HOSTS]));
  assert.equal(elsewhere.condition?.reason, 'NoAgentOnHost');
  const conflict = await step.reconcile(sia({ service: SERVICE }), net('False', 'AddressConflict'), ctx([CLUSTER, ...HOSTS]));
  assert.deepEqual(conflict, {
    condition: {
      type: 'ServiceRegistered',
      status: 'False',
      reason: 'AddressConflict',
      message: 'not registered: another attachment claims the address',
    },
  });
  assert.deepEqual(agents.calls, []);
});

test('agent unreachable: AgentUnavailable, the previous registration kept in status for a later pass', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  const { next } = await pass(step, sia({ service: SERVICE }), c);
  agents.down.add('192.168.116.112');
  const { out } = await pass(step, next, c);
  assert.deepEqual(out.service, next.status?.service);
  assert.deepEqual(out.condition, {
    type: 'ServiceRegistered',
    status: 'False',
    reason: 'AgentUnavailable',
    message: 'consul agent 192.168.116.112: connection refused',
  });
});

test('health not yet following the container: looked at again one check interval later', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  const { next } = await pass(step, sia({ service: SERVICE }), c);
  const stopped = await pass(step, next, c, 'False');
  assert.equal(stopped.out.requeueAfter, 2500);
  agents.health = 'critical';
  const critical = await pass(step, next, c, 'False');
  assert.equal(critical.out.service?.health, 'critical');
  assert.equal(critical.out.requeueAfter, 10_000);
});

test('the combined reconciler: Ready from the network step, ServiceRegistered after it, the earlier requeue, ConsulCluster edits mapped', async () => {
  const { ServiceRegisteringReconciler } = await import('./registering-reconciler.js');
  const agents = new FakeAgents();
  const network = {
    kind: 'StaticIPAttachment',
    finalizer: 'f',
    reconcile: async () => ({ ...net('False'), requeueAfter: 1000 }),
    finalize: async () => ({ done: true }),
    mapHostEvent: () => [],
    mapHostConnectivity: () => [],
    mapObjectChange: () => ['other'],
  } as unknown as ConstructorParameters<typeof ServiceRegisteringReconciler>[0]['network'];
  const r = new ServiceRegisteringReconciler({ network, service: new ServiceRegistrationStep({ agent: agents }) });
  const res = sia({ service: SERVICE });
  const c = ctx([CLUSTER, ...HOSTS, res]);
  const out = await r.reconcile(res, c);
  assert.deepEqual(
    out.conditions.map((x) => `${x.type}=${x.status} ${x.reason}`),
    ['Ready=False ContainerNotRunning', 'ServiceRegistered=True Registered'],
  );
  assert.equal(out.requeueAfter, 1000);
  assert.equal(out.observed.service?.agent, 'consul01');
  assert.deepEqual(r.mapObjectChange('ConsulCluster', 'datacenter', c.cache), ['other', 'ubuntu114']);
  assert.deepEqual(r.mapObjectChange('ConsulCluster', 'elsewhere', c.cache), ['other']);
  assert.deepEqual(await r.finalize(res, c), { done: true });
  assert.equal(agents.services.size, 0);
});

/** A status key written by hand: every field a writer of the prefix could choose. */
const HOSTILE = (over: Record<string, string> = {}) =>
  ({
    serviceID: '../../acl/bootstrap',
    agent: 'consul01',
    agentAddress: 'evil/x#',
    consulCluster: 'datacenter',
    health: 'passing',
    ...over,
  }) as NonNullable<StaticIPAttachment['status']>['service'];

test('status never chooses where a call goes: a hand-written agentAddress or serviceID is ignored, the agent comes from the specs', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  // Service block removed: the old registration is removed where the specs say it is.
  const { service: _s, ...spec } = sia({ service: SERVICE }).spec;
  await step.reconcile({ ...sia({}), spec, status: { service: HOSTILE() } }, net('True'), c);
  // Still wanted: registered on its host's agent.
  await step.reconcile(sia({ service: SERVICE }, 1, { service: HOSTILE() }), net('True'), c);
  // Deleted.
  await step.finalize(sia({ service: SERVICE }, 1, { service: HOSTILE() }), c);
  assert.ok(agents.calls.length > 0);
  for (const call of agents.calls) assert.match(call, /^192\.168\.116\.112 \w+ ubuntu114$/);
});

test('status naming an agent that no ConsulCluster spec has: nothing is called for it', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents });
  const c = ctx([CLUSTER, ...HOSTS]);
  const { service: _s, ...spec } = sia({ service: SERVICE }).spec;
  await step.reconcile(
    { ...sia({}), spec, status: { service: HOSTILE({ agent: 'elsewhere', agentAddress: '10.9.9.9:8500' }) } },
    net('True'),
    c,
  );
  await step.reconcile(
    { ...sia({}), spec, status: { service: HOSTILE({ consulCluster: 'other', agentAddress: '10.9.9.9:8500' }) } },
    net('True'),
    c,
  );
  assert.deepEqual(agents.calls, []);
});

const TLS_CLUSTER = cc('datacenter', [{ host: 'consul01', node: 'consul01' }], {
  tls: {
    enabled: true,
    caCertRef: { kvKey: 'pki/ca.pem' },
    agentCertsKvPrefix: 'pki/agents',
    operatorCertRef: { kvKey: 'pki/operator.pem' },
    operatorKeyRef: { kvKey: 'pki/operator-key.pem' },
    http: 'disabled',
  },
});
const PKI: Record<string, string> = { 'pki/ca.pem': 'CA', 'pki/operator.pem': 'CERT', 'pki/operator-key.pem': 'KEY' };

test('a cluster that runs TLS is called with its CA and the operator client certificate, and status names the HTTPS port', async () => {
  const agents = new FakeAgents();
  const step = new ServiceRegistrationStep({ agent: agents, readSecret: async (k) => PKI[k] });
  const { out } = await pass(step, sia({ service: SERVICE }), ctx([TLS_CLUSTER, ...HOSTS]));
  assert.equal(out.condition?.reason, 'Registered');
  assert.equal(out.service?.agentAddress, '192.168.116.112:8501');
  assert.ok(agents.tls.length > 0);
  for (const t of agents.tls) assert.deepEqual(t, { ca: 'CA', cert: 'CERT', key: 'KEY' });
});

test('a TLS cluster whose client certificate is not in the store: nothing is sent, the condition names the key', async () => {
  const agents = new FakeAgents();
  const { ['pki/operator.pem']: _missing, ...partial } = PKI;
  const step = new ServiceRegistrationStep({ agent: agents, readSecret: async (k) => partial[k] });
  const { out } = await pass(step, sia({ service: SERVICE }), ctx([TLS_CLUSTER, ...HOSTS]));
  assert.deepEqual(agents.calls, []);
  assert.equal(out.condition?.reason, 'AgentUnavailable');
  assert.equal(
    out.condition?.message,
    "ConsulCluster datacenter runs TLS and the operator's client certificate (pki/operator.pem) is not in the store",
  );
});
