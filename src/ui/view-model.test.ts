import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KindName } from '../crds/kind-info.js';
import type { BaseStatus, Resource } from '../crds/meta.js';
import type { ObjectEvent } from '../store/object-events.js';
import { hostPage, hostRows, kindPage, readyOf, specSummary, timeline, type UiSource } from './view-model.js';

const NOW = Date.parse('2026-11-29T20:00:00Z');
const res = (kind: string, name: string, spec: Record<string, unknown>, meta: Partial<Resource['metadata']> = {}): Resource => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind,
  metadata: { name, generation: 1, creationTimestamp: '2026-11-29T19:55:00Z', ...meta },
  spec,
});
const cond = (status: 'True' | 'False', reason: string, message = '', observedGeneration = 1): BaseStatus => ({
  conditions: [{ type: 'Ready', status, reason, message, lastTransitionTime: '2026-11-29T19:56:00Z', observedGeneration }],
});

function source(objects: Resource[], statuses: Record<string, BaseStatus>): UiSource {
  return {
    objects: (kind: KindName) => objects.filter((o) => o.kind === kind),
    status: (kind, name) => statuses[`${kind}/${name}`],
  };
}

const topology = (): UiSource =>
  source(
    [
      res('DockerHost', 'consulsvr', { endpoint: 'tcp://10.0.0.11:2375', address: '10.0.0.11' }),
      res('DockerHost', 'consul01', { endpoint: 'tcp://10.0.0.12:2375', address: '10.0.0.12' }),
      res('ConsulCluster', 'dc', {
        datacenter: 'dc1',
        image: 'consul:1.8.7',
        servers: [
          { host: 'consulsvr', node: 'svr' },
          { host: 'consul01', node: 'c01' },
        ],
        gossipKeyRef: { kvKey: 'secrets/gossip' },
      }),
      res('SwarmCluster', 'swarm', { managers: ['consulsvr'], workers: ['consul01'] }),
      res('StaticIPAttachment', 'web', { host: 'consul01', container: 'web', bridge: 'br0', address: '10.0.0.114/24', interface: 'eth1' }),
    ],
    {
      'DockerHost/consulsvr': {
        ...cond('True', 'Reachable'),
        engineVersion: '20.10.24',
        reachable: true,
        swarm: { nodeID: 'n1', state: 'active' },
      } as BaseStatus,
      'DockerHost/consul01': { ...cond('False', 'Unreachable', 'connect ECONNREFUSED'), reachable: false } as BaseStatus,
      'ConsulCluster/dc': {
        ...cond('True', 'Healthy'),
        leader: 'svr',
        members: [
          { node: 'svr', host: 'consulsvr', address: '10.0.0.11', status: 'alive' },
          { node: 'c01', host: 'consul01', address: '10.0.0.12', status: 'failed' },
        ],
      } as BaseStatus,
      'SwarmCluster/swarm': {
        ...cond('True', 'Converged'),
        nodes: [
          { hostname: 'other-name', nodeID: 'n1', role: 'manager', state: 'ready', availability: 'active', leader: true },
          { hostname: 'consul01', nodeID: 'n2', role: 'worker', state: 'down', availability: 'active' },
        ],
      } as BaseStatus,
      'StaticIPAttachment/web': { ...cond('True', 'Attached'), address: '10.0.0.114/24' } as BaseStatus,
    },
  );

describe('readyOf', () => {
  it('is Unknown/Pending without a Ready condition and Unknown/Progressing when it is for an older generation', () => {
    assert.deepEqual(readyOf(undefined), { status: 'Unknown', reason: 'Pending', message: 'no status written yet' });
    assert.deepEqual(readyOf(cond('True', 'Attached', '', 1), 2), {
      status: 'Unknown',
      reason: 'Progressing',
      message: 'status is for generation 1, spec is at 2',
    });
    assert.deepEqual(readyOf(cond('False', 'Unreachable', 'boom', 2), 2), { status: 'False', reason: 'Unreachable', message: 'boom' });
  });
});

describe('specSummary', () => {
  it('shows secret references as references, never resolving them', () => {
    assert.equal(
      specSummary('ConsulCluster', {
        datacenter: 'dc1',
        image: 'consul:1.8.7',
        servers: [{}, {}, {}],
        gossipKeyRef: { kvKey: 'secrets/gossip' },
        aclTokenRef: { kvKey: 'secrets/acl' },
      }),
      'dc dc1 · 3 servers · consul:1.8.7 · gossipKeyRef: kvKey=secrets/gossip · aclTokenRef: kvKey=secrets/acl',
    );
    assert.equal(
      specSummary('StaticIPAttachment', { host: 'h', container: 'c', bridge: 'br0', address: '10.0.0.5/24' }),
      'h/c · eth1 10.0.0.5/24 · via br0',
    );
  });
});

