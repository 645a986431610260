import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KindName, Resource, StaticIPAttachment } from '../../crds/index.js';
import type { KindTypes, ObjectCache, KindReconcileContext, Repair } from '../kind-reconciler.js';
import type { HelperCommand, ProgramResult } from './helper-program.js';
import type { NetHelper } from './net-helper.js';
import { createStaticIPAttachmentReconciler } from './index.js';
import { scanByIndex } from '../kind-indexes.js';

function sia(name: string, spec: Record<string, unknown>, extra: Partial<Resource['metadata']> = {}, status?: Resource['status']): StaticIPAttachment {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'StaticIPAttachment',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: '2024-01-01T00:00:00Z', ...extra },
    spec: { host: 'consul01', container: name, bridge: 'br0', address: '192.168.116.114/24', interface: 'eth1', ...spec },
    ...(status ? { status } : {}),
  };
}

function cacheOf(objs: StaticIPAttachment[]): ObjectCache {
  return {
    get: <K extends KindName>(_k: K, n: string) => objs.find((o) => o.metadata.name === n) as unknown as KindTypes[K] | undefined,
    list: <K extends KindName>(k: K) => objs.filter((o) => o.kind === k) as unknown as KindTypes[K][],
    byIndex: <K extends KindName>(k: K, index: string, value: string) => scanByIndex(k, index, value, objs.filter((o) => o.kind === k) as unknown as KindTypes[K][]),
  };
}

/** A helper that must never be called: the cases below decide before touching a host. */
class NoHelper implements NetHelper {
  calls: HelperCommand[][] = [];
  async run(_h: unknown, cmds: readonly HelperCommand[]): Promise<ProgramResult> {
    this.calls.push([...cmds]);
    throw new Error('helper must not run');
  }
}

function ctx(objs: StaticIPAttachment[], hosts: string[] = []): KindReconcileContext & { repairs: Repair[] } {
  const repairs: Repair[] = [];
  return {
    log: undefined as never,
    signal: new AbortController().signal,
    reconcileId: 't',
    hosts: { get: (n) => (hosts.includes(n) ? ({ name: n } as never) : undefined), list: () => [] },
    cache: cacheOf(objs),
    repairs,
    async repaired(r) { repairs.push(r); },
    async event() {},
    now: () => new Date('2024-01-01T00:00:00Z'),
  };
}

test('the newer of two attachments on one address is refused with AddressConflict before any host is touched', async () => {
  const helper = new NoHelper();
  const r = createStaticIPAttachmentReconciler({ helper });
  const old = sia('a', {});
  const young = sia('b', {}, { creationTimestamp: '2024-02-01T00:00:00Z' });
  const out = await r.reconcile(young, ctx([old, young], ['consul01']));
  assert.equal(out.conditions[0]?.status, 'False');
  assert.equal(out.conditions[0]?.reason, 'AddressConflict');
  assert.deepEqual(helper.calls, []);
});

test('an unknown host is Ready=False HostNotFound with a planned re-check', async () => {
  const r = createStaticIPAttachmentReconciler({ helper: new NoHelper(), retryAfterMs: 5000 });
  const o = sia('a', { host: 'nowhere' });
  const out = await r.reconcile(o, ctx([o]));
  assert.equal(out.conditions[0]?.reason, 'HostNotFound');
  assert.equal(out.requeueAfter, 5000);
});

test('a host known not to answer is Ready=False HostUnreachable with a planned re-check, not an error retried with backoff', async () => {
  const r = createStaticIPAttachmentReconciler({ helper: new NoHelper(), retryAfterMs: 5000 });
  const o = sia('a', {});
  const c = ctx([o]);
  // Any Docker call would throw: the reconcile must decide before touching the engine.
  const docker = new Proxy({}, { get: () => () => { throw new Error('docker must not be called'); } });
  c.hosts = { get: (n) => ({ name: n, address: '10.0.0.1', docker: docker as never, ready: false }), list: () => [] };
  const out = await r.reconcile(o, c);
  assert.deepEqual([out.conditions[0]?.status, out.conditions[0]?.reason], ['False', 'HostUnreachable']);
  assert.equal(out.conditions[0]?.message, 'DockerHost consul01 does not answer (its latest probe or event stream); re-checked when it does');
  assert.equal(out.requeueAfter, 5000);
});

test('container events on the right host with the right name map to the attachment', () => {
  const r = createStaticIPAttachmentReconciler({ helper: new NoHelper() });
  const cache = cacheOf([sia('ubuntu114', {}), sia('ubuntu119', { host: 'consul02', address: '192.168.116.119/24' })]);
  const ev = (Action: string, name: string, Type = 'container') => ({ Type, Action, Actor: { ID: 'x', Attributes: { name } } });
  for (const a of ['start', 'create', 'destroy', 'die', 'restart']) assert.deepEqual(r.mapHostEvent('consul01', ev(a, 'ubuntu114'), cache), ['ubuntu114'], a);
  assert.deepEqual(r.mapHostEvent('consul02', ev('start', 'ubuntu114'), cache), [], 'other host');
  assert.deepEqual(r.mapHostEvent('consul01', ev('start', 'other'), cache), [], 'other container');
  assert.deepEqual(r.mapHostEvent('consul01', ev('exec_start: ip -j addr', 'ubuntu114'), cache), [], 'exec noise');
  assert.deepEqual(r.mapHostEvent('consul01', ev('start', 'ubuntu114', 'network'), cache), [], 'not a container event');
});

test('a reconnected host re-triggers its attachments; a refused attachment is retried when another one changes', () => {
  const r = createStaticIPAttachmentReconciler({ helper: new NoHelper() });
  const refused = sia('c', { address: '192.168.116.200/24' }, {}, {
    conditions: [{ type: 'Ready', status: 'False', reason: 'AddressConflict', message: '', lastTransitionTime: '' }],
  });
  const cache = cacheOf([sia('a', {}), sia('b', { host: 'consul02', address: '192.168.116.119/24' }), refused]);
  assert.deepEqual(r.mapHostConnectivity?.('consul01', true, cache), ['a', 'c']);
  assert.deepEqual(r.mapHostConnectivity?.('consul01', false, cache), []);
  assert.deepEqual(r.mapObjectChange?.('StaticIPAttachment', 'a', cache), ['c']);
  assert.deepEqual(r.mapObjectChange?.('DockerHost', 'consul02', cache), ['b']);
});
