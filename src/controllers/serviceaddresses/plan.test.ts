import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SlotStatus } from '../../crds/index.js';
import type { SwarmNodeInfo, SwarmTask } from './observe.js';
import { planSlots, type SlotPlanInput } from './plan.js';

const ADDRS = ['10.0.0.50/24', '10.0.0.51/24'];
const NODES: SwarmNodeInfo[] = [
  { id: 'n1', hostname: 'consul01', address: '10.0.0.11' },
  { id: 'n2', hostname: 'consul02', address: '10.0.0.12' },
  { id: 'n3', hostname: 'consul03', address: '10.0.0.13' },
];
const hostOf = (n: SwarmNodeInfo) => n.hostname;

function task(
  id: string,
  slot: number | undefined,
  nodeID: string,
  state = 'running',
  createdAt = `2024-01-01T00:00:0${id.length}Z`,
): SwarmTask {
  return {
    id,
    ...(slot !== undefined ? { slot } : {}),
    nodeID,
    state,
    desiredState: state === 'running' ? 'running' : 'shutdown',
    containerID: `c-${id}`,
    createdAt,
  };
}

function plan(tasks: SwarmTask[], previous: SlotStatus[] = [], extra: Partial<SlotPlanInput> = {}) {
  return planSlots({ service: 'web', mode: 'replicated', addresses: ADDRS, tasks, nodes: NODES, hostOf, previous, ...extra });
}

const held = (slot: string, address: string, taskID: string, host: string): SlotStatus => ({
  slot,
  address,
  taskID,
  host,
  node: host,
  containerID: `c-${taskID}`,
  attached: true,
});

test('replicated: slot N gets addresses[N-1]; the container is named as Swarm names it', () => {
  const p = plan([task('b', 2, 'n2'), task('a', 1, 'n1')]);
  assert.deepEqual(
    p.slots.map((s) => [s.key, s.address, s.holder?.task.id, s.holder?.host, s.holder?.container, s.release]),
    [
      ['1', '10.0.0.50/24', 'a', 'consul01', 'web.1.a', undefined],
      ['2', '10.0.0.51/24', 'b', 'consul02', 'web.2.b', undefined],
    ],
  );
  assert.deepEqual(p.exhausted, []);
  assert.deepEqual(p.orphans, []);
});

test('a task that is not running holds nothing', () => {
  const p = plan([task('a', 1, 'n1', 'preparing'), task('b', 2, 'n2', 'failed')]);
  assert.deepEqual(
    p.slots.map((s) => s.holder),
    [undefined, undefined],
  );
});

test('a moved task: the new task holds the slot and the earlier holder is released', () => {
  const prev = [held('1', '10.0.0.50/24', 'a', 'consul01'), held('2', '10.0.0.51/24', 'b', 'consul02')];
  const p = plan([task('a', 1, 'n1', 'shutdown'), task('c', 1, 'n3'), task('b', 2, 'n2')], prev);
  assert.equal(p.slots[0]!.holder?.task.id, 'c');
  assert.equal(p.slots[0]!.holder?.host, 'consul03');
  assert.deepEqual(p.slots[0]!.release, prev[0]);
  assert.equal(p.slots[1]!.release, undefined);
});

test('start-first overlap: the holder keeps the address while it runs, the newer waits; then the newer gets it', () => {
  const prev = [held('1', '10.0.0.50/24', 'a', 'consul01')];
  const overlap = plan([task('a', 1, 'n1'), task('aa', 1, 'n2')], prev);
  assert.equal(overlap.slots[0]!.holder?.task.id, 'a');
  assert.deepEqual(
    overlap.slots[0]!.waiting.map((h) => [h.task.id, h.host, h.container]),
    [['aa', 'consul02', 'web.1.aa']],
  );
  assert.equal(overlap.slots[0]!.release, undefined);
  // Without a previous holder, the older of the two running tasks holds it.
  const fresh = plan([task('aa', 1, 'n2'), task('a', 1, 'n1')]);
  assert.equal(fresh.slots[0]!.holder?.task.id, 'a');
  const after = plan([task('a', 1, 'n1', 'shutdown'), task('aa', 1, 'n2')], prev);
  assert.equal(after.slots[0]!.holder?.task.id, 'aa');
  assert.deepEqual(after.slots[0]!.waiting, []);
  assert.deepEqual(after.slots[0]!.release, prev[0]);
});

test('more tasks than addresses: the extra task gets none and no address is reused', () => {
  const p = plan([task('a', 1, 'n1'), task('b', 2, 'n2'), task('c', 3, 'n3')]);
  assert.deepEqual(
    p.exhausted.map((h) => [h.task.id, h.host]),
    [['c', 'consul03']],
  );
  assert.deepEqual(
    p.slots.map((s) => s.holder?.task.id),
    ['a', 'b'],
  );
});

