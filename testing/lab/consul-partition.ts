/**
 * For e2e specs and the benchmark: cut one host's Consul agent off the others (RPC 8300 and gossip
 * 8301, both directions) with blackhole `ip rule`s set from a short-lived helper container on that
 * host, and heal it again. Unlike unplugging the host from the lab network, this leaves the
 * host's Docker API, its bridges and every other engineer's traffic alone.
 */
import type Docker from 'dockerode';

export const PARTITION_HELPER_IMAGE = 'swarmop/nethelper:lab';

export interface PartitionPorts {
  tcp: readonly number[];
  udp: readonly number[];
}

/** Inside one datacenter: server RPC and LAN gossip. */
export const CONSUL_LAN_PORTS: PartitionPorts = { tcp: [8300, 8301], udp: [8301] };
/** Between datacenters: server RPC (cross-datacenter requests) and WAN gossip. */
export const CONSUL_WAN_PORTS: PartitionPorts = { tcp: [8300, 8302], udp: [8302] };

/** The shell script (built from addresses only, never user input) that adds or deletes the rules. */
export function consulPartitionScript(op: 'add' | 'del', peers: readonly string[], ports: PartitionPorts = CONSUL_LAN_PORTS): string {
  const lines: string[] = [];
  for (const peer of peers) {
    // iproute2 6.1 takes protocol numbers only: 6 tcp, 17 udp.
    for (const proto of [6, 17]) {
      for (const port of proto === 6 ? ports.tcp : ports.udp) {
        for (const dir of ['dport', 'sport']) lines.push(`ip rule ${op} to ${peer} ipproto ${proto} ${dir} ${port} blackhole priority 90`);
      }
    }
  }
  return lines.join(op === 'add' ? ' && ' : '; ') + (op === 'del' ? '; true' : '');
}

async function runHelper(docker: Docker, script: string): Promise<void> {
  const c = await docker.createContainer({
    Image: PARTITION_HELPER_IMAGE,
    Cmd: ['sh', '-c', script],
    Labels: { 'io.swarmop.lab': '1', 'io.swarmop.consul-partition': '1' },
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN'] },
  });
  await c.start();
  const r = (await c.wait()) as { StatusCode: number };
  const logs = (await c.logs({ stdout: true, stderr: true })).toString();
  await c.remove({ force: true });
  if (r.StatusCode !== 0) throw new Error(`partition helper exited ${r.StatusCode}: ${logs}`);
}

export async function partitionConsul(docker: Docker, peers: readonly string[]): Promise<void> {
  await runHelper(docker, consulPartitionScript('add', peers));
}

export async function healConsulPartition(docker: Docker, peers: readonly string[]): Promise<void> {
  await runHelper(docker, consulPartitionScript('del', peers));
}
