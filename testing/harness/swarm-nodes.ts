/**
 * The swarm's node list as the engine returns it (GET /nodes), typed with the fields the lab tests,
 * e2e specs and benchmarks read: dockerode types it as any[].
 */
import type Docker from 'dockerode';

export interface NodeRow {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown> & { Role: string; Availability: string };
  Description: { Hostname: string };
  Status: { State: string };
  ManagerStatus?: { Reachability: string };
}

/** The node list through a manager's engine. */
export async function nodeRows(manager: Docker): Promise<NodeRow[]> {
  return (await manager.listNodes()) as NodeRow[];
}
