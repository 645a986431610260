/**
 * The DockerHost's line in the adoption report: the DockerHost reconciler itself, built without a
 * helper image provisioner (its only write: putting the network helper's image on the host), run
 * once against the host's read-only client. What the operator's provisioner would do is asked of
 * it with reads only (HelperImageProvisioner.decide).
 */
import type { DockerHost } from '../../crds/index.js';
import type { HelperImageProvisioner } from '../../nethelper/helper-image.js';
import type { AdoptionFinding } from '../adoption-finding.js';
import type { Hosts, KindReconcileContext } from '../kind-reconciler.js';
import { createDockerHostReconciler } from './reconciler.js';

export interface DockerHostAdoptionContext {
  hosts: Hosts;
  /** The provisioner the operator would run (only its read-only `decide` is called). */
  helperImages?: Pick<HelperImageProvisioner, 'decide'>;
  probeTimeoutMs?: number;
  now?: () => Date;
}

/** The finding, and whether the engine answered (the other kinds' lines on this host depend on it). */
export async function assessDockerHostAdoption(
  host: DockerHost,
  ctx: DockerHostAdoptionContext,
): Promise<{ finding: AdoptionFinding; reachable: boolean }> {
  const reconciler = createDockerHostReconciler(ctx.probeTimeoutMs !== undefined ? { probeTimeoutMs: ctx.probeTimeoutMs } : {});
  let reachable = false;
  const hosts: Hosts = {
    get: (n) => ctx.hosts.get(n),
    list: () => ctx.hosts.list(),
    reportProbe: (_n, answered) => {
      reachable = answered;
    },
  };
  const out = await reconciler.reconcile(host, reportContext(hosts, ctx.now));
  const base = { kind: 'DockerHost' as const, name: host.metadata.name, host: host.metadata.name };
  const ready = out.conditions.find((c) => c.type === 'Ready');
  const warnings = out.conditions.filter((c) => c.type !== 'Ready' && c.status === 'False').map((c) => `${c.reason}: ${c.message}`);
  if (!reachable || ready?.status !== 'True') {
    return {
      finding: {
        ...base,
        verdict: 'unreachable',
        reason: ready?.reason ?? 'Unreachable',
        message: ready?.message ?? '',
        found: warnings,
        steps: [],
      },
      reachable: false,
    };
  }
  const found = [ready.message, ...warnings];
  const steps: string[] = [];
  const handle = ctx.hosts.get(host.metadata.name);
  if (ctx.helperImages && handle) {
    const d = await ctx.helperImages.decide({ name: handle.name, docker: handle.docker });
    if (d.action === 'none') found.push(`network helper image ${d.status.image} is on the host`);
    else if (d.action === 'refuse') found.push(`network helper image: ${d.status.reason ?? 'Failed'}: ${d.status.message ?? ''}`);
    else if (d.action === 'import' || d.action === 'pull')
      steps.push(`${d.action} the network helper image ${d.image} (the operator provisions it on every reachable host)`);
  }
  return { finding: { ...base, verdict: steps.length > 0 ? 'would-change' : 'adopt-as-is', found, steps }, reachable: true };
}

/** A reconcile context for one read-only pass: no cache, and a repair or event would be a bug here. */
function reportContext(hosts: Hosts, now: () => Date = () => new Date()): KindReconcileContext {
  const refuse = (): Promise<void> => Promise.reject(new Error('the adoption report records no repair or event'));
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
  return {
    log: silent as unknown as KindReconcileContext['log'],
    signal: new AbortController().signal,
    reconcileId: 'adopt-dry-run',
    hosts,
    cache: { get: () => undefined, list: () => [], byIndex: () => [] },
    repaired: refuse,
    event: refuse,
    now,
  };
}
