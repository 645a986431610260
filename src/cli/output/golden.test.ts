/**
 * Golden output of `get` (table, wide, --show-labels) and `describe` for every kind, from the
 * sample manifests with fixed metadata, a status per kind and events, at a fixed clock. The
 * expected text lives in testdata/golden/; `SWARMOP_UPDATE_GOLDEN=1` rewrites it (review the diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KINDS, type KindInfo } from '../../crds/index.js';
import type { Resource } from '../../crds/meta.js';
import { validateSources } from '../manifests/load-manifests.js';
import { renderGet } from '../commands/get.js';
import { renderDescribe, type EventRow } from './describe-printer.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const GOLDEN = fileURLToPath(new URL('./testdata/golden/', import.meta.url));
const NOW = Date.parse('2026-03-01T12:00:00Z');

function cond(status: 'True' | 'False' | 'Unknown', reason: string, message: string, ago = '2026-03-01T11:55:00Z') {
  return [{ type: 'Ready', status, reason, message, lastTransitionTime: ago, observedGeneration: 1 }];
}

const STATUS: Record<string, Record<string, Resource['status'] & Record<string, unknown>>> = {
  DockerHost: {
    consulsvr: {
      observedGeneration: 1,
      conditions: cond('True', 'Reachable', 'engine 20.10.24 answered'),
      reachable: true,
      engineVersion: '20.10.24',
      os: 'linux',
      arch: 'x86_64',
      swarm: { state: 'active', controlAvailable: true },
    },
    consul01: {
      observedGeneration: 1,
      conditions: cond('False', 'Unreachable', 'dial tcp 192.168.116.112:2375: connect: connection refused', '2026-03-01T11:59:30Z'),
      reachable: false,
    },
  },
  ConsulCluster: {
    datacenter: {
      observedGeneration: 1,
      conditions: cond('True', 'Healthy', '3/3 servers alive, leader consulsvr'),
      leader: 'consulsvr',
      members: [
        { node: 'consulsvr', host: 'consulsvr', address: '192.168.116.111', status: 'alive', role: 'server' },
        { node: 'consul01', host: 'consul01', address: '192.168.116.112', status: 'alive', role: 'server' },
      ],
      tokens: [
        { purpose: 'initial-management', accessorID: '1f5a0c3e-7b2d-4e8a-9c61-0d3b5e7f9a12' },
        { purpose: 'agent', accessorID: '2a6b1d4f-8c3e-4f9b-8d72-1e4c6f8a0b23', node: 'consulsvr' },
        { purpose: 'operator', accessorID: '3b7c2e5a-9d4f-4a0c-9e83-2f5d7a9b1c34' },
      ],
    },
  },
  SwarmCluster: {
    swarm: {
      observedGeneration: 1,
      conditions: cond('False', 'NodesNotReady', 'consul02 is down'),
      swarmID: 'abc123',
      nodes: [{ hostname: 'consulsvr', role: 'manager', state: 'ready', availability: 'active', leader: true }],
    },
  },
  ServiceAddresses: {
    web: {
      observedGeneration: 1,
      conditions: cond(
        'False',
        'AddressesExhausted',
        '1 task of service web got no address: the service has more tasks than the 2 addresses (t3)',
      ),
      mode: 'replicated',
      attached: 2,
      tasks: 3,
      slots: [
        {
          slot: '1',
          address: '192.168.116.150/24',
          taskID: 't1',
          node: 'consul01',
          host: 'consul01',
          containerID: 'c1',
          container: 'web.1.t1',
          pid: 4242,
          attached: true,
        },
        {
          slot: '2',
          address: '192.168.116.151/24',
          taskID: 't2',
          node: 'consul02',
          host: 'consul02',
          containerID: 'c2',
          container: 'web.2.t2',
          pid: 5151,
          attached: true,
        },
        {
          slot: '3',
          address: '',
          taskID: 't3',
          node: 'consulsvr',
          host: 'consulsvr',
          containerID: 'c3',
          container: 'web.3.t3',
          attached: false,
          reason: 'AddressesExhausted',
          message: 'more tasks than addresses',
        },
      ],
    },
  },
  StaticIPAttachment: {
    ubuntu114: { observedGeneration: 1, conditions: cond('True', 'Attached', 'eth1 192.168.116.114/24 up in ubuntu114') },
    ubuntu119: { observedGeneration: 1, conditions: cond('False', 'AddressConflict', '192.168.116.119 is also claimed by other') },
  },
};

const EVENTS: EventRow[] = [
  {
    type: 'Normal',
    reason: 'Attached',
    message: 'added eth1 192.168.116.114/24',
    lastTimestamp: '2026-03-01T11:55:00Z',
    count: 1,
    object: 'staticipattachment/ubuntu114',
    source: 'staticipattachment-controller',
  },
  {
    type: 'Normal',
    reason: 'DriftRepaired',
    message: 'eth1 missing in container ubuntu114; re-attached',
    lastTimestamp: '2026-03-01T11:59:00Z',
    count: 3,
    object: 'staticipattachment/ubuntu114',
    source: 'staticipattachment-controller',
  },
  {
    type: 'Normal',
    reason: 'DriftRepaired',
    message: 'slot 1 of service web: task t0 on consul02 was replaced by task t1 on consul01',
    lastTimestamp: '2026-03-01T11:58:00Z',
    count: 1,
    object: 'serviceaddresses/web',
    source: 'serviceaddresses-controller',
  },
  {
    type: 'Warning',
    reason: 'Unreachable',
    message: 'dial tcp 192.168.116.112:2375: connect: connection refused',
    lastTimestamp: '2026-03-01T11:59:30Z',
    count: 1,
    object: 'dockerhost/consul01',
    source: 'dockerhost-controller',
  },
];

function fixtures(): Resource[] {
  // The reference topology: the top-level manifests only (examples/ holds variants), and the
  // example ServiceAddresses (a Swarm service is not part of the reference topology).
  const dir = path.join(REPO, 'manifests');
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: `manifests/${f}`, bytes: readFileSync(path.join(dir, f)) }));
  sources.push({ file: 'examples/serviceaddresses.yaml', bytes: readFileSync(path.join(REPO, 'examples', 'serviceaddresses.yaml')) });
  const { resources, errors } = validateSources(sources);
  assert.deepEqual(errors, []);
  return resources.map((r, i) => {
    const status = STATUS[r.kind]?.[r.metadata.name];
    return {
      ...r,
      metadata: {
        ...r.metadata,
        uid: `00000000-0000-4000-8000-00000000000${i}`,
        generation: 1,
        resourceVersion: String(100 + i),
        creationTimestamp: '2026-03-01T10:00:00Z',
      },
      ...(status ? { status } : {}),
    };
  });
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.SWARMOP_UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from its golden file (SWARMOP_UPDATE_GOLDEN=1 rewrites it)`);
}

const opts = { single: false, withKind: false, noHeaders: false, showLabels: false, now: NOW };

for (const kind of KINDS) {
  test(`get and describe of ${kind.plural} match their golden output`, () => {
    const all = fixtures().filter((r) => r.kind === kind.kind);
    assert.ok(all.length > 0, `the sample manifests declare ${kind.plural}`);
    golden(`get-${kind.plural}.txt`, renderGet([kind], all, { ...opts, format: 'table' }));
    golden(`get-${kind.plural}-wide.txt`, renderGet([kind], all, { ...opts, format: 'wide', showLabels: true }));
    const described = all
      .map((r) =>
        renderDescribe(
          r,
          EVENTS.filter((e) => e.object === `${kind.kind.toLowerCase()}/${r.metadata.name}`),
          NOW,
        ),
      )
      .join('\n');
    golden(`describe-${kind.plural}.txt`, described);
  });
}

test('get of several kinds matches its golden output', () => {
  const kinds: KindInfo[] = [...KINDS];
  golden('get-all.txt', renderGet(kinds, fixtures(), { ...opts, format: 'table', withKind: true }));
});