test('scale down: the slot without a task releases its earlier holder', () => {
  const prev = [held('1', '10.0.0.50/24', 'a', 'consul01'), held('2', '10.0.0.51/24', 'b', 'consul02')];
  const p = plan([task('a', 1, 'n1')], prev);
  assert.equal(p.slots[1]!.holder, undefined);
  assert.deepEqual(p.slots[1]!.release, prev[1]);
});

test('swarm scaled 3 -> 2 removed slot 2, not 3: slot 3 takes the freed address after slot 2 lets go; slot 1 keeps its own', () => {
  const prev = [held('1', '10.0.0.50/24', 'a', 'consul01'), held('2', '10.0.0.51/24', 'b', 'consul02')];
  const p = plan([task('a', 1, 'n1'), task('b', 2, 'n2', 'shutdown'), task('c', 3, 'n3')], prev);
  assert.deepEqual(
    p.slots.map((x) => `${x.key}:${x.address}:${x.holder?.task.id ?? '-'}:${x.release?.taskID ?? '-'}`),
    ['1:10.0.0.50/24:a:-', '3:10.0.0.51/24:c:b'],
  );
  assert.deepEqual(p.exhausted, []);
});

test('a fresh service (no status yet): slot N takes the Nth address, whatever order the tasks come in', () => {
  const p = plan([task('y', 2, 'n2'), task('x', 1, 'n1')], []);
  assert.deepEqual(
    p.slots.map((x) => `${x.key}:${x.address}:${x.holder?.task.id ?? '-'}`),
    ['1:10.0.0.50/24:x', '2:10.0.0.51/24:y'],
  );
});

test('an address removed from the spec: its earlier holder is an orphan to release', () => {
  const prev = [held('1', '10.0.0.50/24', 'a', 'consul01'), held('2', '10.0.0.51/24', 'b', 'consul02')];
  const p = plan([task('a', 1, 'n1'), task('b', 2, 'n2')], prev, { addresses: ['10.0.0.50/24'] });
  assert.deepEqual(p.orphans, [prev[1]]);
  assert.deepEqual(
    p.exhausted.map((h) => h.task.id),
    ['b'],
  );
});

test('an address changed for a slot: the same task is released from the old one and holds the new one', () => {
  const prev = [held('1', '10.0.0.49/24', 'a', 'consul01')];
  const p = plan([task('a', 1, 'n1')], prev);
  assert.equal(p.slots[0]!.holder?.task.id, 'a');
  assert.deepEqual(p.slots[0]!.release, prev[0]);
});

test('global: nodes sorted by hostname take the addresses; a node keeps its address; a new node takes a free one', () => {
  const three = ['10.0.0.50/24', '10.0.0.51/24', '10.0.0.52/24'];
  const g = (tasks: SwarmTask[], previous: SlotStatus[] = []) =>
    planSlots({ service: 'agent', mode: 'global', addresses: three, tasks, nodes: NODES, hostOf, previous });
  const first = g([task('x3', undefined, 'n3'), task('x1', undefined, 'n1')]);
  assert.deepEqual(
    first.slots.map((s) => [s.key, s.address, s.holder?.task.id, s.holder?.container]),
    [
      ['consul01', '10.0.0.50/24', 'x1', 'agent.n1.x1'],
      ['consul03', '10.0.0.51/24', 'x3', 'agent.n3.x3'],
      ['unassigned-3', '10.0.0.52/24', undefined, undefined],
    ],
  );
  const prev = [held('consul01', '10.0.0.50/24', 'x1', 'consul01'), held('consul03', '10.0.0.51/24', 'x3', 'consul03')];
  const later = g([task('x3', undefined, 'n3'), task('x1', undefined, 'n1'), task('x2', undefined, 'n2')], prev);
  assert.deepEqual(
    later.slots.map((s) => [s.key, s.address, s.holder?.task.id]),
    [
      ['consul01', '10.0.0.50/24', 'x1'],
      ['consul03', '10.0.0.51/24', 'x3'],
      ['consul02', '10.0.0.52/24', 'x2'],
    ],
  );
  const exhausted = planSlots({
    service: 'agent',
    mode: 'global',
    addresses: ['10.0.0.50/24'],
    tasks: [task('x1', undefined, 'n1'), task('x2', undefined, 'n2')],
    nodes: NODES,
    hostOf,
    previous: [],
  });
  assert.deepEqual(
    exhausted.exhausted.map((h) => h.task.id),
    ['x2'],
  );
});

test('a task on a node that is none of the DockerHosts is planned without a host', () => {
  const p = planSlots({
    service: 'web',
    mode: 'replicated',
    addresses: ADDRS,
    tasks: [task('a', 1, 'n1')],
    nodes: NODES,
    hostOf: () => undefined,
    previous: [],
  });
  assert.equal(p.slots[0]!.holder?.task.id, 'a');
  assert.equal(p.slots[0]!.holder?.host, undefined);
});
