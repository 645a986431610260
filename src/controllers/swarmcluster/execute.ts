/**
 * Runs one planned step's engine calls, in order. Engine-side calls (init, join,
 * leave) go to the node's own engine; node-object calls (role, availability, remove) go to a
 * manager. Join tokens and node versions are read fresh right before they are used, so a token
 * rotation or a concurrent node update never makes a stale write.
 */
import { SwarmopError } from '../../errors.js';
import type { SwarmStep, SwarmCall } from './model.js';
import { SWARM_PORT, type SwarmApi } from './swarm-api.js';

export interface ExecuteTarget {
  apiOf(host: string): SwarmApi | undefined;
  /** Host whose engine answers manager calls (node ls/update/rm, tokens). */
  managerHost?: string;
  /** Addresses (ip) of managers to join through, best first. */
  managerAddresses: string[];
}

export const LISTEN_ADDR = `0.0.0.0:${SWARM_PORT}`;

export async function executeStep(step: SwarmStep, target: ExecuteTarget): Promise<void> {
  for (const call of step.calls) await executeCall(call, target);
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

export async function executeCall(call: SwarmCall, target: ExecuteTarget): Promise<void> {
  switch (call.op) {
    case 'init':
      await engine(target, call.host).init({
        advertiseAddr: call.advertise,
        listenAddr: LISTEN_ADDR,
        forceNewCluster: call.forceNewCluster,
      });
      return;
    case 'leave':
      await engine(target, call.host).leave(true);
      return;
    case 'join': {
      const { tokens } = await manager(target).inspect();
      const remoteAddrs = target.managerAddresses.map((a) => `${a}:${SWARM_PORT}`);
      if (remoteAddrs.length === 0) throw new SwarmopError('Unavailable', 'no manager address to join through');
      await engine(target, call.host).join({
        remoteAddrs,
        joinToken: call.role === 'manager' ? tokens.manager : tokens.worker,
        advertiseAddr: call.advertise,
        listenAddr: LISTEN_ADDR,
      });
      return;
    }
    case 'set-role':
    case 'set-availability': {
      const api = manager(target);
      const node = (await api.listNodes()).find((n) => n.id === call.nodeID);
      if (!node) throw new SwarmopError('NotFound', `node ${call.nodeID.slice(0, 12)} (${call.host}) is gone`);
      const change = call.op === 'set-role' ? { role: call.role } : { availability: call.availability };
      if (
        (call.op === 'set-role' && node.role === call.role) ||
        (call.op === 'set-availability' && node.availability === call.availability)
      )
        return;
      await api.updateNode(node, change);
      return;
    }
    case 'remove-node':
      await manager(target).removeNode(call.nodeID, call.force);
      return;
  }
}
