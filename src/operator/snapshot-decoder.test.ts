import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KvPair } from '../store/kv.js';
import { MemoryKv } from '../../testing/fakes/memory-kv.js';
import { ResourceStore } from '../store/resource-store.js';
import { SnapshotDecoder } from './snapshot-decoder.js';

function pair(key: string, value: unknown, modifyIndex: number): KvPair {
  return { key, value: typeof value === 'string' ? value : JSON.stringify(value), createIndex: 1, modifyIndex };
}

const host = (name: string, address = '10.0.0.1') => ({
  apiVersion: 'swarmop.io/v1alpha1',
  kind: 'DockerHost',
  metadata: { name, generation: 1 },
  spec: { endpoint: `tcp://${address}:2375`, address },
});

function listing(n: number): KvPair[] {
  return Array.from({ length: n }, (_, i) => pair(`p/objects/dockerhosts/h${i}`, host(`h${i}`), 10 + i));
}

test('a listing with one changed key decodes only that object', () => {
  const store = new ResourceStore({ kv: new MemoryKv(), prefix: 'p/' });
  const decoder = new SnapshotDecoder({ store });
  const first = listing(100);
  assert.equal(decoder.decode(first).get('DockerHost')?.length, 100);
  assert.equal(decoder.decodes, 100);
  const second = [...first];
  second[7] = pair('p/objects/dockerhosts/h7', host('h7', '10.0.0.9'), 500);
  second.push(pair('p/status/dockerhosts/h3', { conditions: [] }, 501));
  const out = decoder.decode(second).get('DockerHost')!;
  assert.equal(decoder.decodes, 102, 'h7 (spec) and h3 (status) decoded again, nothing else');
  assert.equal(out.find((d) => d.name === 'h7')?.resource?.spec.address, '10.0.0.9');
  assert.deepEqual(out.find((d) => d.name === 'h3')?.resource?.status, { conditions: [] });
  assert.equal(out.find((d) => d.name === 'h3')?.statusIndex, 501);
});

test('the same listing array is decoded once for every object index that asks', () => {
  const store = new ResourceStore({ kv: new MemoryKv(), prefix: 'p/' });
  const decoder = new SnapshotDecoder({ store });
  const pairs = listing(10);
  decoder.decode(pairs);
  decoder.decode(pairs);
  assert.equal(decoder.decodes, 10);
});

test('removed objects disappear, invalid documents keep their errors, stray status keys are ignored', () => {
  const store = new ResourceStore({ kv: new MemoryKv(), prefix: 'p/' });
  const decoder = new SnapshotDecoder({ store });
  decoder.decode(listing(3));
  const out = decoder
    .decode([
      pair('p/objects/dockerhosts/h0', host('h0'), 10),
      pair('p/objects/dockerhosts/bad', { apiVersion: 'swarmop.io/v1alpha1', kind: 'DockerHost', metadata: { name: 'bad' }, spec: {} }, 20),
      pair('p/status/dockerhosts/ghost', { conditions: [] }, 21),
    ])
    .get('DockerHost')!;
  assert.deepEqual(
    out.map((d) => d.name),
    ['h0', 'bad'],
  );
  assert.equal(out[1]!.resource, undefined);
  assert.ok(out[1]!.errors.length > 0);
});
