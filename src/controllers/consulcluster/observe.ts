/** Reads the world for one ConsulCluster: its labelled containers on every host, and each agent's view. */
import type Docker from 'dockerode';
import type { HostHandle } from '../kind-reconciler.js';
import { readAgentView, readAutopilotHealth, readWanView, type AgentHttpOptions } from '../../consul/agent-http.js';
import { chooseReference } from './analysis.js';
import { readNodeIdentity } from './node-identity.js';
import type { DesiredAgent } from './desired.js';
import { CLUSTER_LABEL, CONFIG_HASH_LABEL, MEMBER_LABEL, ROLE_LABEL } from './labels.js';
import type { ClusterObservation, ContainerObservation, WanView } from './model.js';

export interface ObserveOptions {
  /** Give up on a host's Docker API after this long (ms); the host counts as unreachable. */
  dockerTimeoutMs: number;
  http: AgentHttpOptions;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The value after `flag` in an argument list. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

const NEVER_STARTED = '0001-01-01T00:00:00Z';

async function clusterContainers(docker: Docker, host: string, cluster: string): Promise<ContainerObservation[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${CLUSTER_LABEL}=${cluster}`] } });
  const out: ContainerObservation[] = [];
  for (const c of list) {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await docker.getContainer(c.Id).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) continue; // removed meanwhile
      throw err;
    }
    const labels = info.Config.Labels ?? {};
    const started = info.State.StartedAt;
    out.push({
      host,
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      state: info.State.Status,
      configHash: labels[CONFIG_HASH_LABEL],
      member: labels[MEMBER_LABEL],
      role: labels[ROLE_LABEL],
      address: flagValue(info.Config.Cmd ?? [], '-bind'),
      startedAt: started && started !== NEVER_STARTED ? Date.parse(started) : undefined,
    });
  }
  return out;
}

export async function observeCluster(
  cluster: string,
  desired: readonly DesiredAgent[],
  hosts: readonly HostHandle[],
  o: ObserveOptions,
): Promise<ClusterObservation> {
  const unreachableHosts: string[] = [];
  const perHost = await Promise.all(
    hosts.map(async (h) => {
      try {
        // A host whose event stream is down is still asked (it is the truth), just not waited for long.
        const ms = h.ready ? o.dockerTimeoutMs : Math.min(o.dockerTimeoutMs, 1500);
        return await withTimeout(clusterContainers(h.docker, h.name, cluster), ms, `docker on ${h.name}`);
      } catch {
        unreachableHosts.push(h.name);
        return [];
      }
    }),
  );
  const containers = perHost.flat();
  const addresses = new Set<string>(desired.map((d) => d.address).filter((a) => a !== ''));
  for (const c of containers) if (c.address && c.state === 'running') addresses.add(c.address);
  for (const d of desired) if (!hosts.some((h) => h.name === d.host)) unreachableHosts.push(d.host);
  const views = await Promise.all(
    [...addresses].map(async (a) => {
      const view = await readAgentView(a, o.http);
      if (!view.reachable) return view;
      const id = await readNodeIdentity(a, o.http);
      return id ? { ...view, identity: { nodeID: id.nodeID, ...(id.catalogNodeID ? { catalogNodeID: id.catalogNodeID } : {}) } } : view;
    }),
  );
  // Autopilot's health comes from the agent everything is judged by (the leader's, normally). Without
  // a leader it cannot answer (the request waits for one): not asked, its verdict is unknown.
  const reference = chooseReference(views);
  if (reference && reference.leader !== '') {
    const autopilot = await readAutopilotHealth(reference.address, o.http);
    if (autopilot) reference.autopilot = autopilot;
  }
  return { containers, unreachableHosts: [...new Set(unreachableHosts)], views };
}

/** The WAN views of the given servers, each asked with its own cluster's tokens, in parallel. */
export function observeWan(servers: readonly { address: string; http: AgentHttpOptions }[]): Promise<WanView[]> {
  return Promise.all(servers.map((s) => readWanView(s.address, s.http)));
}
