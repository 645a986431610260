/**
 * Helpers for the fault specs (e2e/faults.spec.ts): the whole reference topology as YAML, one "is everything
 * converged with nothing duplicated" check over the hosts, a CLI bound to any store (for the spec
 * that runs its own persistent store Consul), and the log analysis that proves two replicas never
 * acted at the same time.
 */
import { join } from 'node:path';
import { readAgentView } from '../../src/consul/agent-http.js';
import type { Framework } from './framework.js';
import { dockerOnHost, hostDocker, labHosts, labManifest, labWorkloads, readLabEnv, REPO_ROOT } from './lab.js';
import type { LogLine } from '../../testing/harness/operator-process.js';
import { eventually, type WaitOptions } from '../../testing/util/wait-until.js';
import { run, type RunResult } from './shell.js';

export const HOSTS = labHosts().map((h) => ({ name: h.name, address: h.address }));
export const ATTACHMENTS = labWorkloads().map((w) => ({ name: w.name, host: w.host, cidr: w.cidr }));
/** The swarm of the reference topology: the first host manages, the others work. */
export const MANAGER = HOSTS[0]!.name;
export const WORKERS = HOSTS.slice(1).map((h) => h.name);
export const CONSUL_LABEL = 'io.swarmop.consulcluster=datacenter';
export const CONSUL_AGENT = 'swarmop-consul-datacenter';

const manifest = labManifest;

/** DockerHosts, the ConsulCluster, a SwarmCluster (no discovery) and the two attachments. */
export function topologyYaml(): string {
  const swarm = `apiVersion: swarmop.io/v1alpha1\nkind: SwarmCluster\nmetadata: {name: swarm}\nspec: {managers: [${MANAGER}], workers: [${WORKERS.join(', ')}]}\n`;
  return [manifest('00-dockerhosts.yaml'), manifest('10-consulcluster.yaml'), swarm, manifest('30-staticipattachments.yaml')].join(
    '\n---\n',
  );
}

export const OBJECTS: readonly [string, string][] = [
  ...HOSTS.map((h) => ['dockerhost', h.name] as [string, string]),
  ['consulcluster', 'datacenter'],
  ['swarmcluster', 'swarm'],
  ...ATTACHMENTS.map((a) => ['staticipattachment', a.name] as [string, string]),
];

