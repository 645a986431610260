/**
 * Where helper programs run: a container on the attachment's host in the host's network namespace
 * (`--net host`: the bridge, the uplink and the host ends of the veths live there), with every
 * capability dropped but NET_ADMIN, NET_RAW and SYS_ADMIN, no-new-privileges, a read-only root
 * filesystem, and pid and memory limits (HELPER_HARDENING; docs/security.md says why each is needed).
 * It enters a container's network namespace through the engine's netns file for it, bind-mounted
 * read-only (netns-file.ts), not through its PID: no `--pid host`, no SYS_PTRACE. Never `--privileged`.
 *
 * Two strategies behind one interface, chosen by measurement (bench/staticip.ts, observe program on
 * a lab host, dockerode over tcp, three runs of n=20): a per-repair `docker run`
 * (create+attach+start+wait+remove) took p50 146-244 ms / p99 228-510 ms; an exec into a resident
 * helper p50 54-75 ms / p99 83-108 ms (through the docker CLI on a DinD host: ~160 vs ~75 ms). So the
 * resident helper is the default; it is re-created when missing, stopped or on another image.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { execInContainer } from '../docker/exec.js';
import { SwarmopError } from '../errors.js';
import { createHash } from 'node:crypto';
import { defaultHelperImage, HELPER_IDLE_CMD } from './helper-image.js';
import { type HelperCommand, type ProgramResult, parseProgramOutput, programArgv } from './helper-program.js';
import { engineNetnsDir, HELPER_NETNS_DIR, helperNetnsPath } from './netns-file.js';
import { engineMessage } from '../docker/engine-message.js';
import { BoundedChunks } from '../runtime/output-limits.js';

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
  /**
   * A container's netns file, as the engine names it (`NetworkSettings.SandboxKey`), as the helper
   * sees it: what container-side commands take. Throws Invalid for a key that is not a sandbox's
   * file in the engine's own netns folder (the host's `default` included).
   */
  netnsPath(host: HelperHost, sandboxKey: unknown): Promise<string>;
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

/**
 * The helper's confinement, measured on a real engine (helper-hardening.int.test.ts): each of the
 * three capabilities is needed (NET_ADMIN: links, addresses, routes, moving a veth end into a
 * namespace; SYS_ADMIN: setns into a container's namespace; NET_RAW: arping's packet socket), and
 * nothing else of Docker's default set is. Its processes: one session shell, the host's netlink
 * monitor, and about six per watched container (sh, ip monitor, two watchdogs and their sleep/cat).
 */
export const HELPER_HARDENING = {
  capAdd: ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN'],
  pidsLimit: 1024,
  memoryBytes: 256 * 1024 * 1024,
  tmpfs: { '/tmp': 'rw,nosuid,nodev,noexec,size=1m' },
} as const;

/** The engine's netns folder the helper mounts, and a hash of its whole HostConfig (recreated when it changes). */
export const HELPER_NETNS_DIR_LABEL = 'io.swarmop.helper-netns-dir';
export const HELPER_CONFIG_LABEL = 'io.swarmop.helper-config';

/** `netnsDir`: the engine's netns folder (unknown until the engine told it: then no mount). */
export function helperHostConfig(netnsDir: string | undefined): Docker.HostConfig {
  return {
    NetworkMode: 'host',
    CapDrop: ['ALL'],
    CapAdd: [...HELPER_HARDENING.capAdd],
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: true,
    Tmpfs: { ...HELPER_HARDENING.tmpfs },
    PidsLimit: HELPER_HARDENING.pidsLimit,
    Memory: HELPER_HARDENING.memoryBytes,
    // rslave: namespaces of containers started after the helper appear in it (the folder must be on
    // a shared or slave mount, as / is under systemd; the engine refuses the mount otherwise).
    Mounts:
      netnsDir === undefined
        ? []
        : [{ Type: 'bind', Source: netnsDir, Target: HELPER_NETNS_DIR, ReadOnly: true, BindOptions: { Propagation: 'rslave' } }],
  };
}

/** The hash of the helper's whole HostConfig for `netnsDir`, recorded in HELPER_CONFIG_LABEL. */
export function configHash(netnsDir: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify(helperHostConfig(netnsDir)))
    .digest('hex')
    .slice(0, 16);
}

