/**
 * The lab's settings as hack/lab.sh wrote them to .lab/env (its subnet, host names and addresses,
 * workload containers, generated manifests), so lab tests and e2e specs never spell out the
 * reference topology themselves: `SWARMOP_LAB_SUBNET=10.77.0.0/24 SWARMOP_LAB_HOSTS=h1,h2,h3`
 * runs the same suites on another lab. Before the lab has been brought up there is no file yet;
 * then the settings are hack/lab.sh's defaults, which is also what `up` will write.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LabHost {
  name: string;
  address: string;
  /** tcp://addr:2375 */
  endpoint: string;
}

export interface LabWorkload {
  /** Container name (and StaticIPAttachment name in the generated manifests). */
  name: string;
  /** The lab host it runs on. */
  host: string;
  /** Its fixed address, `address/prefix`. */
  cidr: string;
  /** The address without the prefix. */
  ip: string;
}

export interface LabSettings {
  /** host:port of the store Consul. */
  storeAddr: string;
  /** DOCKER_HOST of the outer engine that runs the host containers. */
  outerDockerHost: string;
  network: string;
  /** A.B.C.0/24 */
  subnet: string;
  /** A.B.C (the subnet's first three octets). */
  netPrefix: string;
  gateway: string;
  /** In order: the first is the Consul bootstrap server and swarm manager, the others workers. */
  hosts: readonly LabHost[];
  workloads: readonly LabWorkload[];
  workloadImage: string;
  /** manifests/ rewritten for these settings. */
  manifestsDir: string;
  /**
   * The second datacenter's host (`hack/lab.sh dc2-up` creates it, `dc2-down` removes it); absent
   * from an env file written before dc2-up knew it.
   */
  dc2Host?: LabHost;
}

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export function labDir(): string {
  return process.env['SWARMOP_LAB_DIR'] ?? join(REPO_ROOT, '.lab');
}

/** KEY=VALUE lines of a shell env file. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=["']?(.*?)["']?$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

const DEFAULT_ENV: Record<string, string> = {
  CONSUL_HTTP_ADDR: '127.0.0.1:8500',
  LAB_DOCKER_HOST: 'unix:///run/swarmop-lab/docker.sock',
  LAB_NETWORK: 'swarmop-lab',
  LAB_SUBNET: '192.168.116.0/24',
  LAB_GATEWAY: '192.168.116.1',
  LAB_HOSTS: 'consulsvr=tcp://192.168.116.111:2375,consul01=tcp://192.168.116.112:2375,consul02=tcp://192.168.116.113:2375',
  LAB_WORKLOADS: 'ubuntu114@consul01=192.168.116.114/24,ubuntu119@consul02=192.168.116.119/24',
  LAB_WORKLOAD_IMAGE: 'swarmop/workload:lab',
};

/** Pure: the settings from the env file's variables (missing ones take hack/lab.sh's defaults). */
export function labSettingsFrom(fileEnv: Record<string, string>, dir: string): LabSettings {
  const env = { ...DEFAULT_ENV, ...fileEnv };
  const list = (key: string) =>
    env[key]!.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const host = (key: string, entry: string): LabHost => {
    const m = /^([^=]+)=(tcp:\/\/([^:/]+):\d+)$/.exec(entry);
    if (!m) throw new Error(`${dir}/env: ${key} entry "${entry}" is not NAME=tcp://ADDRESS:PORT`);
    return { name: m[1]!, endpoint: m[2]!, address: m[3]! };
  };
  const hosts = list('LAB_HOSTS').map((entry) => host('LAB_HOSTS', entry));
  const workloads = list('LAB_WORKLOADS').map((entry) => {
    const m = /^([^@]+)@([^=]+)=(([\d.]+)\/\d+)$/.exec(entry);
    if (!m) throw new Error(`${dir}/env: LAB_WORKLOADS entry "${entry}" is not NAME@HOST=ADDRESS/PREFIX`);
    return { name: m[1]!, host: m[2]!, cidr: m[3]!, ip: m[4]! };
  });
  const subnet = env['LAB_SUBNET']!;
  return {
    storeAddr: env['CONSUL_HTTP_ADDR']!.replace(/^https?:\/\//, ''),
    outerDockerHost: env['LAB_DOCKER_HOST'] ?? env['DOCKER_HOST']!,
    network: env['LAB_NETWORK']!,
    subnet,
    netPrefix: subnet.split('.').slice(0, 3).join('.'),
    gateway: env['LAB_GATEWAY']!,
    hosts,
    workloads,
    workloadImage: env['LAB_WORKLOAD_IMAGE']!,
    // A lab started by an older hack/lab.sh knew only the reference topology, which manifests/ is.
    manifestsDir: env['LAB_MANIFESTS'] ?? (fileEnv['LAB_HOSTS'] ? join(REPO_ROOT, 'manifests') : join(dir, 'manifests', 'topology')),
    ...(env['LAB_DC2_HOST'] ? { dc2Host: host('LAB_DC2_HOST', env['LAB_DC2_HOST']) } : {}),
  };
}

/** The settings of the lab that is (or will be) up. Read afresh each call. */
export function labSettings(): LabSettings {
  const dir = labDir();
  const file = join(dir, 'env');
  return labSettingsFrom(existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {}, dir);
}
