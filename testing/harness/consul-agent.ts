/**
 * A REAL Consul agent for integration tests: `consul agent -dev` on 127.0.0.1 with free ports,
 * its own data dir, log file and PID file, no update check. Stopped by PID only.
 *
 * The binary is the project's own (hack/install-consul.sh, run here when it is missing), or
 * SWARMOP_CONSUL_BIN when set.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SwarmopError } from '../../src/errors.js';
import { eventually } from '../util/wait-until.js';
import { freePorts } from '../util/free-ports.js';

const execFileP = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ConsulAgentOptions {
  /**
   * 'dev' (default): `-dev`, data in memory, a restart starts from an empty store (index reset).
   * 'persistent': a single bootstrapped server with its data on disk, so a restart keeps KV
   * data and indexes.
   */
  mode?: 'dev' | 'persistent';
  /** Enable ACLs with default-deny; the handle then carries the master token. */
  acl?: boolean;
  /** Max time to wait for a leader and a working KV (ms). */
  startTimeoutMs?: number;
  /** Consul log level (default "warn"). */
  logLevel?: string;
  /** -datacenter (Consul's default dc1), e.g. to federate two agents over the WAN. */
  datacenter?: string;
  /** limits.http_max_conns_per_client (Consul's default 200): how many connections one address may hold. */
  maxConnsPerClient?: number;
}

export interface ConsulAgentHandle {
  /** CONSUL_HTTP_ADDR form: "127.0.0.1:PORT". */
  address: string;
  /** "http://127.0.0.1:PORT". */
  httpAddr: string;
  /** PID of the running agent (changes on restart). */
  pid: number;
  /** Master token when started with `acl: true`. */
  masterToken?: string;
  /** Folder holding the data dir, the log and the PID file. */
  dir: string;
  /** Stops the agent (SIGTERM, then SIGKILL) and removes its folder. Idempotent. */
  stop(): Promise<void>;
  /** Stops and starts the agent again on the same ports; resolves when KV works again. */
  restart(): Promise<void>;
  /** Stops the agent without removing its folder or ports (to test outages); `restart` brings it back. */
  kill(): Promise<void>;
}

export interface Ports {
  http: number;
  serfLan: number;
  serfWan: number;
  server: number;
}

/** An agent reachable on 127.0.0.1 only, on its own ports, with no DNS or gRPC listener. */
export function loopbackArgs(ports: Ports): string[] {
  return [
    '-bind',
    '127.0.0.1',
    '-client',
    '127.0.0.1',
    '-advertise',
    '127.0.0.1',
    '-http-port',
    String(ports.http),
    '-dns-port',
    '-1',
    '-grpc-port',
    '-1',
    '-serf-lan-port',
    String(ports.serfLan),
    '-serf-wan-port',
    String(ports.serfWan),
    '-server-port',
    String(ports.server),
  ];
}

export async function consulBinary(): Promise<string> {
  const fromEnv = process.env.SWARMOP_CONSUL_BIN;
  if (fromEnv) return fromEnv;
  const bin = join(REPO_ROOT, '.cache/consul/usr/bin/consul');
  if (!existsSync(bin)) {
    await execFileP(join(REPO_ROOT, 'hack/install-consul.sh'), [], { timeout: 300_000 });
  }
  return bin;
}

function hclFor(opts: ConsulAgentOptions, masterToken: string | undefined): string {
  const lines = ['disable_update_check = true'];
  // The production raft timing (multiplier 5) takes ~9 s to elect a single server after a start.
  if ((opts.mode ?? 'dev') === 'persistent') lines.push('performance { raft_multiplier = 1 }');
  if (masterToken !== undefined) {
    lines.push(
      `acl { enabled = true default_policy = "deny" enable_token_persistence = false tokens { master = "${masterToken}" agent = "${masterToken}" } }`,
    );
  }
  return lines.join('\n');
}