describe('kindPage', () => {
  const many = (n: number): UiSource => {
    const objects = Array.from({ length: n }, (_, i) =>
      res('StaticIPAttachment', `sia-${String(n - i).padStart(5, '0')}`, {
        host: 'h',
        container: `c${i}`,
        bridge: 'br0',
        address: '10.0.0.5/24',
      }),
    );
    const statuses: Record<string, BaseStatus> = {};
    objects.forEach((o, i) => (statuses[`StaticIPAttachment/${o.metadata.name}`] = cond(i % 4 === 0 ? 'False' : 'True', 'X')));
    return source(objects, statuses);
  };

  it('pages a kind sorted by name and counts Ready over all of it', () => {
    const p = kindPage(many(10_000), 'StaticIPAttachment', { now: NOW, page: 3, pageSize: 50 });
    assert.equal(p.total, 10_000);
    assert.equal(p.pages, 200);
    assert.equal(p.page, 3);
    assert.equal(p.readyCount, 7_500);
    assert.deepEqual([p.rows[0]!.name, p.rows[49]!.name, p.rows.length], ['sia-00101', 'sia-00150', 50]);
    assert.equal(p.rows[0]!.age, '5m');
  });

  it('clamps a page number out of range to the last page, and below 1 to the first', () => {
    assert.equal(kindPage(many(120), 'StaticIPAttachment', { now: NOW, page: 99, pageSize: 50 }).page, 3);
    assert.equal(kindPage(many(120), 'StaticIPAttachment', { now: NOW, page: -4, pageSize: 50 }).page, 1);
    assert.deepEqual(kindPage(many(0), 'StaticIPAttachment', { now: NOW }).rows, []);
  });
});

describe('hostRows', () => {
  it('joins each host with its engine, swarm node, Consul members and attachments', () => {
    const rows = hostRows(topology());
    assert.deepEqual(
      rows.map((h) => ({
        name: h.name,
        engine: h.engine,
        swarm: h.swarm,
        consul: h.consul,
        att: h.attachments.map((a) => `${a.container} ${a.address} ${a.ready.status}`),
      })),
      [
        {
          name: 'consul01',
          engine: 'unreachable',
          swarm: { cluster: 'swarm', role: 'worker', state: 'down', availability: 'active', leader: false },
          consul: [{ cluster: 'dc', node: 'c01', role: 'server', status: 'failed' }],
          att: ['web 10.0.0.114/24 True'],
        },
        {
          name: 'consulsvr',
          engine: '20.10.24',
          // matched by node ID although the engine's hostname differs from the DockerHost name
          swarm: { cluster: 'swarm', role: 'manager', state: 'ready', availability: 'active', leader: true },
          consul: [{ cluster: 'dc', node: 'svr', role: 'server (leader)', status: 'alive' }],
          att: [],
        },
      ],
    );
  });

  it('lists at most maxAttachments per host and counts the rest', () => {
    const objs = [res('DockerHost', 'h', { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1' })];
    for (let i = 0; i < 25; i++)
      objs.push(
        res('StaticIPAttachment', `a${String(i).padStart(2, '0')}`, {
          host: 'h',
          container: `c${i}`,
          bridge: 'br0',
          address: `10.0.1.${i + 1}/24`,
        }),
      );
    const [h] = hostRows(source(objs, {}), { maxAttachments: 20 });
    assert.equal(h!.attachments.length, 20);
    assert.equal(h!.moreAttachments, 5);
    assert.equal(h!.attachments[0]!.ready.reason, 'Pending');
  });
});

describe('hostPage', () => {
  it('pages hosts by name and joins attachments only for the hosts on the page', () => {
    const objs: Resource[] = [];
    for (let i = 0; i < 120; i++)
      objs.push(res('DockerHost', `h${String(i).padStart(3, '0')}`, { endpoint: 'tcp://10.0.0.1:2375', address: '10.0.0.1' }));
    for (let i = 0; i < 240; i++)
      objs.push(
        res('StaticIPAttachment', `a${String(i).padStart(3, '0')}`, {
          host: `h${String(i % 120).padStart(3, '0')}`,
          container: `c${i}`,
          bridge: 'br0',
          address: '10.0.1.1/24',
        }),
      );
    const p = hostPage(source(objs, {}), { page: 3, pageSize: 50 });
    assert.deepEqual([p.total, p.pages, p.page, p.rows.length, p.rows[0]!.name], [120, 3, 3, 20, 'h100']);
    assert.deepEqual(
      p.rows[0]!.attachments.map((a) => a.name),
      ['a100', 'a220'],
    );
  });
});

describe('timeline', () => {
  const ev = (name: string, reason: string, at: string, count = 1): ObjectEvent => ({
    involvedObject: { kind: 'StaticIPAttachment', name },
    type: 'Normal',
    reason,
    message: `${reason} happened`,
    source: 'staticipattachment-controller',
    count,
    firstTimestamp: '2026-11-29T19:00:00.000Z',
    lastTimestamp: at,
  });

  it('is newest first, bounded, and a repeat (higher count) is a new occurrence', () => {
    const t = timeline(
      [
        ev('a', 'ContainerRestarted', '2026-11-29T19:01:00.000Z'),
        ev('b', 'Created', '2026-11-29T19:03:00.000Z'),
        ev('a', 'ContainerRestarted', '2026-11-29T19:02:00.000Z', 2),
      ],
      2,
    );
    assert.deepEqual(
      t.map((e) => [e.name, e.reason, e.count, e.id]),
      [
        ['b', 'Created', 1, 'StaticIPAttachment/b/Created/2026-11-29T19:00:00.000Z/1'],
        ['a', 'ContainerRestarted', 2, 'StaticIPAttachment/a/ContainerRestarted/2026-11-29T19:00:00.000Z/2'],
      ],
    );
  });
});
