/**
 * An in-memory swarm behind the SwarmApi interface, for unit tests of the reconciler: engines that
 * init/join/leave, one raft with node objects, rotating join tokens, and a log of mutating calls so
 * tests can assert that a converged swarm sees none. Only the behaviour the controller relies on is
 * modelled (no tasks, no raft timing).
 */
import { SwarmopError } from '../../src/errors.js';
import type { EngineSwarm, SwarmNode, SwarmRole } from '../../src/controllers/swarmcluster/model.js';
import type { EngineInfo, SwarmApi } from '../../src/controllers/swarmcluster/swarm-api.js';

interface FakeEngine {
  host: string;
  address: string;
  up: boolean;
  state: EngineSwarm['localNodeState'];
  nodeID?: string;
}

export class FakeSwarm {
  readonly engines = new Map<string, FakeEngine>();
  readonly nodes = new Map<string, SwarmNode>();
  clusterID: string | undefined;
  tokens = { worker: 'SWMTKN-w-1', manager: 'SWMTKN-m-1' };
  /** Mutating calls, e.g. `join consul01 worker SWMTKN-w-1`. */
  readonly calls: string[] = [];
  private seq = 0;

  addHost(host: string, address: string): this {
    this.engines.set(host, { host, address, up: true, state: 'inactive' });
    return this;
  }

  api(host: string): SwarmApi {
    const eng = () => {
      const e = this.engines.get(host);
      if (!e || !e.up) throw new SwarmopError('Unavailable', `${host}: connect ECONNREFUSED`);
      return e;
    };
    const managerEngine = () => {
      const e = eng();
      const n = e.nodeID ? this.nodes.get(e.nodeID) : undefined;
      if (e.state !== 'active' || n?.role !== 'manager') throw new SwarmopError('Internal', 'This node is not a swarm manager.');
      return e;
    };
    return {
      info: async (): Promise<EngineInfo> => {
        const e = eng();
        const n = e.nodeID ? this.nodes.get(e.nodeID) : undefined;
        const control = e.state === 'active' && n?.role === 'manager';
        const swarm: EngineSwarm = { localNodeState: e.state, controlAvailable: control };
        if (e.state === 'active' && e.nodeID) swarm.nodeID = e.nodeID;
        if (control && this.clusterID) swarm.clusterID = this.clusterID;
        return { engineVersion: '20.10.24', hostname: host, swarm };
      },
      init: async (o) => {
        const e = eng();
        this.calls.push(`init ${host}${o.forceNewCluster ? ' force' : ''}`);
        if (e.state === 'active' && !o.forceNewCluster) throw new SwarmopError('Internal', 'This node is already part of a swarm.');
        this.clusterID = `C${++this.seq}`;
        if (o.forceNewCluster) {
          for (const n of this.nodes.values()) if (n.role === 'manager' && n.id !== e.nodeID) this.nodes.delete(n.id);
          return e.nodeID!;
        }
        this.nodes.clear();
        return this.addNode(e, 'manager');
      },
      join: async (o) => {
        const e = eng();
        this.calls.push(`join ${host} ${o.joinToken}`);
        if (e.state === 'active') throw new SwarmopError('Internal', 'This node is already part of a swarm.');
        const role: SwarmRole | undefined =
          o.joinToken === this.tokens.manager ? 'manager' : o.joinToken === this.tokens.worker ? 'worker' : undefined;
        if (!role) throw new SwarmopError('Internal', 'rpc error: invalid join token');
        const managerAddrs = [...this.nodes.values()].filter((n) => n.role === 'manager').map((n) => `${n.address}:2377`);
        if (!o.remoteAddrs.some((a) => managerAddrs.includes(a)))
          throw new SwarmopError('Unavailable', 'timeout joining: no manager at remote addrs');
        this.addNode(e, role);
      },
      leave: async () => {
        const e = eng();
        this.calls.push(`leave ${host}`);
        if (e.nodeID) {
          const n = this.nodes.get(e.nodeID);
          if (n)
            Object.assign(n, { state: 'down', reachability: n.role === 'manager' ? 'unreachable' : undefined, version: n.version + 1 });
        }
        e.state = 'inactive';
        delete e.nodeID;
      },
      inspect: async () => {
        managerEngine();
        return { id: this.clusterID!, tokens: { ...this.tokens } };
      },
      listNodes: async () => {
        managerEngine();
        return [...this.nodes.values()].map((n) => structuredClone(n));
      },
      updateNode: async (node, change) => {
        managerEngine();
        const n = this.nodes.get(node.id);
        if (!n) throw new SwarmopError('NotFound', 'no such node');
        if (n.version !== node.version) throw new SwarmopError('Internal', 'update out of sequence');
        this.calls.push(`update ${n.hostname} ${change.role ?? ''}${change.availability ?? ''}`);
        // swarmkit's demotion check: a manager by spec must be in the raft member list.
        if (change.role === 'worker' && n.role === 'manager' && n.reachability === undefined) {
          throw new SwarmopError('NotFound', "rpc error: code = NotFound desc = can't find manager in raft memberlist");
        }
        if (change.role) {
          n.role = change.role;
          if (change.role === 'manager') Object.assign(n, { reachability: 'reachable', leader: false });
          else {
            delete n.reachability;
            delete n.leader;
          }
        }
        if (change.availability) n.availability = change.availability;
        n.version++;
      },
      removeNode: async (id) => {
        managerEngine();
        const n = this.nodes.get(id);
        this.calls.push(`rm ${n?.hostname ?? id}`);
        if (n?.role === 'manager' && n.reachability !== undefined) {
          throw new SwarmopError(
            'Internal',
            `node ${id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
          );
        }
        this.nodes.delete(id);
      },
    };
  }

  /** What a node whose engine lost its swarm state looks like: entry stays, engine forgets. */
  wipe(host: string): void {
    const e = this.engines.get(host)!;
    const n = e.nodeID ? this.nodes.get(e.nodeID) : undefined;
    if (n) Object.assign(n, { state: 'down', version: n.version + 1 });
    e.state = 'inactive';
    delete e.nodeID;
  }

  /** A promotion by hand of a node that is not running as a member (left or down): its spec says manager, raft never hears of it. */
  promoteOutsideRaft(nodeID: string): void {
    const n = this.nodes.get(nodeID)!;
    Object.assign(n, { role: 'manager', version: n.version + 1 });
    delete n.reachability;
    delete n.leader;
  }

  rotateTokens(): void {
    this.seq++;
    this.tokens = { worker: `SWMTKN-w-${this.seq}`, manager: `SWMTKN-m-${this.seq}` };
  }

  nodeOf(host: string): SwarmNode | undefined {
    const id = this.engines.get(host)?.nodeID;
    return id ? this.nodes.get(id) : undefined;
  }

  private addNode(e: FakeEngine, role: SwarmRole): string {
    const id = `n${++this.seq}-${e.host}`;
    const n: SwarmNode = {
      id,
      version: 1,
      hostname: e.host,
      role,
      availability: 'active',
      state: 'ready',
      address: e.address,
      labels: {},
      spec: {},
      engineVersion: '20.10.24',
    };
    if (role === 'manager') Object.assign(n, { reachability: 'reachable', leader: this.nodes.size === 0 });
    this.nodes.set(id, n);
    e.state = 'active';
    e.nodeID = id;
    return id;
  }
}
