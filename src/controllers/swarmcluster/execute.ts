/**
 * Runs one planned action's steps against the engines, in order. Engine-side steps (init, join,
 * leave) go to the node's own engine; node-object steps (role, availability, remove) go to a
 * manager. Join tokens and node versions are read fresh right before they are used, so a token
 * rotation or a concurrent node update never makes a stale write.
 */
import { SwarmopError } from '../../errors.js';
import type { SwarmAction, SwarmStep } from './model.js';
import { SWARM_PORT, type SwarmApi } from './swarm-api.js';

export interface ExecuteTarget {
  apiOf(host: string): SwarmApi | undefined;
  /** Host whose engine answers manager calls (node ls/update/rm, tokens). */
  managerHost?: string;
  /** Addresses (ip) of managers to join through, best first. */
  managerAddresses: string[];
}

export const LISTEN_ADDR = `0.0.0.0:${SWARM_PORT}`;

export async function executeAction(action: SwarmAction, target: ExecuteTarget): Promise<void> {
  for (const step of action.steps) await executeStep(step, target);
}

function engine(target: ExecuteTarget, host: string): SwarmApi {
  const api = target.apiOf(host);
  if (!api) throw new SwarmopError('Unavailable', `${host}: no Docker client`);
  return api;
}

function manager(target: ExecuteTarget): SwarmApi {
  if (!target.managerHost) throw new SwarmopError('Unavailable', 'no reachable swarm manager');
  return engine(target, target.managerHost);
}

export async function executeStep(step: SwarmStep, target: ExecuteTarget): Promise<void> {
  switch (step.op) {
    case 'init':
      await engine(target, step.host).init({ advertiseAddr: step.advertise, listenAddr: LISTEN_ADDR, forceNewCluster: step.forceNewCluster });
      return;
    case 'leave':
      await engine(target, step.host).leave(true);
      return;
    case 'join': {
      const { tokens } = await manager(target).inspect();
      const remoteAddrs = target.managerAddresses.map((a) => `${a}:${SWARM_PORT}`);
      if (remoteAddrs.length === 0) throw new SwarmopError('Unavailable', 'no manager address to join through');
      await engine(target, step.host).join({
        remoteAddrs,
        joinToken: step.role === 'manager' ? tokens.manager : tokens.worker,
        advertiseAddr: step.advertise,
        listenAddr: LISTEN_ADDR,
      });
      return;
    }
    case 'set-role':
    case 'set-availability': {
      const api = manager(target);
      const node = (await api.listNodes()).find((n) => n.id === step.nodeID);
      if (!node) throw new SwarmopError('NotFound', `node ${step.nodeID.slice(0, 12)} (${step.host}) is gone`);
      const change = step.op === 'set-role' ? { role: step.role } : { availability: step.availability };
      if ((step.op === 'set-role' && node.role === step.role) || (step.op === 'set-availability' && node.availability === step.availability)) return;
      await api.updateNode(node, change);
      return;
    }
    case 'remove-node':
      await manager(target).removeNode(step.nodeID, step.force);
      return;
  }
}
