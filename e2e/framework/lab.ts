/**
 * The local lab (hack/lab.sh) as e2e specs see it: brought up once if it is not running, its store
 * Consul, outer engine, hosts, workloads and generated manifests read from .lab/env (so the same
 * specs run on any subnet and host names the lab was started with), its hosts reachable as real
 * Docker Engines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { dockerFor } from '../../testing/util/reconcile-context.js';
import { labSettings, REPO_ROOT, type LabSettings } from '../../testing/lab/lab-settings.js';
import { run, runOrThrow } from './shell.js';

/**
 * Flags of every operator a spec starts: a 10 s resync so a missed event heals within a spec's
 * patience, and no metrics port (several operators run at once on one machine). The lab's engines
 * listen on plain tcp :2375 as in the seed's setup, so swarm join tokens and Consul secrets may go
 * to them (--allow-insecure-engines); each spec has its own store prefix, and the examples keep
 * their secrets under the default prefix's secrets/ (--secrets-prefix).
 */
export const LAB_OPERATOR_ARGS: readonly string[] = [
  '--resync-seconds',
  '10',
  '--metrics-addr',
  '0',
  '--allow-insecure-engines',
  '--secrets-prefix',
  'swarmop/secrets/',
];

export { REPO_ROOT };
const LAB_SH = join(REPO_ROOT, 'hack', 'lab.sh');

export type Lab = LabSettings;

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

/** The lab's settings (.lab/env). */
export function readLabEnv(): Lab {
  return labSettings();
}

/** The lab's hosts in order: [0] the Consul bootstrap server and swarm manager, [1] and [2] workers. */
export function labHosts(): Lab['hosts'] {
  return readLabEnv().hosts;
}

/** The lab's fixed-IP workloads in order (the reference topology's ubuntu114 and ubuntu119). */
export function labWorkloads(): Lab['workloads'] {
  return readLabEnv().workloads;
}

/** A manifest of the reference topology, rewritten for this lab (.lab/manifests/topology/). */
export function labManifest(file: string): string {
  return readFileSync(join(readLabEnv().manifestsDir, file), 'utf8');
}

export function outerDocker(lab: Lab): Docker {
  return new Docker({ socketPath: lab.outerDockerHost.replace(/^unix:\/\//, '') });
}

function labHost(name: string) {
  const host = labHosts().find((h) => h.name === name);
  if (!host) throw new Error(`unknown lab host ${name}`);
  return host;
}

export function hostDocker(name: string): Docker {
  return dockerFor(labHost(name));
}

/** Runs `hack/lab.sh SUBCOMMAND ARGS...` (host-stop, host-start, ...). */
export async function labCommand(args: readonly string[], timeoutMs = 5 * 60_000): Promise<string> {
  return runOrThrow(LAB_SH, args, { timeoutMs });
}

/** `docker ...` against one lab host's inner engine, as a user would type it. */
export async function dockerOnHost(host: string, args: readonly string[], timeoutMs = 60_000) {
  return run('docker', args, { env: { ...process.env, DOCKER_HOST: labHost(host).endpoint }, timeoutMs });
}

/**
 * The reference topology's roles on this lab: MGR the first host (Consul bootstrap server, swarm
 * manager), A and B the two fixed-IP workloads (ubuntu114 on the second host and ubuntu119 on the
 * third with the default settings).
 */
export function labRoles() {
  const lab = readLabEnv();
  const [A, B] = lab.workloads;
  if (!A || !B || lab.hosts.length < 3)
    throw new Error('the e2e specs need a lab with three hosts and two workloads (SWARMOP_LAB_HOSTS, SWARMOP_LAB_WORKLOADS)');
  const addressOf = (host: string): string => {
    const h = lab.hosts.find((x) => x.name === host);
    if (!h) throw new Error(`unknown lab host ${host}`);
    return h.address;
  };
  return { MGR: lab.hosts[0]!.name, A, B, addressOf, WORKLOAD_IMAGE: lab.workloadImage, lab };
}
