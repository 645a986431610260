/**
 * The local lab (hack/lab.sh) as e2e specs see it: brought up once if it is not running, its store
 * Consul and outer engine read from .lab/env, its hosts reachable as real Docker Engines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { LAB_HOSTS, dockerFor, type TestHost } from '../../src/testing/reconcile-context.js';
import { run, runOrThrow } from './shell.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
const LAB_SH = join(REPO_ROOT, 'hack', 'lab.sh');

export interface Lab {
  /** host:port of the store Consul holding swarmop's documents. */
  storeAddr: string;
  /** DOCKER_HOST of the outer engine that runs the lab host containers. */
  outerDockerHost: string;
  hosts: readonly TestHost[];
}

let cached: Lab | undefined;

export async function ensureLab(): Promise<Lab> {
  if (cached) return cached;
  const status = await run(LAB_SH, ['status'], { timeoutMs: 60_000 });
  if (status.code !== 0) {
    await runOrThrow(LAB_SH, ['up'], { timeoutMs: 30 * 60_000 });
  }
  cached = readLabEnv();
  return cached;
}

export function readLabEnv(): Lab {
  const file = join(REPO_ROOT, '.lab', 'env');
  if (!existsSync(file)) throw new Error(`${file} missing: is the lab up (hack/lab.sh up)?`);
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=["']?(.*?)["']?$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  const storeAddr = (env['CONSUL_HTTP_ADDR'] ?? '127.0.0.1:8500').replace(/^https?:\/\//, '');
  const outerDockerHost = env['LAB_DOCKER_HOST'] ?? env['DOCKER_HOST'] ?? 'unix:///run/swarmop-lab/docker.sock';
  return { storeAddr, outerDockerHost, hosts: LAB_HOSTS };
}

export function outerDocker(lab: Lab): Docker {
  return new Docker({ socketPath: lab.outerDockerHost.replace(/^unix:\/\//, '') });
}

export function hostDocker(name: string): Docker {
  const host = LAB_HOSTS.find((h) => h.name === name);
  if (!host) throw new Error(`unknown lab host ${name}`);
  return dockerFor(host);
}

/** Runs `hack/lab.sh SUBCOMMAND ARGS...` (host-stop, host-start, ...). */
export async function labCommand(args: readonly string[], timeoutMs = 5 * 60_000): Promise<string> {
  return runOrThrow(LAB_SH, args, { timeoutMs });
}

/** `docker ...` against one lab host's inner engine, as a user would type it. */
export async function dockerOnHost(host: string, args: readonly string[], timeoutMs = 60_000) {
  const h = LAB_HOSTS.find((x) => x.name === host);
  if (!h) throw new Error(`unknown lab host ${host}`);
  return run('docker', args, { env: { ...process.env, DOCKER_HOST: h.endpoint }, timeoutMs });
}
