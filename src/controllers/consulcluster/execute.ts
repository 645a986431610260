/** Carries out one planned step through the hosts' Docker APIs and the agents' HTTP APIs. */
import type Docker from 'dockerode';
import { SwarmopError } from '../../errors.js';
import type { HostHandle } from '../kind-reconciler.js';
import { putAgentConfigFile } from './agent-config-upload.js';
import { forceLeave, joinVia, leave, removeRaftPeer, type AgentHttpOptions } from '../../consul/agent-http.js';
import { reclaimNodeName } from './node-identity.js';
import { CONTAINER_DATA_DIR, type DesiredAgent } from './desired.js';
import type { Step } from './plan.js';
import { engineMessage, engineText } from '../../docker/engine-message.js';

export interface ExecuteOptions {
  /** Seconds docker waits after SIGTERM before SIGKILL when stopping an agent. */
  stopTimeoutSec: number;
  pullTimeoutMs: number;
  http: AgentHttpOptions;
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** The host's engine could not pull the agent image: reported on the cluster, retried slowly, never a crash loop. */
export class ImagePullError extends SwarmopError {
  readonly image: string;
  readonly host: string;
  constructor(image: string, host: string, engineMessage: string, cause?: unknown) {
    super('Unavailable', `pull of ${image} on ${host} failed: ${engineMessage}`, cause === undefined ? undefined : { cause });
    this.image = image;
    this.host = host;
  }
}

/** Pull only when the host lacks the image (the lab loads it; real hosts may reach a registry). */
export async function ensureImage(docker: Docker, image: string, timeoutMs: number, host = 'the host'): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = await (docker.pull(image) as unknown as Promise<NodeJS.ReadableStream>);
  } catch (err) {
    throw new ImagePullError(image, host, engineMessage(err), err);
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(new ImagePullError(image, host, `did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
      clearTimeout(timer);
      // A pull that fails part-way reports it in the stream, not as an HTTP error.
      const failed = output?.find((o) => o.error !== undefined || o.errorDetail !== undefined);
      if (err) reject(new ImagePullError(image, host, engineMessage(err), err));
      else if (failed) reject(new ImagePullError(image, host, engineText(String(failed.errorDetail?.message ?? failed.error))));
      else resolve();
    });
  });
}

export async function createAgent(docker: Docker, agent: DesiredAgent, o: ExecuteOptions): Promise<string> {
  await ensureImage(docker, agent.image, o.pullTimeoutMs, agent.host);
  const imageUser = agent.configFile ? ((await docker.getImage(agent.image).inspect()).Config?.User ?? '') : '';
  const c = await docker.createContainer({
    name: agent.container,
    Image: agent.image,
    Cmd: agent.args,
    Labels: agent.labels,
    HostConfig: {
      NetworkMode: 'host',
      RestartPolicy: { Name: 'unless-stopped' },
      // The data dir lives on the host so a recreated agent keeps its node id and raft state.
      Binds: [`${agent.dataDir}:${CONTAINER_DATA_DIR}`],
    },
  });
  if (agent.configFile) {
    try {
      await putAgentConfigFile(c, imageUser, agent.configFile);
    } catch (err) {
      // An agent without its secrets must not start (it would gossip in the clear, or fail ACLs).
      await c.remove({ force: true }).catch(() => undefined);
      throw err;
    }
  }
  await c.start();
  return c.id;
}

export async function removeContainer(docker: Docker, id: string, stopTimeoutSec: number): Promise<void> {
  const c = docker.getContainer(id);
  try {
    await c.stop({ t: stopTimeoutSec });
  } catch (err) {
    // 409: dead or already being removed; the forced removal below settles it.
    if (![304, 404, 409].includes(statusCode(err) ?? 0)) throw err;
  }
  try {
    await c.remove({ force: true });
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
}

function hostOf(hosts: (name: string) => HostHandle | undefined, name: string): Docker {
  const h = hosts(name);
  if (!h) throw new SwarmopError('NotFound', `DockerHost ${name} not found`);
  return h.docker;
}

/** Runs the step; returns what was done, in words, for the repair line / event. */
export async function execute(step: Step, hosts: (name: string) => HostHandle | undefined, o: ExecuteOptions): Promise<string> {
  switch (step.type) {
    case 'create': {
      await Promise.all(step.agents.map((a) => createAgent(hostOf(hosts, a.host), a, o)));
      return `created ${step.agents.map((a) => `${a.node} on ${a.host}`).join(', ')}`;
    }
    case 'recreate': {
      await createAgent(hostOf(hosts, step.agent.host), step.agent, o);
      return `recreated ${step.agent.container} on ${step.agent.host} (${step.agent.image})`;
    }
    case 'start': {
      const c = hostOf(hosts, step.agent.host).getContainer(step.containerId);
      if (step.paused) {
        await c.unpause();
        return `unpaused ${step.agent.container} on ${step.agent.host}`;
      }
      try {
        await c.start();
      } catch (err) {
        if (statusCode(err) !== 304) throw err;
      }
      return `started ${step.agent.container} on ${step.agent.host}`;
    }
    case 'restart': {
      await hostOf(hosts, step.agent.host).getContainer(step.containerId).restart({ t: o.stopTimeoutSec });
      return `restarted ${step.agent.container} on ${step.agent.host}`;
    }
    case 'join': {
      const others = step.alsoVia ?? [];
      const [main, ...rest] = await Promise.allSettled([
        joinVia(step.via, step.target, o.http),
        ...others.map((v) => joinVia(v, step.target, o.http)),
      ]);
      if (main!.status === 'rejected') throw main.reason;
      // The others only speed the spread up: one that fails is caught by a later reconcile.
      const joinedToo = others.filter((_, i) => rest[i]!.status === 'fulfilled');
      return `joined ${step.target} from ${step.via}${joinedToo.length ? ` (and from ${joinedToo.join(', ')})` : ''}`;
    }
    case 'replace': {
      const docker = hostOf(hosts, step.agent.host);
      await removeContainer(docker, step.containerId, o.stopTimeoutSec);
      await createAgent(docker, step.agent, o);
      return `replaced ${step.agent.container} on ${step.agent.host} with the new configuration (${step.agent.image})`;
    }
    case 'removeStray': {
      const c = step.container;
      const docker = hostOf(hosts, c.host);
      // Otherwise docker would start the agent again the moment it leaves.
      await docker.getContainer(c.id).update({ RestartPolicy: { Name: 'no' } });
      let how = 'removed without leave';
      if (step.leaveFirst && c.address) {
        try {
          await leave(c.address, o.http);
          how = 'left gracefully and removed';
        } catch {
          how = 'leave failed; removed';
        }
      }
      await removeContainer(docker, c.id, o.stopTimeoutSec);
      return `${c.member ?? c.name} on ${c.host} ${how}`;
    }
    case 'forceLeave': {
      await forceLeave(step.via, step.node, o.http);
      return `force-leave ${step.node} via ${step.via}`;
    }
    case 'removeRaftPeer': {
      await removeRaftPeer(step.via, step.id, o.http);
      return `removed raft peer ${step.node} (${step.address})`;
    }
    case 'reclaimNodeName': {
      await reclaimNodeName(step.via, step.node, step.nodeID, step.address, o.http);
      return `catalog entry of ${step.node} re-registered under node ID ${step.nodeID.slice(0, 8)}`;
    }
  }
}

export const REPAIR_REASON: Record<Exclude<Step['type'], 'create'>, string> = {
  recreate: 'ContainerRecreated',
  start: 'ContainerStarted',
  restart: 'AgentRestarted',
  join: 'MemberRejoined',
  replace: 'ContainerReplaced',
  removeStray: 'MemberRemoved',
  forceLeave: 'MemberForceLeft',
  removeRaftPeer: 'RaftPeerRemoved',
  reclaimNodeName: 'NodeIDReclaimed',
};