/** `docker ARGS` on a lab host; throws with stderr on failure. */
export async function docker(host: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  const r = await dockerOnHost(host, args, timeoutMs);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${host}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Starts a lab workload container (as hack/lab.sh does) when it is missing or stopped. */
export async function ensureWorkload(host: string, name: string): Promise<void> {
  const state = await dockerOnHost(host, ['inspect', '-f', '{{.State.Running}}', name], 15_000);
  if (state.code !== 0)
    await docker(host, ['run', '-d', '--name', name, '--hostname', name, '--label', 'io.swarmop.lab=1', readLabEnv().workloadImage]);
  else if (state.stdout.trim() !== 'true') await docker(host, ['start', name]);
}

/** `ip -o link` lines inside a container (through its own `ip`). */
export async function containerLinks(host: string, container: string): Promise<string[]> {
  return (await docker(host, ['exec', container, 'ip', '-o', 'link', 'show'], 10_000)).split('\n').filter(Boolean);
}

export async function eth1Addresses(host: string, container: string): Promise<string[]> {
  const out = (await dockerOnHost(host, ['exec', container, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth1'], 10_000)).stdout;
  return [...out.matchAll(/inet (\S+)/g)].map((m) => m[1]!);
}

/** eth1's ifindex inside the container, or undefined when there is no eth1 (a re-created pair gets a new one). */
export async function eth1Index(host: string, container: string): Promise<number | undefined> {
  const r = await dockerOnHost(host, ['exec', container, 'cat', '/sys/class/net/eth1/ifindex'], 10_000);
  return r.code === 0 ? Number(r.stdout.trim()) : undefined;
}

/** The host's own links (seen through the resident nethelper, which runs with --net host). */
export async function hostLinks(host: string): Promise<string[]> {
  return (await docker(host, ['exec', 'swarmop-nethelper', 'ip', '-o', 'link', 'show'], 10_000)).split('\n').filter(Boolean);
}

/**
 * Everything of the topology is as declared, once, with nothing left over:
 * - every object Ready=True with a condition observed at the current generation;
 * - each workload has exactly one veth besides Docker's eth0 (eth1) carrying exactly its address; its host has exactly
 *   one swarmop host veth on br0 and no half-made pair end (`swp…`) left in the host namespace;
 * - exactly one running agent container per host, three alive servers and a leader;
 * - `docker node ls`: exactly the three nodes, ready, no stale entries.
 */
export async function expectConverged(f: Framework, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  for (const [kind, name] of OBJECTS) await f.waitCondition(kind, name, 'True', { timeoutMs });
  for (const a of ATTACHMENTS) {
    await eventually(
      `${a.name}: one veth (eth1) with exactly ${a.cidr}; one host veth on br0, no stray pair end`,
      async () => {
        // Docker's own eth0 aside, the only veth in the workload must be ours: eth1.
        const inside = (await containerLinks(a.host, a.name)).filter((l) => /link\/ether/.test(l) && !/^\d+: eth0@/.test(l));
        const addrs = await eth1Addresses(a.host, a.name);
        const host = await hostLinks(a.host);
        const onBr0 = host.filter((l) => /^\d+: swv/.test(l) && / master br0 /.test(l));
        const strays = host.filter((l) => /^\d+: swp/.test(l));
        const ok =
          inside.length === 1 &&
          /: eth1@/.test(inside[0]!) &&
          addrs.length === 1 &&
          addrs[0] === a.cidr &&
          onBr0.length === 1 &&
          strays.length === 0;
        // Thrown so that a timeout reports what was seen.
        if (!ok) throw new Error(JSON.stringify({ inside, addrs, onBr0, strays }));
        return true;
      },
      { timeoutMs },
    );
  }
  await eventually(
    'one running agent container per host, 3 alive servers, a leader',
    async () => {
      for (const h of HOSTS) {
        const ids = (await docker(h.name, ['ps', '-aq', '--filter', `label=${CONSUL_LABEL}`], 15_000)).trim().split('\n').filter(Boolean);
        if (ids.length !== 1) return undefined;
        const v = await readAgentView(h.address, { timeoutMs: 1000 });
        if (!v.reachable || v.leader === '' || v.members.filter((m) => m.status === 'alive').length !== 3 || v.members.length !== 3)
          return undefined;
      }
      return true;
    },
    { timeoutMs },
  );
  const expectedNodes = JSON.stringify([`${MANAGER}:manager:ready`, ...WORKERS.map((w) => `${w}:worker:ready`)].sort());
  await eventually(
    `node ls: exactly ${MANAGER} manager, ${WORKERS.join('/')} workers, all ready, each engine active as the listed node`,
    async () => {
      const nodes = (await hostDocker(MANAGER).listNodes()) as {
        ID: string;
        Spec: { Role: string };
        Description: { Hostname: string };
        Status: { State: string };
      }[];
      const rows = nodes.map((n) => `${n.Description.Hostname}:${n.Spec.Role}:${n.Status.State}`).sort();
      if (JSON.stringify(rows) !== expectedNodes) return undefined;
      // A node that just left still reads ready on the manager for a while: ask each engine too.
      for (const h of HOSTS) {
        const info = (await hostDocker(h.name).info()) as { Swarm: { LocalNodeState: string; NodeID: string } };
        if (info.Swarm.LocalNodeState !== 'active' || nodes.find((n) => n.Description.Hostname === h.name)?.ID !== info.Swarm.NodeID)
          return undefined;
      }
      return true;
    },
    { timeoutMs },
  );
}

/** The CLI, get and waitCondition against any store Consul (the framework's are bound to the lab store). */
export interface StoreCli {
  swarmop(args: readonly string[], input?: string): Promise<RunResult>;
  apply(yaml: string): Promise<string>;
  get(kind: string, name: string): Promise<Record<string, any> | undefined>;
  waitCondition(kind: string, name: string, status?: 'True' | 'False', options?: WaitOptions): Promise<Record<string, any>>;
}

export function storeCli(storeAddr: string, prefix: string): StoreCli {
  const env = { ...process.env, CONSUL_HTTP_ADDR: storeAddr, SWARMOP_PREFIX: prefix };
  const swarmop = (args: readonly string[], input?: string) =>
    run(process.execPath, [join(REPO_ROOT, 'bin', 'swarmop.js'), ...args], { env, input, timeoutMs: 120_000 });
  const get = async (kind: string, name: string) => {
    const r = await swarmop(['get', kind, name, '-o', 'json']);
    if (r.code === 3) return undefined;
    if (r.code !== 0) throw new Error(`swarmop get ${kind} ${name}: exit ${r.code}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as Record<string, any>;
  };
  return {
    swarmop,
    get,
    async apply(yaml) {
      const r = await swarmop(['apply', '-f', '-'], yaml);
      if (r.code !== 0) throw new Error(`swarmop apply failed (exit ${r.code}): ${r.stderr.trim()}`);
      return r.stdout;
    },
    waitCondition(kind, name, status = 'True', o = {}) {
      return eventually(
        `${kind}/${name} Ready=${status}`,
        async () => {
          const obj = await get(kind, name);
          const c = obj?.status?.conditions?.find((x: { type: string }) => x.type === 'Ready');
          return c && c.status === status && (c.observedGeneration === undefined || c.observedGeneration >= obj!.metadata.generation)
            ? obj
            : undefined;
        },
        { timeoutMs: o.timeoutMs ?? 60_000, intervalMs: o.intervalMs ?? 300 },
      );
    },
  };
}

/** Lines that show a replica acting on the world (reconciling, repairing, running controllers). */
export const ACTING = new Set(['drift repaired', 'reconcile done', 'controller started', 'finalized']);

export interface Leadership {
  /** Index in `lines` of each `started leading`. */
  starts: number[];
  /** Acting lines logged while this replica did not hold the lock (must be none). */
  actingWhileFollower: LogLine[];
  acting: LogLine[];
}

/**
 * Splits one replica's log into leading and following stretches: acting lines are allowed only
 * between a `started leading` and the next `stopped leading` / `lost the leader lock` / session
 * loss (or the end of the log, i.e. the process exit).
 */
export function leadership(lines: readonly LogLine[]): Leadership {
  const starts: number[] = [];
  const acting: LogLine[] = [];
  const actingWhileFollower: LogLine[] = [];
  let leading = false;
  lines.forEach((l, i) => {
    const m = l.message ?? '';
    if (m === 'started leading') {
      leading = true;
      starts.push(i);
    } else if (
      m === 'stopped leading' ||
      m === 'lost the leader lock' ||
      m === 'leader session expired' ||
      m === 'leader session not renewed for a whole TTL, giving up leadership'
    ) {
      leading = false;
    } else if (ACTING.has(m)) {
      acting.push(l);
      if (!leading) actingWhileFollower.push(l);
    }
  });
  return { starts, acting, actingWhileFollower };
}

export const ts = (l: LogLine | undefined): number => (l && typeof l['timestamp'] === 'string' ? Date.parse(l['timestamp']) : NaN);

/** The object's Ready status now ('True' / 'False' / 'Unknown'), or undefined. */
export async function readyOf(f: Framework, kind: string, name: string): Promise<string | undefined> {
  const o = await f.get(kind, name);
  return o?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status;
}
