/**
 * The ServiceAddresses controller wired to the real StaticIPAttachment reconciler (its planning,
 * steps and helper programs), over a helper that keeps a small model of each host's links: a
 * slot's address lands in the task's container, and moves with the task to another host.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KindName, Resource, ServiceAddresses, SwarmCluster } from '../../crds/index.js';
import type { KindReconcileContext, KindTypes, ObjectCache, Repair } from '../kind-reconciler.js';
import { scanByIndex } from '../kind-indexes.js';
import type { HelperCommand, ProgramResult } from '../../nethelper/helper-program.js';
import type { NetHelper } from '../staticipattachment/index.js';
import { helperNetnsPath } from '../../nethelper/netns-file.js';
import { createSilentLogger } from '../../runtime/logger.js';
import { createServiceAddressesReconciler } from './index.js';
import type { ServiceTasksApi, SwarmTask } from './observe.js';

const ENGINE_NETNS = '/var/run/docker/netns';
const sandboxOf = (pid: number) => `${ENGINE_NETNS}/${String(pid).padStart(12, '0')}`;
const line = (v: unknown) => `${JSON.stringify(v)}\n`;

/** Each host's links: host veths on br0, and the eth1 (with its address) each container namespace holds. */
class ModelHelper implements NetHelper {
  readonly hosts = new Map<string, { veths: Map<string, number>; inside: Map<string, { veth: string; cidr?: string }> }>();
  private next = 10;
  world(host: string) {
    if (!this.hosts.has(host)) this.hosts.set(host, { veths: new Map(), inside: new Map() });
    return this.hosts.get(host)!;
  }
  async run(h: { name: string }, cmds: readonly HelperCommand[]): Promise<ProgramResult> {
    const w = this.world(h.name);
    if (cmds[0]?.argv.includes('-j')) {
      const ns = cmds[1]?.argv.find((a) => a.startsWith('--net='))?.slice(6);
      const hostLinks = [
        {
          ifindex: 5,
          ifname: 'br0',
          flags: ['UP'],
          mtu: 1500,
          address: '02:00:00:00:00:05',
          linkinfo: { info_kind: 'bridge' },
          addr_info: [],
        },
        ...[...w.veths].map(([ifname, ifindex]) => ({
          ifindex,
          ifname,
          flags: ['UP'],
          mtu: 1500,
          master: 'br0',
          address: '02:00:00:00:00:09',
          linkinfo: { info_kind: 'veth' },
          addr_info: [],
        })),
      ];
      const held = ns !== undefined ? w.inside.get(ns) : undefined;
      const [ip, prefix] = held?.cidr?.split('/') ?? [];
      const inside = held
        ? [
            {
              ifindex: 2,
              ifname: 'eth1',
              flags: ['UP'],
              mtu: 1500,
              address: '02:00:00:00:00:02',
              link_index: w.veths.get(held.veth),
              link_netnsid: 0,
              linkinfo: { info_kind: 'veth' },
              addr_info: ip ? [{ family: 'inet', local: ip, prefixlen: Number(prefix), scope: 'global' }] : [],
            },
          ]
        : [];
      return {
        results: [
          { exitCode: 0, stdout: line(hostLinks) + line([]) },
          ...(ns !== undefined ? [{ exitCode: 0, stdout: line(inside) + line([]) }] : []),
        ],
        stderr: '',
      };
    }
    for (const c of cmds) {
      const ns = c.argv.find((a) => a.startsWith('--net='))?.slice(6);
      const ipAt = c.argv.indexOf('ip');
      const lines = c.argv.includes('-batch') ? (c.stdin ?? []) : ipAt >= 0 ? [c.argv.slice(ipAt + 1).join(' ')] : [];
      for (const l of lines) {
        const a = l.split(' ');
        if (a[0] === 'link' && a[1] === 'add') {
          w.veths.set(a[2]!, this.next++);
          w.inside.set(a[a.indexOf('netns') + 1]!, { veth: a[2]! });
        } else if (a[0] === 'link' && a[1] === 'del') {
          if (ns !== undefined) w.inside.delete(ns);
          else {
            w.veths.delete(a[2]!);
            for (const [k, v] of w.inside) if (v.veth === a[2]) w.inside.delete(k);
          }
        } else if (a[0] === 'addr' && a[1] === 'replace' && ns !== undefined) {
          w.inside.get(ns)!.cidr = a[2]!;
        }
      }
    }
    return { results: cmds.map(() => ({ exitCode: 0, stdout: '' })), stderr: '' };
  }
  async netnsPath(_h: unknown, key: unknown): Promise<string> {
    return helperNetnsPath(key, ENGINE_NETNS);
  }
}

