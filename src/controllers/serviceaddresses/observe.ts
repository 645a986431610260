/**
 * What the controller asks a swarm manager: the service (its id and mode), its tasks and the node
 * list, behind an interface so the planner and reconciler are tested with fakes. The dockerode
 * implementation maps the Engine API's JSON (`/services`, `/tasks`, `/nodes`) to plain data.
 */
import type Docker from 'dockerode';
import { SwarmopError } from '../../errors.js';
import { engineMessage } from '../../docker/engine-message.js';

export type ServiceMode = 'replicated' | 'global';

export interface SwarmServiceInfo {
  id: string;
  name: string;
  mode: ServiceMode;
  /** A replicated service's desired number of tasks (Spec.Mode.Replicated.Replicas). */
  replicas?: number;
}

export interface SwarmTask {
  id: string;
  /** Replicated services only. */
  slot?: number;
  nodeID: string;
  /** Status.State: `running` is the only state whose container may hold an address. */
  state: string;
  desiredState: string;
  containerID?: string;
  /** RFC 3339; orders the tasks of one slot (older first). */
  createdAt: string;
}

export interface SwarmNodeInfo {
  id: string;
  hostname: string;
  address?: string;
}

export interface ServiceTasksApi {
  /** Undefined when the swarm has no such service. */
  service(name: string): Promise<SwarmServiceInfo | undefined>;
  tasks(serviceID: string): Promise<SwarmTask[]>;
  nodes(): Promise<SwarmNodeInfo[]>;
}

async function call<T>(host: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    throw new SwarmopError(status === undefined || status === 503 ? 'Unavailable' : 'Internal', `${host}: ${what}: ${engineMessage(err)}`, {
      cause: err,
    });
  }
}

/** The slice of the manager's API, through `docker` (a DockerHost's client). */
export function dockerServiceTasksApi(docker: Docker, host: string): ServiceTasksApi {
  return {
    service: (name) =>
      call(host, `service inspect ${name}`, async () => {
        try {
          const s = (await docker.getService(name).inspect()) as {
            ID: string;
            Spec?: { Name?: string; Mode?: { Global?: unknown; Replicated?: { Replicas?: number } } };
          };
          const global = s.Spec?.Mode?.Global !== undefined;
          const replicas = s.Spec?.Mode?.Replicated?.Replicas;
          return {
            id: s.ID,
            name: s.Spec?.Name ?? name,
            mode: global ? 'global' : 'replicated',
            ...(!global && typeof replicas === 'number' ? { replicas } : {}),
          };
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return undefined;
          throw err;
        }
      }),
    tasks: (serviceID) =>
      call(host, 'task ls', async () => {
        const raw = (await docker.listTasks({ filters: JSON.stringify({ service: [serviceID] }) })) as RawTask[];
        return raw.filter((t) => t.ServiceID === undefined || t.ServiceID === serviceID).map(taskFromApi);
      }),
    nodes: () =>
      call(host, 'node ls', async () => {
        const raw = (await docker.listNodes()) as { ID: string; Description?: { Hostname?: string }; Status?: { Addr?: string } }[];
        return raw.map((n) => ({
          id: n.ID,
          hostname: n.Description?.Hostname ?? '',
          ...(n.Status?.Addr && n.Status.Addr !== '0.0.0.0' ? { address: n.Status.Addr } : {}),
        }));
      }),
  };
}

interface RawTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
}

export function taskFromApi(t: RawTask): SwarmTask {
  const containerID = t.Status?.ContainerStatus?.ContainerID;
  return {
    id: t.ID,
    ...(typeof t.Slot === 'number' && t.Slot > 0 ? { slot: t.Slot } : {}),
    nodeID: t.NodeID ?? '',
    state: t.Status?.State ?? 'unknown',
    desiredState: t.DesiredState ?? 'unknown',
    ...(containerID ? { containerID } : {}),
    createdAt: t.CreatedAt ?? '',
  };
}
