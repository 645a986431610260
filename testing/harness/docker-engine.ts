/**
 * A REAL Docker Engine for integration tests: hack/dockerd.sh runs a Debian dockerd on its own
 * socket (unix:///run/swarmop-NAME/docker.sock), data root and PID file, so a test can stop and
 * start an engine (e.g. to watch a DockerHost's Ready flip) without touching any other engine.
 * Needs root and the docker.io package (hack/install.sh).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SwarmopError } from '../../src/errors.js';

const execFileP = promisify(execFile);
const DOCKERD_SH = fileURLToPath(new URL('../../hack/dockerd.sh', import.meta.url));
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,30}$/;

export interface DockerEngineOptions {
  /** Engine name: socket /run/swarmop-NAME/docker.sock, data root /var/lib/swarmop-NAME. */
  name: string;
  /**
   * The lab's engine ("lab") runs the shared lab hosts: a test may only take it over when it
   * says so, because stop() would take the whole lab down.
   */
  allowLab?: boolean;
  /** Max time for the script to bring the engine up or down (ms, default 90 s). */
  timeoutMs?: number;
}

export interface DockerEngineHandle {
  name: string;
  /** Absolute path of the engine's unix socket (dockerode's `socketPath`). */
  socketPath: string;
  /** DOCKER_HOST form: "unix:///run/swarmop-NAME/docker.sock" (a DockerHost `endpoint`). */
  dockerHost: string;
  /** Starts the engine again; resolves when it answers. Idempotent. */
  start(): Promise<void>;
  /** Stops the engine by its PID file and waits until it exited. Idempotent. */
  stop(): Promise<void>;
}

async function dockerdSh(verb: 'start' | 'stop', name: string, timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileP(DOCKERD_SH, [verb, name], { timeout: timeoutMs });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new SwarmopError('Unavailable', `hack/dockerd.sh ${verb} ${name} failed`, {
      details: (e.stderr ?? e.message ?? '').trim().split('\n').slice(-10),
      cause: err,
    });
  }
}

/** Starts (or reuses) the engine NAME; resolves when `docker info` answers on its socket. */
export async function startDockerEngine(opts: DockerEngineOptions): Promise<DockerEngineHandle> {
  const { name } = opts;
  if (!NAME_RE.test(name)) throw new SwarmopError('Invalid', `engine name ${JSON.stringify(name)} must match ${NAME_RE}`);
  if (name === 'lab' && opts.allowLab !== true) {
    throw new SwarmopError('Invalid', 'engine "lab" runs the shared lab: pass allowLab: true to control it');
  }
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const out = await dockerdSh('start', name, timeoutMs);
  const dockerHost = /^DOCKER_HOST=(\S+)$/m.exec(out)?.[1];
  if (dockerHost === undefined || !dockerHost.startsWith('unix://')) {
    throw new SwarmopError('Internal', `hack/dockerd.sh start ${name} printed no DOCKER_HOST line`, { details: [out] });
  }
  return {
    name,
    dockerHost,
    socketPath: dockerHost.slice('unix://'.length),
    start: async () => {
      await dockerdSh('start', name, timeoutMs);
    },
    stop: async () => {
      await dockerdSh('stop', name, timeoutMs);
    },
  };
}
