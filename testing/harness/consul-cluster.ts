/**
 * A REAL three-server (or n-server) Consul cluster on 127.0.0.1 for tests of the store itself:
 * every server has its own free ports (HTTP, serf LAN/WAN, RPC), data dir and log, joins the
 * others with -retry-join, and the raft runs at production timing divided by five
 * (raft_multiplier 1) so an election after a leader loss takes seconds. Servers are stopped by
 * PID only; `kill(i)` is a crash (SIGKILL), `start(i)` brings the same server back on its ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwarmopError } from '../../src/errors.js';
import { consulBinary, loopbackArgs } from './consul-agent.js';
import { eventually } from '../util/wait-until.js';
import { freePorts } from '../util/free-ports.js';

export interface ConsulClusterOptions {
  /** Number of servers (default 3). */
  servers?: number;
  /** Max time to wait for a leader and a working KV (ms, default 60 000). */
  startTimeoutMs?: number;
}

export interface ConsulServerHandle {
  /** Node name, e.g. `store-0`. */
  node: string;
  /** CONSUL_HTTP_ADDR form: "127.0.0.1:PORT". */
  address: string;
  /** The raft address ("127.0.0.1:RPCPORT"), as /v1/status/leader reports it. */
  raftAddress: string;
  running: boolean;
}

export interface ConsulClusterHandle {
  servers: ConsulServerHandle[];
  /** Index of the current leader (asked through any running server); undefined while there is none. */
  leader(): Promise<number | undefined>;
  /** Waits until a leader is elected and answers KV writes; resolves with its index. */
  waitForLeader(timeoutMs?: number, notIndex?: number): Promise<number>;
  /** SIGKILL of server i: a crash, its data stays. */
  kill(i: number): Promise<void>;
  /** Starts server i again on its ports with its data. */
  start(i: number): Promise<void>;
  /** Removes server i's data dir (it must be stopped): it comes back with a new node ID under its old name. */
  wipe(i: number): void;
  /** The folder holding every server's data dir and log. */
  dir: string;
  /** Stops every server and removes their folders. Idempotent. */
  stop(): Promise<void>;
}

async function get(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

export async function startConsulCluster(options: ConsulClusterOptions = {}): Promise<ConsulClusterHandle> {
  const n = options.servers ?? 3;
  const bin = await consulBinary();
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-consul-cluster-'));
  const ports = await freePorts(4 * n);
  const spec = Array.from({ length: n }, (_, i) => ({
    node: `store-${i}`,
    http: ports[4 * i]!,
    serfLan: ports[4 * i + 1]!,
    serfWan: ports[4 * i + 2]!,
    server: ports[4 * i + 3]!,
    dataDir: join(dir, `store-${i}`),
  }));
  const children: (ChildProcess | undefined)[] = Array.from({ length: n }, () => undefined);
  const handles: ConsulServerHandle[] = spec.map((s) => ({
    node: s.node,
    address: `127.0.0.1:${s.http}`,
    raftAddress: `127.0.0.1:${s.server}`,
    running: false,
  }));

  const onExit = (): void => {
    for (const c of children) if (c?.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
  };
  process.on('exit', onExit);

  const launch = (i: number): void => {
    const s = spec[i]!;
    const args = [
      'agent',
      '-server',
      '-bootstrap-expect',
      String(n),
      '-data-dir',
      s.dataDir,
      '-node',
      s.node,
      ...loopbackArgs(s),
      '-log-level',
      'warn',
      '-hcl',
      'disable_update_check = true\nperformance { raft_multiplier = 1 }',
      ...spec.filter((o) => o !== s).flatMap((o) => ['-retry-join', `127.0.0.1:${o.serfLan}`]),
    ];
    const out = openSync(join(dir, `${s.node}.log`), 'a');
    try {
      const child = spawn(bin, args, { stdio: ['ignore', out, out] });
      children[i] = child;
      handles[i]!.running = true;
      child.once('exit', () => {
        if (children[i] === child) handles[i]!.running = false;
      });
    } finally {
      closeSync(out);
    }
  };

  const leader = async (): Promise<number | undefined> => {
    for (const h of handles) {
      if (!h.running) continue;
      const body = await get(`http://${h.address}/v1/status/leader`);
      if (body === undefined) continue;
      const addr = JSON.parse(body) as string;
      const idx = handles.findIndex((x) => x.raftAddress === addr);
      if (idx >= 0) return idx;
    }
    return undefined;
  };

  const waitForLeader = async (timeoutMs = options.startTimeoutMs ?? 60_000, notIndex?: number): Promise<number> => {
    try {
      return await eventually(
        'a leader that takes a KV write',
        async () => {
          const l = await leader();
          if (l === undefined || l === notIndex) return undefined;
          const res = await fetch(`http://${handles[l]!.address}/v1/kv/swarmop-cluster-probe`, {
            method: 'PUT',
            body: 'ok',
            signal: AbortSignal.timeout(1000),
          });
          return res.ok ? l : undefined;
        },
        { timeoutMs, intervalMs: 50 },
      );
    } catch (err) {
      throw new SwarmopError('Timeout', `consul cluster: no leader within ${timeoutMs} ms (logs in ${dir})`, { cause: err });
    }
  };

  const kill = async (i: number): Promise<void> => {
    const c = children[i];
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await gone;
  };

  for (let i = 0; i < n; i++) launch(i);
  const handle: ConsulClusterHandle = {
    servers: handles,
    leader,
    waitForLeader,
    kill,
    start: async (i) => {
      await kill(i);
      launch(i);
    },
    wipe: (i) => {
      if (handles[i]!.running) throw new SwarmopError('Internal', `${handles[i]!.node} is running`);
      rmSync(spec[i]!.dataDir, { recursive: true, force: true });
    },
    dir,
    stop: async () => {
      for (let i = 0; i < n; i++) await kill(i);
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForLeader();
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}
