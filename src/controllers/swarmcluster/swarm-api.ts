/**
 * SwarmApi: the swarm-mode slice of one engine's API (what `docker swarm …` / `docker node …` do),
 * behind an interface so the executor and observer can be unit-tested with a fake. The dockerode
 * implementation maps the Engine API's JSON into the model's plain data.
 */
import type Docker from 'dockerode';
import type { SwarmAvailability } from '../../crds/swarm-cluster.js';
import { SwarmopError } from '../../errors.js';
import type { EngineSwarm, SwarmNode, SwarmRole } from './model.js';
import { engineMessage } from '../../docker/engine-message.js';

export interface EngineInfo {
  engineVersion?: string;
  hostname?: string;
  swarm: EngineSwarm;
}

export interface JoinTokens {
  worker: string;
  manager: string;
}

export interface SwarmApi {
  info(): Promise<EngineInfo>;
  /** Returns the new node id. */
  init(options: { advertiseAddr: string; listenAddr: string; forceNewCluster: boolean }): Promise<string>;
  join(options: { remoteAddrs: string[]; joinToken: string; advertiseAddr: string; listenAddr: string }): Promise<void>;
  leave(force: boolean): Promise<void>;
  /** Managers only: the swarm id and the current join tokens. */
  inspect(): Promise<{ id: string; tokens: JoinTokens }>;
  /** Managers only. */
  listNodes(): Promise<SwarmNode[]>;
  /** Managers only: writes the node spec at `version` with role/availability replaced. */
  updateNode(node: SwarmNode, change: { role?: SwarmRole; availability?: SwarmAvailability }): Promise<void>;
  removeNode(nodeID: string, force: boolean): Promise<void>;
}

/** Port swarm managers listen on for joins. */
export const SWARM_PORT = 2377;

interface RawNode {
  ID: string;
  Version?: { Index?: number };
  UpdatedAt?: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string } & Record<string, unknown>;
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

const STATES = new Set(['unknown', 'down', 'ready', 'disconnected']);
const LOCAL_STATES = new Set(['inactive', 'pending', 'active', 'error', 'locked']);

export function nodeFromApi(raw: RawNode): SwarmNode {
  const spec = { ...(raw.Spec ?? {}) };
  const state = raw.Status?.State ?? 'unknown';
  const statusAddr = raw.Status?.Addr;
  const managerAddr = raw.ManagerStatus?.Addr?.replace(/:\d+$/, '');
  const n: SwarmNode = {
    id: raw.ID,
    version: raw.Version?.Index ?? 0,
    hostname: raw.Description?.Hostname ?? '',
    role: raw.Spec?.Role === 'manager' ? 'manager' : 'worker',
    availability: (raw.Spec?.Availability as SwarmAvailability | undefined) ?? 'active',
    state: (STATES.has(state) ? state : 'unknown') as SwarmNode['state'],
    labels: raw.Spec?.Labels ?? {},
    spec,
  };
  // Docker shows 0.0.0.0 as Status.Addr of some managers; their raft address is the real one.
  const addr = statusAddr && statusAddr !== '0.0.0.0' ? statusAddr : managerAddr;
  if (addr) n.address = addr;
  if (raw.Description?.Engine?.EngineVersion) n.engineVersion = raw.Description.Engine.EngineVersion;
  if (raw.ManagerStatus) {
    n.reachability = (raw.ManagerStatus.Reachability as SwarmNode['reachability']) ?? 'unknown';
    n.leader = raw.ManagerStatus.Leader === true;
  }
  if (raw.UpdatedAt) n.updatedAt = raw.UpdatedAt;
  return n;
}

export function engineInfoFromApi(raw: Record<string, any>): EngineInfo {
  const s = (raw.Swarm ?? {}) as Record<string, any>;
  const state = String(s.LocalNodeState ?? 'inactive');
  const swarm: EngineSwarm = {
    localNodeState: (LOCAL_STATES.has(state) ? state : 'error') as EngineSwarm['localNodeState'],
    controlAvailable: s.ControlAvailable === true,
  };
  if (s.NodeID) swarm.nodeID = String(s.NodeID);
  if (s.Cluster?.ID) swarm.clusterID = String(s.Cluster.ID);
  if (s.Error) swarm.error = String(s.Error);
  const info: EngineInfo = { swarm };
  if (raw.ServerVersion) info.engineVersion = String(raw.ServerVersion);
  if (raw.Name) info.hostname = String(raw.Name);
  return info;
}

/** Engine API errors carry the daemon's message in `json.message`; keep that (cut and cleaned), not the HTTP noise. */
export function apiMessage(err: unknown): string {
  return engineMessage(err);
}

function wrap(what: string, err: unknown): SwarmopError {
  const status = (err as { statusCode?: number })?.statusCode;
  const code = status === undefined || status === 503 ? 'Unavailable' : 'Internal';
  return new SwarmopError(code, `${what}: ${apiMessage(err)}`, { cause: err });
}

export function dockerSwarmApi(docker: Docker, host: string): SwarmApi {
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw wrap(`${host}: ${what}`, err);
    }
  };
  return {
    info: () => call('info', async () => engineInfoFromApi((await docker.info()) as Record<string, any>)),
    init: (o) =>
      call('swarm init', async () => {
        const id = await docker.swarmInit({ ListenAddr: o.listenAddr, AdvertiseAddr: o.advertiseAddr, ForceNewCluster: o.forceNewCluster });
        return String(id)
          .replace(/^"|"\s*$/g, '')
          .trim();
      }),
    join: (o) =>
      call('swarm join', async () => {
        await docker.swarmJoin({
          RemoteAddrs: o.remoteAddrs,
          JoinToken: o.joinToken,
          ListenAddr: o.listenAddr,
          AdvertiseAddr: o.advertiseAddr,
        });
      }),
    leave: (force) =>
      call('swarm leave', async () => {
        try {
          await docker.swarmLeave({ force });
        } catch (err) {
          // Already out: leaving is idempotent for us.
          if ((err as { statusCode?: number }).statusCode === 503 && /not part of a swarm/i.test(apiMessage(err))) return;
          if ((err as { statusCode?: number }).statusCode === 406) return;
          throw err;
        }
      }),
    inspect: () =>
      call('swarm inspect', async () => {
        const s = (await docker.swarmInspect()) as { ID: string; JoinTokens: { Worker: string; Manager: string } };
        return { id: s.ID, tokens: { worker: s.JoinTokens.Worker, manager: s.JoinTokens.Manager } };
      }),
    listNodes: () => call('node ls', async () => ((await docker.listNodes()) as RawNode[]).map(nodeFromApi)),
    updateNode: (node, change) =>
      call(`node update ${node.id.slice(0, 12)}`, async () => {
        const body = { ...node.spec, Role: change.role ?? node.role, Availability: change.availability ?? node.availability };
        await docker.getNode(node.id).update({ _query: { version: node.version }, _body: body } as never);
      }),
    removeNode: (nodeID, force) =>
      call(`node rm ${nodeID.slice(0, 12)}`, async () => {
        try {
          await docker.getNode(nodeID).remove({ force });
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return;
          throw err;
        }
      }),
  };
}