function argsFor(opts: ConsulAgentOptions, ports: Ports, dataDir: string, masterToken: string | undefined): string[] {
  const mode = opts.mode ?? 'dev';
  const common = [
    'agent',
    ...(mode === 'dev' ? ['-dev'] : ['-server', '-bootstrap-expect', '1', '-data-dir', dataDir]),
    '-node',
    `swarmop-test-${ports.http}`,
    ...loopbackArgs(ports),
    '-log-level',
    opts.logLevel ?? 'warn',
    ...(opts.datacenter ? ['-datacenter', opts.datacenter] : []),
    ...(opts.maxConnsPerClient ? ['-hcl', `limits { http_max_conns_per_client = ${opts.maxConnsPerClient} }`] : []),
    '-hcl',
    hclFor(opts, masterToken),
  ];
  return common;
}

/** True while a process with this PID exists (signal 0 checks without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function httpOk(url: string, init: RequestInit = {}): Promise<string | undefined> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
  const body = await res.text();
  return res.ok ? body : undefined;
}

/** Starts a real Consul agent; see ConsulAgentOptions. */
export async function startConsulAgent(opts: ConsulAgentOptions = {}): Promise<ConsulAgentHandle> {
  const bin = await consulBinary();
  const dir = mkdtempSync(join(tmpdir(), 'swarmop-consul-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'consul.log');
  const pidFile = join(dir, 'consul.pid');
  const masterToken = opts.acl ? crypto.randomUUID() : undefined;
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const [http, serfLan, serfWan, server] = await freePorts(4);
  const ports: Ports = { http: http!, serfLan: serfLan!, serfWan: serfWan!, server: server! };
  const httpAddr = `http://127.0.0.1:${ports.http}`;
  const headers: Record<string, string> = masterToken ? { 'X-Consul-Token': masterToken } : {};

  let child: ChildProcess | undefined;
  let exited = true;
  let removed = false;

  // If the test process exits without stop(), do not leave an agent behind.
  const onExit = (): void => {
    if (child?.pid !== undefined && !exited) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', onExit);

  const launch = async (): Promise<void> => {
    const out = openSync(logFile, 'a');
    try {
      child = spawn(bin, argsFor(opts, ports, dataDir, masterToken), { stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    exited = false;
    const proc = child;
    proc.once('exit', () => {
      if (child === proc) exited = true;
    });
    if (proc.pid === undefined) throw new SwarmopError('Internal', `cannot start ${bin}`);
    writeFileSync(pidFile, `${proc.pid}\n`);
    try {
      const agentAlive = { timeoutMs, intervalMs: 50, stopIf: () => (exited ? 'consul agent exited' : undefined) };
      await eventually(
        'a leader',
        async () => {
          const leader = await httpOk(`${httpAddr}/v1/status/leader`, { headers });
          return leader !== undefined && leader.trim() !== '""' ? leader : undefined;
        },
        agentAlive,
      );
      const probeKey = `${httpAddr}/v1/kv/swarmop-agent-probe`;
      await eventually(
        'a working KV',
        async () => {
          const put = await httpOk(probeKey, { method: 'PUT', body: 'ok', headers });
          if (put?.trim() !== 'true') return undefined;
          return httpOk(probeKey, { method: 'DELETE', headers });
        },
        agentAlive,
      );
    } catch (err) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15) : [];
      await halt();
      throw new SwarmopError('Unavailable', `consul agent on ${httpAddr} did not become ready: ${(err as Error).message}`, {
        details: log,
      });
    }
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (proc?.pid === undefined || exited) return;
    const pid = proc.pid;
    const gone = new Promise<void>((resolve) => {
      if (exited) resolve();
      else proc.once('exit', () => resolve());
    });
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }, 5000);
    await gone;
    clearTimeout(timer);
  };

  await launch();

  const handle: ConsulAgentHandle = {
    address: `127.0.0.1:${ports.http}`,
    httpAddr,
    pid: child!.pid!,
    masterToken,
    dir,
    async stop() {
      await halt();
      process.off('exit', onExit);
      if (!removed) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async restart() {
      await halt();
      await launch();
      handle.pid = child!.pid!;
    },
    async kill() {
      await halt();
    },
  };
  return handle;
}
