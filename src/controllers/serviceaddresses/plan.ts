/**
 * The pure slot planner: the service's tasks, the swarm's nodes and the addresses -> which task
 * holds which address, which earlier holders must let go, and which tasks got none.
 *
 * - Replicated: slot N of a fresh service gets addresses[N-1]; a slot keeps its address while it
 *   lives, and after a scale-down removed another slot a slot without one gets the first free
 *   address (see assignReplicated). A task with no free address gets nothing (AddressesExhausted);
 *   an address is never given to two slots.
 * - Global: one address per node, keyed by hostname. A node keeps the address it was given while it
 *   stays in the swarm; a node new to the service gets the first free address, nodes taken in
 *   hostname order, so the assignment is deterministic.
 * - Only a `running` task holds an address. Two running tasks of one slot (a start-first update):
 *   the one already holding it keeps it, else the older; the newer gets it once the older is no
 *   longer running (and, when its host answers, its interface was removed first).
 */
import type { SlotStatus } from '../../crds/index.js';
import type { ServiceMode, SwarmNodeInfo, SwarmTask } from './observe.js';

export interface PlannedHolder {
  task: SwarmTask;
  node: SwarmNodeInfo | undefined;
  /** DockerHost running the node; undefined when no DockerHost of the swarm is that node. */
  host: string | undefined;
  /** Name of the task's container (`<service>.<slot or node id>.<task id>`, Swarm's naming). */
  container: string;
}

export interface PlannedSlot {
  key: string;
  address: string;
  holder?: PlannedHolder;
  /** Running tasks of the slot that wait for the holder to stop (start-first update), older first. */
  waiting: PlannedHolder[];
  /** The earlier holder (from status) when it is not this run's holder: it lets go first. */
  release?: SlotStatus;
}

export interface SlotPlan {
  slots: PlannedSlot[];
  /** Running tasks without an address (more tasks than addresses). */
  exhausted: PlannedHolder[];
  /** Earlier holders of slots that no longer exist (address removed from the spec). */
  orphans: SlotStatus[];
}

export interface SlotPlanInput {
  service: string;
  mode: ServiceMode;
  addresses: readonly string[];
  tasks: readonly SwarmTask[];
  nodes: readonly SwarmNodeInfo[];
  hostOf: (node: SwarmNodeInfo) => string | undefined;
  previous: readonly SlotStatus[];
}

const byAge = (a: SwarmTask, b: SwarmTask): number =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1;

