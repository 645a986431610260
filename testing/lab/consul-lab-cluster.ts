/**
 * Test support for the ConsulCluster lab integration suites: one real cluster of Consul agents
 * on the lab's three hosts under a per-run name and data dir, reconciled the way the operator does
 * it, with the clean-up the suites share. Only test files import it.
 */
import assert from 'node:assert/strict';
import type Docker from 'dockerode';
import type { ConsulCluster, ConsulClusterSpec } from '../../src/crds/consul-cluster.js';
import { enginesProblem, patiently } from './lab-precondition.js';
import { LAB_HOSTS, dockerFor, type RecordingContext } from '../util/reconcile-context.js';
import type { ReconcileOutcome } from '../../src/controllers/kind-reconciler.js';
import type { ConsulClusterObserved, ConsulClusterReconciler } from '../../src/controllers/consulcluster/index.js';
import { CLUSTER_LABEL, containerName } from '../../src/controllers/consulcluster/labels.js';

export type Outcome = ReconcileOutcome<ConsulClusterObserved>;

export const ready = (o: Outcome): boolean => o.conditions.find((c) => c.type === 'Ready')?.status === 'True';

/** The fixtures of one suite's cluster, named NAME (its agents, data dir and clean-up are this run's only). */
export function labConsulCluster(NAME: string) {
  const IMAGE = process.env.SWARMOP_CONSUL_IMAGE ?? 'hashicorp/consul:1.8.7';
  const DATA_ROOT = '/var/lib/swarmop/consul';
  const RUN = `${NAME}-${process.pid}`;
  const dockers = new Map(LAB_HOSTS.map((h) => [h.name, dockerFor(h)]));
  const docker = (host: string): Docker => dockers.get(host)!;

  async function labProblem(): Promise<string | undefined> {
    const unreachable = await enginesProblem(LAB_HOSTS.map((h) => ({ ...h, docker: docker(h.name) })));
    if (unreachable) return unreachable;
    for (const h of LAB_HOSTS) {
      const missing = await patiently(() => docker(h.name).getImage(IMAGE).inspect(), { attempts: 2 });
      if (missing) return `image ${IMAGE} missing on ${h.name} (${missing})`;
    }
    return undefined;
  }

  /**
   * Agents run with --net host: another ConsulCluster's agent on a host (a leftover of a run that is
   * over: lab suites run one at a time) would own the ports. Removed, and named in the log.
   */
  async function removeForeignAgents(): Promise<void> {
    for (const h of LAB_HOSTS) {
      const list = await docker(h.name).listContainers({ all: true, filters: { label: [CLUSTER_LABEL] } });
      for (const c of list.filter((x) => x.Labels[CLUSTER_LABEL] !== NAME)) {
        console.log(`# removing leftover agent ${c.Names[0]} of ConsulCluster ${c.Labels[CLUSTER_LABEL]} on ${h.name}`);
        await docker(h.name).getContainer(c.Id).remove({ force: true });
      }
    }
  }
  function resource(over: Partial<ConsulClusterSpec> = {}, generation = 1): ConsulCluster {
    const spec: ConsulClusterSpec = {
      datacenter: 'itdc',
      image: IMAGE,
      ui: true,
      servers: LAB_HOSTS.map((h) => ({ host: h.name, node: h.name })),
      bootstrapExpect: 3,
      dataDir: `${DATA_ROOT}/${RUN}`,
      retryInterval: '2s',
      ...over,
    };
    return { apiVersion: 'swarmop.io/v1alpha1', kind: 'ConsulCluster', metadata: { name: NAME, uid: RUN, generation }, spec };
  }

  /** Reconciles like the operator would (honouring requeueAfter) until `done`, or fails after timeoutMs. */
  async function reconcileUntil(
    rec: ConsulClusterReconciler,
    r: ConsulCluster,
    ctx: RecordingContext,
    done: (o: Outcome) => boolean,
    timeoutMs = 90_000,
  ): Promise<{ outcome: Outcome; ms: number; rounds: number }> {
    const start = Date.now();
    let last: Outcome | undefined;
    let rounds = 0;
    while (Date.now() - start < timeoutMs) {
      last = await rec.reconcile(r, ctx);
      rounds++;
      if (done(last)) return { outcome: last, ms: Date.now() - start, rounds };
      await new Promise((res) => setTimeout(res, Math.min(last!.requeueAfter ?? 500, 500)));
    }
    assert.fail(`not converged after ${timeoutMs} ms; last conditions: ${JSON.stringify(last?.conditions)}`);
  }

  async function agentContainer(host: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await docker(host).getContainer(containerName(NAME)).inspect();
    } catch {
      return undefined;
    }
  }

  async function removeAll(): Promise<void> {
    for (const h of LAB_HOSTS) {
      const list = await docker(h.name)
        .listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=${NAME}`] } })
        .catch(() => []);
      for (const c of list)
        await docker(h.name)
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
  }

  /** Removes this run's data dirs on the hosts (through a short-lived container of the same image). */
  async function removeDataDirs(): Promise<void> {
    for (const h of LAB_HOSTS) {
      const d = docker(h.name);
      const c = await d.createContainer({
        Image: IMAGE,
        Entrypoint: ['rm', '-rf', `/data/${RUN}`],
        Labels: { 'io.swarmop.lab': '1', [`${CLUSTER_LABEL}-cleanup`]: NAME },
        HostConfig: { Binds: [`${DATA_ROOT}:/data`] },
      });
      await c.start();
      await c.wait();
      await c.remove({ force: true });
    }
  }

  return {
    IMAGE,
    NAME,
    RUN,
    DATA_ROOT,
    docker,
    labProblem,
    removeForeignAgents,
    resource,
    reconcileUntil,
    agentContainer,
    removeAll,
    removeDataDirs,
  };
}