/** Containers by name on one host: running with a PID, or absent (404). */
function engine(containers: Map<string, number>) {
  return {
    getContainer: (name: string) => ({
      inspect: async () => {
        const pid = containers.get(name) ?? [...containers].find(([n]) => n.endsWith(name))?.[1];
        if (pid === undefined) throw Object.assign(new Error('no such container'), { statusCode: 404 });
        return {
          Id: `id-${name}`,
          State: { Running: true, Pid: pid },
          HostConfig: { NetworkMode: 'default' },
          NetworkSettings: { SandboxKey: sandboxOf(pid) },
          Config: { Labels: {} },
        };
      },
    }),
  };
}

const swarm = {
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'SwarmCluster',
  metadata: { name: 'lab' },
  spec: { managers: ['consul01'], workers: ['consul02'], availability: 'active', prune: false },
} as SwarmCluster;
const task = (id: string, nodeID: string, state = 'running'): SwarmTask => ({
  id,
  slot: 1,
  nodeID,
  state,
  desiredState: 'running',
  containerID: `id-web.1.${id}`,
  createdAt: '2024-01-01T00:00:00Z',
});

test('a slot address is attached in the task container, then moved with the task to another host (one TaskMoved)', async () => {
  const helper = new ModelHelper();
  let tasks = [task('a', 'n1')];
  const api: ServiceTasksApi = {
    service: async () => ({ id: 's', name: 'web', mode: 'replicated' }),
    tasks: async () => tasks,
    nodes: async () => [
      { id: 'n1', hostname: 'consul01', address: '10.0.0.11' },
      { id: 'n2', hostname: 'consul02', address: '10.0.0.12' },
    ],
  };
  const r = createServiceAddressesReconciler({ helper, tasksApi: () => api });
  const containers = { consul01: new Map([['web.1.a', 100]]), consul02: new Map<string, number>() };
  const hosts = Object.fromEntries(
    Object.entries(containers).map(([n, c]) => [n, { name: n, address: `10.0.0.1${n.slice(-1)}`, docker: engine(c), ready: true }]),
  );
  const repairs: Repair[] = [];
  const objs: Resource<any, any>[] = [swarm];
  const cache: ObjectCache = {
    get: <K extends KindName>(k: K, n: string) =>
      objs.find((o) => o.kind === k && o.metadata.name === n) as unknown as KindTypes[K] | undefined,
    list: <K extends KindName>(k: K) => objs.filter((o) => o.kind === k) as unknown as KindTypes[K][],
    byIndex: <K extends KindName>(k: K, i: string, v: string) =>
      scanByIndex(k, i, v, objs.filter((o) => o.kind === k) as unknown as KindTypes[K][]),
  };
  const ctx: KindReconcileContext = {
    log: createSilentLogger(),
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts: { get: (n) => hosts[n] as never, list: () => Object.values(hosts) as never },
    cache,
    async repaired(x) {
      repairs.push(x);
    },
    async event() {},
    now: () => new Date('2024-01-03T00:00:00Z'),
  };
  const res: ServiceAddresses = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ServiceAddresses',
    metadata: { name: 'web', uid: 'u1', creationTimestamp: '2024-01-02T00:00:00Z' },
    spec: { swarmCluster: 'lab', service: 'web', bridge: 'br0', interface: 'eth1', addresses: ['10.0.0.50/24'] },
  };
  const first = await r.reconcile(res, ctx);
  assert.equal(first.conditions[0]?.reason, 'Attached');
  const ns100 = helperNetnsPath(sandboxOf(100), ENGINE_NETNS);
  assert.equal(helper.world('consul01').inside.get(ns100)?.cidr, '10.0.0.50/24');
  assert.equal(repairs.length, 0);

  // Swarm replaces the task on the other node; the old container is gone.
  res.status = { ...first.observed, conditions: [] };
  containers.consul01.delete('web.1.a');
  containers.consul02.set('web.1.c', 200);
  tasks = [task('a', 'n1', 'shutdown'), task('c', 'n2')];
  const moved = await r.reconcile(res, ctx);
  assert.equal(moved.conditions[0]?.reason, 'Attached');
  assert.deepEqual([...helper.world('consul01').veths.keys()], [], "the old task's host veth is removed");
  assert.equal(helper.world('consul02').inside.get(helperNetnsPath(sandboxOf(200), ENGINE_NETNS))?.cidr, '10.0.0.50/24');
  assert.deepEqual(
    repairs.map((x) => [x.reason, x.host]),
    [['TaskMoved', 'consul02']],
  );
  assert.deepEqual(
    moved.observed.slots?.map((s) => [s.slot, s.taskID, s.host, s.attached]),
    [['1', 'c', 'consul02', true]],
  );

  // Converged: nothing is applied or recorded again.
  res.status = { ...moved.observed, conditions: [] };
  const again = await r.reconcile(res, ctx);
  assert.equal(again.conditions[0]?.reason, 'Attached');
  assert.equal(repairs.length, 1);

  // Delete: every task's interface goes.
  assert.deepEqual(await r.finalize(res, ctx), { done: true });
  assert.deepEqual([...helper.world('consul02').veths.keys()], []);
  assert.equal(helper.world('consul02').inside.size, 0);
});
