/**
 * Probe one Docker engine: version, OS/arch and swarm node state, with a short deadline so an
 * engine that vanished (host container stopped: no TCP reset, just silence) is reported within
 * the 2 s the DockerHost controller promises, instead of dockerode's 10 s request timeout.
 */
import type Docker from 'dockerode';
import type { SwarmNodeState } from '../../crds/index.js';
import { engineMessage } from '../../docker/engine-message.js';

export interface EngineFacts {
  engineVersion: string;
  apiVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
  /** Same shape as DockerHostStatus.swarm. */
  swarm: {
    state: SwarmNodeState;
    nodeID?: string;
    controlAvailable: boolean;
  };
}

/** Why an engine did not answer: its TCP/socket is gone, or the TLS handshake was refused. */
export type ProbeFailure = 'Unreachable' | 'TLSHandshakeFailed' | 'TLSRequired';

export type ProbeResult = { reachable: true; facts: EngineFacts } | { reachable: false; error: string; reason: ProbeFailure };

export const PROBE_TIMEOUT_MS = 1500;

export async function probeEngine(docker: Docker, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const [version, info] = await Promise.race([Promise.all([docker.version(), docker.info()]), deadline]);
    return { reachable: true, facts: engineFacts(version, info) };
  } catch (err) {
    const error = describeError(err);
    return { reachable: false, error, reason: failureReason(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Pure: the facts swarmop reports, from the engine's /version and /info answers. */
export function engineFacts(version: Docker.DockerVersion, info: Record<string, unknown>): EngineFacts {
  const swarm = (info['Swarm'] ?? {}) as Record<string, unknown>;
  const nodeID = typeof swarm['NodeID'] === 'string' && swarm['NodeID'] !== '' ? (swarm['NodeID'] as string) : undefined;
  const state = swarm['LocalNodeState'];
  return {
    engineVersion: version.Version,
    apiVersion: version.ApiVersion,
    os: version.Os,
    arch: version.Arch,
    kernelVersion: version.KernelVersion,
    swarm: {
      state: isSwarmNodeState(state) ? state : 'inactive',
      ...(nodeID ? { nodeID } : {}),
      controlAvailable: swarm['ControlAvailable'] === true,
    },
  };
}

function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: string; message?: string; address?: string; port?: number };
    if (e.code === 'ECONNREFUSED') return `connection refused${e.address ? ` by ${e.address}:${e.port}` : ''}`;
    if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return `host unreachable (${e.code})`;
    if (e.code === 'ENOENT') return `socket not found${e.address ? ` at ${e.address}` : ''}`;
    if (e.code === 'EPROTO' || /certificate|SSL|TLS|tlsv1|handshake/i.test(e.message ?? ''))
      return `TLS handshake failed: ${engineMessage(err)}`;
  }
  return engineMessage(err);
}

function isSwarmNodeState(v: unknown): v is SwarmNodeState {
  return v === 'inactive' || v === 'pending' || v === 'active' || v === 'error' || v === 'locked';
}

/** Pure: the condition reason for a probe error text. */
export function failureReason(error: string): ProbeFailure {
  if (error.startsWith('TLS handshake failed')) return 'TLSHandshakeFailed';
  // dockerd --tlsverify answers a plain-HTTP client with 400 and this text.
  if (/HTTP request to an HTTPS server/i.test(error)) return 'TLSRequired';
  return 'Unreachable';
}
