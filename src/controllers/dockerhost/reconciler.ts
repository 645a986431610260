/**
 * DockerHost controller: reports whether each Docker Engine answers, its version, OS/arch and swarm
 * node state. It changes nothing on the host; it is event-driven through the host's event stream
 * (connect/disconnect re-trigger it at once) and re-checked by the periodic resync.
 */
import type { DockerHost } from '../../crds/index.js';
import type { ConditionInput, KindReconciler, KindReconcileContext, ReconcileOutcome } from '../kind-reconciler.js';
import type { HelperImageProvisioner, HelperImageStatus } from '../../nethelper/helper-image.js';
import { probeEngine, type EngineFacts } from './observe.js';

export interface DockerHostObserved {
  reachable: boolean;
  endpoint?: string;
  engineVersion?: string;
  apiVersion?: string;
  os?: string;
  arch?: string;
  kernelVersion?: string;
  swarm?: EngineFacts['swarm'];
  /** The network helper image on this host (only with a provisioner). */
  helperImage?: HelperImageStatus;
}

export interface DockerHostReconcilerOptions {
  probeTimeoutMs?: number;
  /** Re-check an unreachable host this often even without events (ms), at first. */
  unreachableRecheckMs?: number;
  /** The longest re-check interval of a host that stays down (ms, default 20 000); see unreachableRecheckMs(). */
  unreachableRecheckMaxMs?: number;
  /**
   * Puts the StaticIPAttachment network helper's image on every reachable host that lacks it
   * (once per host) and reports it as status.helperImage and the HelperImageReady condition.
   */
  helperImages?: Pick<HelperImageProvisioner, 'ensure'>;
}

type DockerHostResource = DockerHost;

export function createDockerHostReconciler(
  options: DockerHostReconcilerOptions = {},
): KindReconciler<DockerHostResource, DockerHostObserved> {
  const base = options.unreachableRecheckMs ?? 5_000;
  const max = Math.max(base, options.unreachableRecheckMaxMs ?? 20_000);
  const observe = async (host: DockerHostResource, ctx: KindReconcileContext): Promise<ReconcileOutcome<DockerHostObserved>> => {
    const recheck = unreachableRecheckMs(host.status, ctx.now(), base, max);
    const handle = ctx.hosts.get(host.metadata.name);
    if (!handle) {
      return {
        observed: { reachable: false, endpoint: host.spec.endpoint },
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ClientUnavailable',
            message: 'no Docker client for this host (endpoint or TLS files unusable)',
          },
        ],
        requeueAfter: recheck,
      };
    }
    const probe = await probeEngine(handle.docker, options.probeTimeoutMs);
    ctx.hosts.reportProbe?.(host.metadata.name, probe.reachable);
    const out = dockerHostOutcome(host.spec.endpoint, probe, recheck);
    if (!probe.reachable || !options.helperImages) return out;
    return withHelperImage(out, await options.helperImages.ensure({ name: host.metadata.name, docker: handle.docker }), recheck);
  };
  return {
    kind: 'DockerHost',
    async reconcile(host: DockerHostResource, ctx: KindReconcileContext): Promise<ReconcileOutcome<DockerHostObserved>> {
      const out = await observe(host, ctx);
      const transport = insecureTlsPortCondition(host.spec);
      return transport ? { ...out, conditions: [...out.conditions, transport] } : out;
    },
    mapHostConnectivity: (host) => [host],
  };
}

/**
 * When to look at an unreachable host again: `baseMs` while it has just gone down, then a quarter
 * of the time it has been down (from its Ready=False transition), at most `capMs`, +/- 20 % so
 * that many hosts found down together are not re-probed in lockstep. Thousands of hosts that stay
 * down then cost a few probes a second instead of thousands; a host that stops answering for a
 * few seconds is still re-checked every `baseMs` (and its event stream re-dials it meanwhile).
 */
export function unreachableRecheckMs(
  status: { conditions?: readonly { type: string; status: string; lastTransitionTime?: string }[] } | undefined,
  now: Date,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  const since = ready?.status === 'False' ? Date.parse(ready.lastTransitionTime ?? '') : NaN;
  const downMs = Number.isNaN(since) ? 0 : Math.max(0, now.getTime() - since);
  const delay = Math.min(capMs, Math.max(baseMs, downMs / 4));
  return Math.round(delay * (1 + 0.2 * (2 * random() - 1)));
}

/** Docker's registered port for the API over TLS (2375 is plain HTTP). */
const DOCKER_TLS_PORT = 2376;

/**
 * Pure: a warning condition for `tcp://…:2376` without a `tls` block. The operator then speaks plain
 * HTTP to the port Docker reserves for TLS: either the engine answers HTTP there (so join tokens and
 * agent secrets cross the network in clear while everyone reads ":2376" as "TLS") or it wants TLS
 * and the probe already fails with TLSRequired. Warned, not refused: the document is valid and an
 * engine that really serves HTTP on 2376 keeps working; whether secrets may go to a plain-HTTP engine
 * at all is the operator's --allow-insecure-engines decision, not this condition's.
 */
export function insecureTlsPortCondition(spec: { endpoint: string; tls?: object }): ConditionInput | undefined {
  if (spec.tls !== undefined) return undefined;
  const m = /^tcp:\/\/[^/]+:(\d+)$/.exec(spec.endpoint);
  if (!m || Number(m[1]) !== DOCKER_TLS_PORT) return undefined;
  return {
    type: 'TransportSecure',
    status: 'False',
    reason: 'InsecureTlsPort',
    message: `${spec.endpoint} is Docker's TLS port but spec.tls is not set: calls go over plain HTTP, readable and changeable on the way (set spec.tls, or use port 2375 to say plain HTTP is meant)`,
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
      conditions: [
        { type: 'Ready', status: 'False', reason: probe.reason, message: `Docker Engine at ${endpoint} does not answer: ${probe.error}` },
      ],
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

/** Pure: the outcome of a reachable host with its helper image's state added (Ready is about the engine only). */
export function withHelperImage(
  out: ReconcileOutcome<DockerHostObserved>,
  helper: HelperImageStatus,
  recheckMs: number,
): ReconcileOutcome<DockerHostObserved> {
  const condition: ConditionInput =
    helper.state === 'Failed'
      ? {
          type: 'HelperImageReady',
          status: 'False',
          reason: helper.reason ?? 'Failed',
          message: helper.message ?? `${helper.image} is not on the host`,
        }
      : {
          type: 'HelperImageReady',
          status: 'True',
          reason: helper.state,
          message:
            helper.state === 'Present'
              ? `${helper.image} is on the host`
              : `${helper.image} ${helper.state.toLowerCase()} by the operator in ${helper.provisionMs} ms`,
        };
  return {
    ...out,
    observed: { ...out.observed, helperImage: helper },
    conditions: [...out.conditions, condition],
    // A failed provisioning is tried again (the provisioner answers from memory meanwhile).
    ...(helper.state === 'Failed' ? { requeueAfter: out.requeueAfter ?? recheckMs * 5 } : {}),
  };
}
