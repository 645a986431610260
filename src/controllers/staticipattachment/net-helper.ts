/**
 * Where helper programs run: a container on the attachment's host with `--net host --pid host` and
 * only NET_ADMIN, SYS_ADMIN (setns) and SYS_PTRACE (open another process's namespace) - never
 * `--privileged`.
 *
 * Two strategies behind one interface, chosen by measurement (bench/staticip.ts, observe program on
 * a lab host, dockerode over tcp, three runs of n=20): a per-repair `docker run`
 * (create+attach+start+wait+remove) took p50 146-244 ms / p99 228-510 ms; an exec into a resident
 * helper p50 54-75 ms / p99 83-108 ms (through the docker CLI on a DinD host: ~160 vs ~75 ms). So the
 * resident helper is the default; it is re-created when missing, stopped or on another image.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { execInContainer } from '../../docker/exec.js';
import { SwarmopError } from '../../errors.js';
import { defaultHelperImage, HELPER_IDLE_CMD } from './helper-image.js';
import { type HelperCommand, type ProgramResult, parseProgramOutput, programArgv } from './helper-program.js';
import { engineMessage } from '../../docker/engine-message.js';
import { BoundedChunks } from '../../runtime/output-limits.js';

/**
 * The most output (stdout and stderr together) one helper program may produce; a session keeps it
 * until the program's end marker. `ip -json` of a host with a few thousand interfaces is a few MB.
 */
export const HELPER_OUTPUT_LIMIT_BYTES = 32 * 1024 * 1024;

export const HELPER_ROLE_LABEL = 'io.swarmop.role';
export const HELPER_ROLE = 'nethelper';
export const DEFAULT_HELPER_NAME = 'swarmop-nethelper';

export interface HelperHost {
  name: string;
  docker: Docker;
}

export interface NetHelper {
  run(host: HelperHost, commands: readonly HelperCommand[], options?: { signal?: AbortSignal }): Promise<ProgramResult>;
}

export interface NetHelperOptions {
  /** Default: swarmop/nethelper:<package version> (see helper-image.ts). */
  image?: string;
  /** Puts the image on the host when it lacks it (HelperImageProvisioner.require); called before a helper container is created. */
  ensureImage?: (host: HelperHost) => Promise<void>;
  /** Give up on one program after this long. */
  timeoutMs?: number;
  /** Extra labels on the helper containers (tests add their own io.swarmop.* label). */
  labels?: Record<string, string>;
}

function hostConfig(): Docker.HostConfig {
  return {
    NetworkMode: 'host',
    PidMode: 'host',
    CapAdd: ['NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE'],
  };
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' ? s : undefined;
}

function unavailable(host: string, what: string, err: unknown): SwarmopError {
  if (err instanceof SwarmopError) return err;
  return new SwarmopError('Unavailable', `${what} on ${host}: ${engineMessage(err)}`, { cause: err });
}

/** The Engine API's "no entrypoint" (`docker run --entrypoint=''`): the image's ENTRYPOINT is not used. */
const NO_ENTRYPOINT = [''];

/** One long-running helper per host; programs run with `docker exec`. */
export class ResidentNetHelper implements NetHelper {
  private readonly image: string;
  private readonly name: string;
  private readonly timeoutMs: number;
  private readonly labels: Record<string, string>;
  private readonly ensureImage: ((host: HelperHost) => Promise<void>) | undefined;
  /** host name -> the helper's container id (a promise, so concurrent reconciles create it once). */
  private readonly ready = new Map<string, { docker: Docker; id: Promise<string> }>();

  constructor(options: NetHelperOptions & { containerName?: string } = {}) {
    this.image = options.image ?? defaultHelperImage();
    this.ensureImage = options.ensureImage;
    this.name = options.containerName ?? DEFAULT_HELPER_NAME;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.labels = { ...options.labels, [HELPER_ROLE_LABEL]: HELPER_ROLE };
  }

