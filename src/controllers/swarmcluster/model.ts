/**
 * The SwarmCluster controller's view of the world, as plain data: what is desired (from the spec and
 * the DockerHosts), what was observed (each listed engine's `info()` and the managers' node list),
 * and the steps that move one towards the other. Everything here is data so that planning and
 * status are pure functions.
 */
import type { SwarmAvailability } from '../../crds/swarm-cluster.js';

export type SwarmRole = 'manager' | 'worker';

/** One listed node, resolved against its DockerHost. */
export interface DesiredNode {
  host: string;
  role: SwarmRole;
  availability: SwarmAvailability;
  /** The DockerHost's LAN address (used to recognise the node and to reach a manager on :2377). */
  address: string;
  /** What the engine advertises (an address or an interface name). */
  advertise: string;
}

export interface DesiredSwarm {
  nodes: DesiredNode[];
  prune: boolean;
  allowForceNewCluster: boolean;
}

/** The swarm part of one engine's `GET /info`. */
export interface EngineSwarm {
  localNodeState: 'inactive' | 'pending' | 'active' | 'error' | 'locked';
  nodeID?: string;
  /** True on managers (this engine holds the raft store). */
  controlAvailable: boolean;
  /** Only managers report the cluster id. */
  clusterID?: string;
  error?: string;
}

/** What one listed host's engine said, or that it did not answer. */
export type EngineObservation =
  | { host: string; reachable: true; engineVersion?: string; hostname?: string; swarm: EngineSwarm }
  | { host: string; reachable: false; error: string };

/** One entry of `docker node ls`, as a manager sees it. */
export interface SwarmNode {
  id: string;
  /** Swarm object version, needed for updates. */
  version: number;
  hostname: string;
  role: SwarmRole;
  availability: SwarmAvailability;
  state: 'unknown' | 'down' | 'ready' | 'disconnected';
  /** Node address (Status.Addr; a manager's may read 0.0.0.0, then ManagerStatus.Addr's host is used). */
  address?: string;
  engineVersion?: string;
  /** Managers only. */
  reachability?: 'unknown' | 'unreachable' | 'reachable';
  leader?: boolean;
  /** When the node object last changed (Docker's UpdatedAt), to tell a fresh Down from an old one. */
  updatedAt?: string;
  labels: Record<string, string>;
  /** The rest of the node spec, sent back unchanged on update. */
  spec: Record<string, unknown>;
}

/** The swarm as seen through one manager. */
export type ClusterObservation =
  /** No listed engine is a manager of any swarm. */
  | { kind: 'none' }
  | { kind: 'ok'; clusterID: string; managerHost: string; nodes: SwarmNode[] }
  /** A listed manager is in a swarm whose raft has no leader. */
  | { kind: 'quorum-lost'; clusterID?: string; managerHost: string; error: string };

export interface SwarmWorld {
  engines: Map<string, EngineObservation>;
  cluster: ClusterObservation;
}

/** Why a step is taken: a repair of drift (one `drift repaired` each) or a normal convergence step. */
export interface StepCause {
  /** CamelCase; the repair/event reason. */
  reason: string;
  /** What was found (for repairs) or why (for normal steps). */
  found: string;
  /** True when this fixes drift from a previously converged state; false for formation/spec changes. */
  repair: boolean;
}

export type SwarmCall =
  | { op: 'init'; host: string; advertise: string; forceNewCluster: boolean }
  | { op: 'leave'; host: string }
  | { op: 'join'; host: string; role: SwarmRole; advertise: string }
  | { op: 'set-role'; host: string; nodeID: string; role: SwarmRole }
  | { op: 'set-availability'; host: string; nodeID: string; availability: SwarmAvailability }
  | { op: 'remove-node'; host: string; nodeID: string; force: boolean };

/** One step of the plan: the engine calls that together fix one thing (e.g. leave + join + remove stale entry = one rejoin). */
export interface SwarmStep {
  cause: StepCause;
  host: string;
  calls: SwarmCall[];
  /** Human summary of what the calls do, for the repair/event record. */
  summary: string;
}

/** A problem that blocks convergence or needs a person; becomes part of the conditions. */
export interface Blocker {
  reason: string;
  message: string;
  /** QuorumLost and friends make Ready False on their own. */
  severity: 'degraded' | 'blocking';
}

export interface SwarmPlan {
  steps: SwarmStep[];
  blockers: Blocker[];
}
