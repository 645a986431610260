/**
 * DockerHost controller: reports whether each Docker Engine answers, its version, OS/arch and swarm
 * node state. It changes nothing on the host; it is event-driven through the host's event stream
 * (connect/disconnect re-trigger it at once) and re-checked by the periodic resync.
 */
import type { DockerHost } from '../../crds/index.js';
import type { KindReconciler, ReconcileContext, ReconcileOutcome } from '../reconciler.js';
import { probeEngine, type EngineFacts } from './probe.js';

export interface DockerHostObserved {
  reachable: boolean;
  endpoint?: string;
  engineVersion?: string;
  apiVersion?: string;
  os?: string;
  arch?: string;
  kernelVersion?: string;
  swarm?: EngineFacts['swarm'];
}

export interface DockerHostReconcilerOptions {
  probeTimeoutMs?: number;
  /** Re-check an unreachable host this often even without events (ms). */
  unreachableRecheckMs?: number;
}

type DockerHostResource = DockerHost;

export function createDockerHostReconciler(options: DockerHostReconcilerOptions = {}): KindReconciler<DockerHostResource, DockerHostObserved> {
  const recheck = options.unreachableRecheckMs ?? 5_000;
  return {
    kind: 'DockerHost',
    async reconcile(host: DockerHostResource, ctx: ReconcileContext): Promise<ReconcileOutcome<DockerHostObserved>> {
      const handle = ctx.hosts.get(host.metadata.name);
      if (!handle) {
        return {
          observed: { reachable: false, endpoint: host.spec.endpoint },
          conditions: [{ type: 'Ready', status: 'False', reason: 'ClientUnavailable', message: 'no Docker client for this host (endpoint or TLS files unusable)' }],
          requeueAfter: recheck,
        };
      }
      const probe = await probeEngine(handle.docker, options.probeTimeoutMs);
      return dockerHostOutcome(host.spec.endpoint, probe, recheck);
    },
    mapHostConnectivity: (host) => [host],
  };
}

/** Pure: status and conditions from one probe. */
export function dockerHostOutcome(
  endpoint: string,
  probe: Awaited<ReturnType<typeof probeEngine>>,
  recheckMs: number,
): ReconcileOutcome<DockerHostObserved> {
  if (!probe.reachable) {
    return {
      observed: { reachable: false, endpoint },
      conditions: [{ type: 'Ready', status: 'False', reason: probe.reason, message: `Docker Engine at ${endpoint} does not answer: ${probe.error}` }],
      requeueAfter: recheckMs,
    };
  }
  const f = probe.facts;
  return {
    observed: { reachable: true, endpoint, ...f },
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Reachable',
        message: `Docker Engine ${f.engineVersion} (${f.os}/${f.arch}) answers at ${endpoint}; swarm ${f.swarm.state}`,
      },
    ],
  };
}