function helperLabels(labels: Record<string, string>, netnsDir: string | undefined): Record<string, string> {
  return { ...labels, [HELPER_NETNS_DIR_LABEL]: netnsDir ?? '', [HELPER_CONFIG_LABEL]: configHash(netnsDir) };
}

/**
 * Whether a helper container found on a host is one this operator keeps (its image, and the
 * confinement its labels record for the netns folder they name); any other is replaced. Shared
 * with the adoption report, which says "would replace" from the same test.
 */
export function helperIsCurrent(info: Docker.ContainerInspectInfo, image: string): boolean {
  const labelled = info.Config.Labels?.[HELPER_NETNS_DIR_LABEL] || undefined;
  return info.Config.Image === image && labelled !== undefined && info.Config.Labels?.[HELPER_CONFIG_LABEL] === configHash(labelled);
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
  /** host name -> the engine's netns folder the host's helper mounts. */
  private readonly netnsDirs = new Map<string, string>();

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
        const r = await execInContainer(host.docker, id, argv, {
          timeoutMs: this.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        });
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

  /** The container's netns file as this host's helper sees it (the helper is created first when missing). */
  async netnsPath(host: HelperHost, sandboxKey: unknown): Promise<string> {
    await this.ensure(host);
    const dir = this.netnsDirs.get(host.name);
    if (dir === undefined) throw new SwarmopError('Unavailable', `the network helper on ${host.name} has no netns folder of the engine`);
    return helperNetnsPath(sandboxKey, dir);
  }

  /**
   * The engine accepts the rslave mount on a slave-only mount too, where namespaces made after the
   * helper started never reach it (a Docker-in-Docker host whose / was not made rshared). So a new
   * helper is checked once: it must enter the namespace of a container started after it.
   */
  private async checkPropagation(docker: Docker, helperId: string, dir: string): Promise<void> {
    const { [HELPER_ROLE_LABEL]: _role, ...labels } = this.labels;
    const probe = await docker.createContainer({
      Image: this.image,
      Entrypoint: NO_ENTRYPOINT,
      Cmd: HELPER_IDLE_CMD,
      OpenStdin: true,
      Labels: { ...labels, [HELPER_ROLE_LABEL]: 'nethelper-probe' },
      HostConfig: { NetworkMode: 'none', CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
    });
    try {
      await probe.start();
      const path = helperNetnsPath((await probe.inspect()).NetworkSettings.SandboxKey, dir);
      const r = await execInContainer(docker, helperId, ['nsenter', `--net=${path}`, 'sh', '-c', ':'], { timeoutMs: 10_000 });
      if (r.exitCode !== 0) {
        throw new SwarmopError(
          'Unavailable',
          `the engine's netns folder ${dir} is not on a shared mount: namespaces of containers started after the network helper do not reach it (${r.stderr.trim().slice(0, 200)}); make the host's / a shared mount (systemd does; otherwise \`mount --make-rshared /\`)`,
        );
      }
    } finally {
      await probe.remove({ force: true }).catch(() => undefined);
    }
  }

  private async create(host: HelperHost): Promise<string> {
    const docker = host.docker;
    try {
      const existing = await docker
        .getContainer(this.name)
        .inspect()
        .catch((err: unknown) => {
          if (statusOf(err) === 404) return undefined;
          throw err;
        });
      const labelled = existing?.Config.Labels?.[HELPER_NETNS_DIR_LABEL] || undefined;
      if (existing && labelled !== undefined && helperIsCurrent(existing, this.image)) {
        if (!existing.State.Running) await docker.getContainer(existing.Id).start().catch(ignoreNotModified);
        const info = existing.State.Running ? existing : await docker.getContainer(existing.Id).inspect();
        if (engineNetnsDir(info.NetworkSettings.SandboxKey) === labelled) {
          this.netnsDirs.set(host.name, labelled);
          return existing.Id;
        }
      }
      // Older helpers (another image, or a looser confinement) are replaced, never reused.
      if (existing) await docker.getContainer(existing.Id).remove({ force: true });
      await this.ensureImage?.(host);
      // The engine's netns folder is known from its answer only once a `--net host` container runs
      // (its SandboxKey is <folder>/default): a helper created without it (or with a stale one) is
      // created once more with it.
      let dir = this.netnsDirs.get(host.name) ?? labelled;
      for (let attempt = 0; attempt < 2; attempt++) {
        const c = await docker
          .createContainer({
            name: this.name,
            Image: this.image,
            // Its own idle command: any image with `sh` works, whatever its default command is, and
            // whatever its ENTRYPOINT (which would otherwise get the command as its arguments).
            Entrypoint: NO_ENTRYPOINT,
            Cmd: HELPER_IDLE_CMD,
            OpenStdin: true,
            Labels: helperLabels(this.labels, dir),
            HostConfig: { ...helperHostConfig(dir), RestartPolicy: { Name: 'unless-stopped' } },
          })
          .catch(async (err: unknown) => {
            // Another operator replica (or an earlier crashed run) created it first.
            if (statusOf(err) === 409) return docker.getContainer(this.name);
            if (statusOf(err) === 404)
              throw new SwarmopError('Unavailable', `network helper image ${this.image} is not on host ${host.name}`);
            throw err;
          });
        await c.start().catch(ignoreNotModified);
        const info = await c.inspect();
        const engineDir = engineNetnsDir(info.NetworkSettings.SandboxKey);
        if (engineDir === dir && info.Config.Labels?.[HELPER_CONFIG_LABEL] === configHash(dir)) {
          // A helper that cannot reach new namespaces is not left behind to be reused.
          await this.checkPropagation(docker, info.Id, dir).catch(async (err: unknown) => {
            await c.remove({ force: true }).catch(() => undefined);
            throw err;
          });
          this.netnsDirs.set(host.name, dir);
          return info.Id;
        }
        await c.remove({ force: true });
        dir = engineDir;
      }
      throw new SwarmopError(
        'Unavailable',
        `the network helper on ${host.name} could not be created with the engine's netns folder ${dir ?? '?'}`,
      );
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
  /** host name -> the engine's netns folder (learned once per host from a probe's SandboxKey). */
  private readonly netnsDirs = new Map<string, Promise<string>>();

  constructor(options: NetHelperOptions = {}) {
    this.image = options.image ?? defaultHelperImage();
    this.ensureImage = options.ensureImage;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.labels = { ...options.labels, [HELPER_ROLE_LABEL]: HELPER_ROLE };
  }

  async netnsPath(host: HelperHost, sandboxKey: unknown): Promise<string> {
    return helperNetnsPath(sandboxKey, await this.netnsDir(host));
  }

  /** A program's container exits at once, its SandboxKey with it: an idle probe tells the folder. */
  private netnsDir(host: HelperHost): Promise<string> {
    const known = this.netnsDirs.get(host.name);
    if (known) return known;
    const dir = (async () => {
      await this.ensureImage?.(host);
      const probe = await host.docker.createContainer({
        Image: this.image,
        Entrypoint: NO_ENTRYPOINT,
        Cmd: HELPER_IDLE_CMD,
        OpenStdin: true,
        Labels: this.labels,
        HostConfig: helperHostConfig(undefined),
      });
      try {
        await probe.start();
        return engineNetnsDir((await probe.inspect()).NetworkSettings.SandboxKey);
      } finally {
        await probe.remove({ force: true }).catch(() => undefined);
      }
    })();
    this.netnsDirs.set(host.name, dir);
    dir.catch(() => this.netnsDirs.delete(host.name));
    return dir;
  }

  async run(host: HelperHost, commands: readonly HelperCommand[]): Promise<ProgramResult> {
    const docker = host.docker;
    let container: Docker.Container | undefined;
    try {
      const dir = await this.netnsDir(host);
      container = await docker.createContainer({
        Image: this.image,
        Entrypoint: NO_ENTRYPOINT,
        Cmd: programArgv(commands),
        Labels: this.labels,
        HostConfig: helperHostConfig(dir),
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      // One cap for both outputs, as for a session: past it the run is ended and fails.
      const limit = new BoundedChunks({ maxBytes: HELPER_OUTPUT_LIMIT_BYTES, what: `network helper run on ${host.name}: output` });
      let overflow: Error | undefined;
      const keep =
        (into: Buffer[]) =>
        (b: Buffer): void => {
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
      if (statusOf(err) === 404 && !container)
        throw new SwarmopError('Unavailable', `network helper image ${this.image} is not on host ${host.name}`);
      throw unavailable(host.name, 'network helper run', err);
    } finally {
      await container?.remove({ force: true }).catch(() => undefined);
    }
  }
}
