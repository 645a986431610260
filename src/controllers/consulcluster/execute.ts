/** Carries out one planned step through the hosts' Docker APIs and the agents' HTTP APIs. */
import type Docker from 'dockerode';
import { SwarmopError } from '../../errors.js';
import type { HostHandle } from '../kind-reconciler.js';
import { putAgentConfigFile } from './agent-config-upload.js';
import { forceLeave, joinVia, leave, removeRaftPeer, type AgentHttpOptions } from '../../consul/agent-http.js';
import { reclaimNodeName } from './node-identity.js';
import { CONTAINER_DATA_DIR, type DesiredAgent } from './desired.js';
import type { Action } from './plan.js';
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
    stream = (await (docker.pull(image) as unknown as Promise<NodeJS.ReadableStream>));
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

/** Runs the action; returns what was done, in words, for the repair line / event. */
export async function execute(action: Action, hosts: (name: string) => HostHandle | undefined, o: ExecuteOptions): Promise<string> {
  switch (action.type) {
    case 'create': {
      await Promise.all(action.agents.map((a) => createAgent(hostOf(hosts, a.host), a, o)));
      return `created ${action.agents.map((a) => `${a.node} on ${a.host}`).join(', ')}`;
    }
    case 'recreate': {
      await createAgent(hostOf(hosts, action.agent.host), action.agent, o);
      return `recreated ${action.agent.container} on ${action.agent.host} (${action.agent.image})`;
    }
    case 'start': {
      const c = hostOf(hosts, action.agent.host).getContainer(action.containerId);
      if (action.paused) {
        await c.unpause();
        return `unpaused ${action.agent.container} on ${action.agent.host}`;
      }
      try {
        await c.start();
      } catch (err) {
        if (statusCode(err) !== 304) throw err;
      }
      return `started ${action.agent.container} on ${action.agent.host}`;
    }
    case 'restart': {
      await hostOf(hosts, action.agent.host).getContainer(action.containerId).restart({ t: o.stopTimeoutSec });
      return `restarted ${action.agent.container} on ${action.agent.host}`;
    }
    case 'join': {
      const others = action.alsoVia ?? [];
      const [main, ...rest] = await Promise.allSettled([joinVia(action.via, action.target, o.http), ...others.map((v) => joinVia(v, action.target, o.http))]);
      if (main!.status === 'rejected') throw main.reason;
      // The others only speed the spread up: one that fails is caught by a later reconcile.
      const joinedToo = others.filter((_, i) => rest[i]!.status === 'fulfilled');
      return `joined ${action.target} from ${action.via}${joinedToo.length ? ` (and from ${joinedToo.join(', ')})` : ''}`;
    }
    case 'replace': {
      const docker = hostOf(hosts, action.agent.host);
      await removeContainer(docker, action.containerId, o.stopTimeoutSec);
      await createAgent(docker, action.agent, o);
      return `replaced ${action.agent.container} on ${action.agent.host} with the new configuration (${action.agent.image})`;
    }
    case 'removeStray': {
      const c = action.container;
      const docker = hostOf(hosts, c.host);
      // Otherwise docker would start the agent again the moment it leaves.
      await docker.getContainer(c.id).update({ RestartPolicy: { Name: 'no' } });
      let how = 'removed without leave';
      if (action.leaveFirst && c.address) {
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
      await forceLeave(action.via, action.node, o.http);
      return `force-leave ${action.node} via ${action.via}`;
    }
    case 'removeRaftPeer': {
      await removeRaftPeer(action.via, action.id, o.http);
      return `removed raft peer ${action.node} (${action.address})`;
    }
    case 'reclaimNodeName': {
      await reclaimNodeName(action.via, action.node, action.nodeID, action.address, o.http);
      return `catalog entry of ${action.node} re-registered under node ID ${action.nodeID.slice(0, 8)}`;
    }
  }
}

export const REPAIR_REASON: Record<Exclude<Action['type'], 'create'>, string> = {
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