export function planSlots(input: SlotPlanInput): SlotPlan {
  const nodes = new Map(input.nodes.map((n) => [n.id, n]));
  const holderOf = (t: SwarmTask): PlannedHolder => {
    const node = nodes.get(t.nodeID);
    const middle = input.mode === 'replicated' ? String(t.slot ?? 0) : t.nodeID;
    return { task: t, node, host: node ? input.hostOf(node) : undefined, container: `${input.service}.${middle}.${t.id}` };
  };
  const running = input.tasks.filter((t) => t.state === 'running').sort(byAge);
  // Tasks per slot key (replicated: the slot number; global: the node's hostname).
  const groups = new Map<string, SwarmTask[]>();
  for (const t of running) {
    const key = input.mode === 'replicated' ? String(t.slot ?? 0) : (nodes.get(t.nodeID)?.hostname ?? `node:${t.nodeID}`);
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const keyOfAddress = input.mode === 'replicated' ? assignReplicated(input, groups) : assignGlobal(input, groups);
  const previous = new Map(input.previous.map((p) => [p.slot, p]));
  const slots: PlannedSlot[] = [];
  const used = new Set<string>();
  input.addresses.forEach((address, i) => {
    const key = keyOfAddress[i];
    const prev = key !== undefined ? previous.get(key) : undefined;
    if (key === undefined) {
      // No slot holds it now: its earlier holder (a slot scaled away) lets go.
      const earlier = input.previous.find((p) => p.address === address && p.containerID !== undefined && p.host !== undefined);
      if (earlier && !used.has(earlier.slot)) {
        used.add(earlier.slot);
        slots.push({ key: earlier.slot, address, waiting: [], release: earlier });
      } else slots.push({ key: `unassigned-${i + 1}`, address, waiting: [] });
      return;
    }
    used.add(key);
    const tasks = groups.get(key) ?? [];
    const keep = prev?.taskID !== undefined && prev.address === address ? tasks.find((t) => t.id === prev.taskID) : undefined;
    const chosen = keep ?? tasks[0];
    const slot: PlannedSlot = { key, address, waiting: tasks.filter((t) => t !== chosen).map(holderOf) };
    if (chosen) slot.holder = holderOf(chosen);
    // The earlier holder lets go when another task (or none) holds the slot now, or its address changed;
    // and whoever held this address before (another slot, scaled away) lets go before a new slot gets it.
    const before = input.previous.find((p) => p.address === address && p.slot !== key);
    if (prev?.containerID !== undefined && prev.host !== undefined && (prev.taskID !== chosen?.id || prev.address !== address))
      slot.release = prev;
    else if (before?.containerID !== undefined && before.host !== undefined && before.taskID !== chosen?.id) slot.release = before;
    slots.push(slot);
  });
  const exhausted = [...groups.entries()].filter(([k]) => !used.has(k)).flatMap(([, ts]) => ts.map(holderOf));
  const orphans = input.previous.filter((p) => p.containerID !== undefined && p.host !== undefined && !slots.some((s) => s.key === p.slot));
  return { slots, exhausted, orphans };
}

/**
 * Replicated services: the slot holding each address. A fresh service's slot N gets the Nth
 * address. Swarm does not renumber slots: a scale-down may remove any slot (2 of 1..3), so a slot
 * keeps the address the previous status gave it while the slot lives (a task of it is meant to
 * run), and a slot running a task without one gets the first free address, lowest slot first.
 */
function assignReplicated(input: SlotPlanInput, groups: Map<string, SwarmTask[]>): (string | undefined)[] {
  const live = new Set(input.tasks.filter((t) => t.desiredState === 'running' || t.state === 'running').map((t) => String(t.slot ?? 0)));
  const out: (string | undefined)[] = input.addresses.map(() => undefined);
  const taken = new Set<string>();
  for (const p of input.previous) {
    const i = input.addresses.indexOf(p.address);
    if (i >= 0 && out[i] === undefined && live.has(p.slot) && !taken.has(p.slot)) {
      out[i] = p.slot;
      taken.add(p.slot);
    }
  }
  // Without a previous status (a fresh object, or one whose status was lost) slot N takes the Nth address.
  for (let i = 0; i < out.length; i++) {
    const own = String(i + 1);
    if (out[i] === undefined && groups.has(own) && !taken.has(own) && !input.previous.some((p) => p.slot === own && p.address)) {
      out[i] = own;
      taken.add(own);
    }
  }
  const waiting = [...groups.keys()].filter((k) => !taken.has(k)).sort((a, b) => Number(a) - Number(b));
  for (let i = 0; i < out.length && waiting.length > 0; i++) if (out[i] === undefined) out[i] = waiting.shift();
  return out;
}

/**
 * Global services: the hostname holding each address. Nodes keep the address the previous status
 * gave them while they are still in the swarm; nodes running a task and holding none get the free
 * addresses in order, taken by hostname.
 */
function assignGlobal(input: SlotPlanInput, groups: Map<string, SwarmTask[]>): (string | undefined)[] {
  const inSwarm = new Set(input.nodes.map((n) => n.hostname));
  const out: (string | undefined)[] = input.addresses.map(() => undefined);
  const taken = new Set<string>();
  for (const p of input.previous) {
    const i = input.addresses.indexOf(p.address);
    if (i >= 0 && out[i] === undefined && inSwarm.has(p.slot) && !taken.has(p.slot)) {
      out[i] = p.slot;
      taken.add(p.slot);
    }
  }
  const waiting = [...groups.keys()].filter((h) => !taken.has(h)).sort();
  for (let i = 0; i < out.length && waiting.length > 0; i++) if (out[i] === undefined) out[i] = waiting.shift();
  return out;
}