  async run(host: HelperHost, commands: readonly HelperCommand[], options: { signal?: AbortSignal } = {}): Promise<ProgramResult> {
    const argv = programArgv(commands);
    for (let attempt = 0; ; attempt++) {
      const id = await this.ensure(host);
      try {
        const r = await execInContainer(host.docker, id, argv, { timeoutMs: this.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
        return parseProgramOutput(commands, r.stdout, r.stderr);
      } catch (err) {
        // 404: helper removed; 409: helper stopped. Re-create once, then give up.
        const status = statusOf(err);
        if (attempt === 0 && (status === 404 || status === 409)) {
          this.ready.delete(host.name);
          continue;
        }
        throw unavailable(host.name, 'network helper exec', err);
      }
    }
  }

  /** The helper's container id on `host`, created when missing (for long-lived execs into it). */
  containerId(host: HelperHost): Promise<string> {
    return this.ensure(host);
  }

  /** Forget cached helper ids (e.g. after a host was replaced). */
  forget(host: string): void {
    this.ready.delete(host);
  }

  private ensure(host: HelperHost): Promise<string> {
    const cached = this.ready.get(host.name);
    if (cached && cached.docker === host.docker) return cached.id;
    const id = this.create(host).catch((err: unknown) => {
      this.ready.delete(host.name);
      throw err;
    });
    this.ready.set(host.name, { docker: host.docker, id });
    return id;
  }

  private async create(host: HelperHost): Promise<string> {
    const docker = host.docker;
    try {
      const existing = await docker.getContainer(this.name).inspect().catch((err: unknown) => {
        if (statusOf(err) === 404) return undefined;
        throw err;
      });
      if (existing && existing.Config.Image === this.image) {
        if (!existing.State.Running) await docker.getContainer(existing.Id).start().catch(ignoreNotModified);
        return existing.Id;
      }
      if (existing) await docker.getContainer(existing.Id).remove({ force: true });
      await this.ensureImage?.(host);
      const c = await docker
        .createContainer({
          name: this.name,
          Image: this.image,
          // Its own idle command: any image with `sh` works, whatever its default command is, and
          // whatever its ENTRYPOINT (which would otherwise get the command as its arguments).
          Entrypoint: NO_ENTRYPOINT,
          Cmd: HELPER_IDLE_CMD,
          OpenStdin: true,
          Labels: this.labels,
          HostConfig: { ...hostConfig(), RestartPolicy: { Name: 'unless-stopped' } },
        })
        .catch(async (err: unknown) => {
          // Another operator replica (or an earlier crashed run) created it first.
          if (statusOf(err) === 409) return docker.getContainer(this.name);
          if (statusOf(err) === 404) throw new SwarmopError('Unavailable', `network helper image ${this.image} is not on host ${host.name}`);
          throw err;
        });
      await c.start().catch(ignoreNotModified);
      const info = await c.inspect();
      return info.Id;
    } catch (err) {
      throw unavailable(host.name, 'starting the network helper', err);
    }
  }
}

function ignoreNotModified(err: unknown): void {
  if (statusOf(err) !== 304) throw err;
}

/** A fresh helper per program (`docker run --rm` equivalent); kept for comparison and for hosts that forbid resident containers. */
export class RunOnceNetHelper implements NetHelper {
  private readonly image: string;
  private readonly timeoutMs: number;
  private readonly labels: Record<string, string>;
  private readonly ensureImage: ((host: HelperHost) => Promise<void>) | undefined;

  constructor(options: NetHelperOptions = {}) {
    this.image = options.image ?? defaultHelperImage();
    this.ensureImage = options.ensureImage;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.labels = { ...options.labels, [HELPER_ROLE_LABEL]: HELPER_ROLE };
  }

  async run(host: HelperHost, commands: readonly HelperCommand[]): Promise<ProgramResult> {
    const docker = host.docker;
    let container: Docker.Container | undefined;
    try {
      await this.ensureImage?.(host);
      container = await docker.createContainer({
        Image: this.image,
        Entrypoint: NO_ENTRYPOINT,
        Cmd: programArgv(commands),
        Labels: this.labels,
        HostConfig: hostConfig(),
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      // One cap for both outputs, as for a session: past it the run is ended and fails.
      const limit = new BoundedChunks({ maxBytes: HELPER_OUTPUT_LIMIT_BYTES, what: `network helper run on ${host.name}: output` });
      let overflow: Error | undefined;
      const keep = (into: Buffer[]) => (b: Buffer): void => {
        if (overflow) return;
        try {
          limit.push(b);
          into.push(b);
        } catch (e) {
          overflow = e as Error;
          (stream as { destroy?: () => void }).destroy?.();
          void container?.kill().catch(() => undefined);
        }
      };
      const stdout = new PassThrough().on('data', keep(out));
      const stderr = new PassThrough().on('data', keep(err));
      docker.modem.demuxStream(stream, stdout, stderr);
      const ended = new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
      });
      await container.start();
      const timer = setTimeout(() => void container?.kill().catch(() => undefined), this.timeoutMs);
      try {
        await container.wait();
        await ended;
      } finally {
        clearTimeout(timer);
      }
      if (overflow) throw overflow;
      return parseProgramOutput(commands, Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8'));
    } catch (err) {
      if (statusOf(err) === 404 && !container) throw new SwarmopError('Unavailable', `network helper image ${this.image} is not on host ${host.name}`);
      throw unavailable(host.name, 'network helper run', err);
    } finally {
      await container?.remove({ force: true }).catch(() => undefined);
    }
  }
}
