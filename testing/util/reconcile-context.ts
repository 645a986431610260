/**
 * A KindReconcileContext for driving one reconciler directly against real Docker hosts in integration
 * tests (no operator, no workqueue): hosts are real dockerode clients, repairs and events are
 * collected so tests can assert on them.
 */
import Docker from 'dockerode';
import winston from 'winston';
import type { KindName, Resource } from '../../src/crds/index.js';
import { labSettings } from '../lab/lab-settings.js';
import type { HostHandle, KindTypes, ObjectCache, KindReconcileContext, Repair } from '../../src/controllers/kind-reconciler.js';
import { scanByIndex } from '../../src/controllers/kind-indexes.js';

export interface TestHost {
  name: string;
  address: string;
  /** tcp://addr:2375 or unix:///path */
  endpoint: string;
}

/** The lab's three hosts (hack/lab.sh up) as its .lab/env names them (its defaults before the first `up`). */
export const LAB_HOSTS: readonly TestHost[] = labSettings().hosts;

export interface RecordingContext extends KindReconcileContext {
  repairs: Repair[];
  events: { type: string; reason: string; message: string }[];
  /** Objects visible through ctx.cache; tests put the other objects of a scenario here. */
  objects: Map<string, Resource>;
}

export function dockerFor(host: TestHost): Docker {
  if (host.endpoint.startsWith('unix://')) return new Docker({ socketPath: host.endpoint.slice('unix://'.length) });
  const url = new URL(host.endpoint.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port), protocol: 'http', timeout: 10_000 });
}

export function recordingContext(options: { hosts?: readonly TestHost[]; signal?: AbortSignal; level?: string } = {}): RecordingContext {
  const handles = new Map<string, HostHandle>();
  for (const h of options.hosts ?? LAB_HOSTS) {
    handles.set(h.name, { name: h.name, address: h.address, docker: dockerFor(h), ready: true });
  }
  const objects = new Map<string, Resource>();
  const cache: ObjectCache = {
    get: <K extends KindName>(kind: K, name: string) => objects.get(`${kind}/${name}`) as unknown as KindTypes[K] | undefined,
    list: <K extends KindName>(kind: K) => [...objects.values()].filter((o) => o.kind === kind) as unknown as KindTypes[K][],
    byIndex: <K extends KindName>(kind: K, index: string, value: string) =>
      scanByIndex(kind, index, value, [...objects.values()].filter((o) => o.kind === kind) as unknown as KindTypes[K][]),
  };
  const repairs: Repair[] = [];
  const events: { type: string; reason: string; message: string }[] = [];
  const log = winston.createLogger({
    level: options.level ?? process.env.SWARMOP_TEST_LOG_LEVEL ?? 'warn',
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  });
  return {
    log,
    signal: options.signal ?? new AbortController().signal,
    reconcileId: 'test',
    hosts: { get: (n) => handles.get(n), list: () => [...handles.values()] },
    cache,
    objects,
    repairs,
    events,
    async repaired(r) {
      repairs.push(r);
      log.info('drift repaired', r);
    },
    async event(type, reason, message) {
      events.push({ type, reason, message });
    },
    now: () => new Date(),
  };
}
