/**
 * The network helper's image on each host, provisioned by the operator itself so a host needs
 * nothing but a reachable Docker Engine: no registry, no `docker load` by hand.
 *
 * The contract for any helper image (`swarmop operator --helper-image IMAGE`): Linux, iproute2's
 * `ip` with JSON output (`ip -j`, iproute2 >= 4.13), util-linux's `nsenter`, a POSIX `sh`, `cat` and
 * `sleep` (the netlink monitor's watchdogs);
 * `arping` and `setsid` are used when present (gratuitous ARP after an attach). It runs as root with
 * `--net host`, only NET_ADMIN, NET_RAW and SYS_ADMIN, no-new-privileges, a read-only root
 * filesystem (a tmpfs /tmp) and the engine's netns folder read-only at /run/swarmop/netns
 * (net-helper.ts), never `--privileged`, and runs its own commands (the image's ENTRYPOINT and CMD
 * are not used). A custom image
 * missing on a host is pulled by that host's engine (a failed pull is reported, and retried).
 *
 * The default image, `swarmop/nethelper:<package version>`, is not pulled from anywhere: when a host
 * lacks it the operator imports it through the host's Docker API (`POST /images/create?fromSrc=-`)
 * from the root filesystem the package carries (assets/nethelper-rootfs.tar.gz, built by
 * hack/helper-rootfs.sh). The tag changes with the package version, so an upgraded operator brings
 * its own helper; the image also carries the archive's digest in a label, so a host holding the same
 * tag with other content (a development build) gets the archive's content again.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { rootfsArchitecture } from './helper-architecture.js';
import { SwarmopError } from '../errors.js';
import { packageFile, packageInfo } from '../package-info.js';
import { engineMessage, engineText } from '../docker/engine-message.js';

export const HELPER_IMAGE_REPOSITORY = 'swarmop/nethelper';
/** Relative to the package root. */
export const HELPER_ROOTFS = 'assets/nethelper-rootfs.tar.gz';
/** sha256 of the archive an imported default image was made from. */
export const HELPER_ROOTFS_LABEL = 'io.swarmop.helper-rootfs';
/**
 * Keeps a resident helper alive with nothing but `sh`: it waits on its stdin, which the engine
 * keeps open (OpenStdin) and nobody writes to. Also the imported image's default command.
 */
export const HELPER_IDLE_CMD = ['sh', '-c', "trap 'exit 0' TERM INT; while read -r _; do :; done"];

export function defaultHelperImage(version = packageInfo().version): string {
  return `${HELPER_IMAGE_REPOSITORY}:${version}`;
}

/** What the host holds, as recorded on the DockerHost's status.helperImage. */
export interface HelperImageStatus {
  image: string;
  /** Present: it was there; Imported / Pulled: this operator put it there; Failed: it is not there. */
  state: 'Present' | 'Imported' | 'Pulled' | 'Failed';
  /** Image id on the host. */
  id?: string;
  /** Why it failed (the engine's own message), or how it was provisioned. */
  message?: string;
  /** How long this operator's import or pull took (ms). */
  provisionMs?: number;
  /** Failed only: a short CamelCase cause (RootfsMissing, HelperArchitectureMismatch, ImportFailed, PullFailed, Unavailable). */
  reason?: string;
}

export interface HelperImageHost {
  name: string;
  docker: Docker;
}

export interface ProvisionLog {
  info(message: string, fields?: Record<string, unknown>): unknown;
  warn(message: string, fields?: Record<string, unknown>): unknown;
}

export interface HelperImageProvisionerOptions {
  /** Run this image instead of the default (pulled by the host when missing, never imported). */
  image?: string;
  /** The root filesystem archive for the default image (default: the package's). */
  rootfsPath?: string;
  log?: ProvisionLog;
  /** A failed host is tried again after this long (ms); meanwhile its failure is answered from memory. */
  retryFailedMs?: number;
  now?: () => number;
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' ? s : undefined;
}

export { engineMessage };

/** Runs a streamed image call (pull, import) to its end; an `error` line in the stream is a failure. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Record<string, unknown>[]) => {
      if (err) return reject(err);
      const failed = output.find((o) => o['error'] !== undefined || o['errorDetail'] !== undefined);
      if (failed) {
        const detail = failed['errorDetail'] as { message?: string } | undefined;
        return reject(new Error(engineText(String(detail?.message ?? failed['error']))));
      }
      resolve(output);
    });
  });
}

/** HelperImageProvisioner.decide's answer. */
export type HelperImageDecision = { action: 'none' | 'refuse'; status: HelperImageStatus } | { action: 'import' | 'pull'; image: string };

/**
 * One per operator: knows, per host, whether the helper image is there, and puts it there once.
 * Concurrent callers for one host share one provisioning.
 */
export class HelperImageProvisioner {
  readonly image: string;
  /** True when the image is the caller's (--helper-image): pulled, never imported. */
  readonly custom: boolean;
  private readonly rootfsPath: string;
  private readonly log: ProvisionLog | undefined;
  private readonly retryFailedMs: number;
  private readonly now: () => number;
  private readonly byHost = new Map<string, { docker: Docker; at: number; result: Promise<HelperImageStatus> }>();
  private rootfs: Promise<{ bytes: Buffer; digest: string; arch: string | undefined }> | undefined;

  constructor(options: HelperImageProvisionerOptions = {}) {
    this.custom = options.image !== undefined;
    this.image = options.image ?? defaultHelperImage();
    this.rootfsPath = options.rootfsPath ?? packageFile(HELPER_ROOTFS);
    this.log = options.log;
    this.retryFailedMs = options.retryFailedMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The image's state on the host, provisioning it first when it is missing. Never throws. */
  async ensure(host: HelperImageHost): Promise<HelperImageStatus> {
    const cached = this.byHost.get(host.name);
    if (cached && cached.docker === host.docker) {
      const r = await cached.result;
      if (r.state !== 'Failed' || this.now() - cached.at < this.retryFailedMs) return r;
    }
    const entry = { docker: host.docker, at: this.now(), result: this.provision(host) };
    this.byHost.set(host.name, entry);
    return entry.result;
  }

  /**
   * Like ensure, but a missing image is an error (for the helpers that need it now). Called before a
   * helper container is created, which is rare: the image is looked for again, since it may have been
   * removed from the host after it was checked, and is then provisioned again.
   */
  async require(host: HelperImageHost): Promise<void> {
    let s = await this.ensure(host);
    if (s.state !== 'Failed' && !(await this.inspect(host.docker))) {
      this.forget(host.name);
      s = await this.ensure(host);
    }
    if (s.state === 'Failed')
      throw new SwarmopError('Unavailable', `network helper image ${this.image} is not on host ${host.name}: ${s.message}`);
  }

  /** Check the host again at the next ensure (e.g. the image was removed by hand). */
  forget(host: string): void {
    this.byHost.delete(host);
  }

  /**
   * What ensure() would do on this host, decided with reads only (inspect, version): it is already
   * there, it cannot be (another architecture), or it would be imported or pulled. The adoption
   * report asks this instead of ensure().
   */
  async decide(host: HelperImageHost): Promise<HelperImageDecision> {
    const mismatch = this.custom ? undefined : await this.architectureMismatch(host);
    if (mismatch) return { action: 'refuse', status: mismatch };
    const present = await this.inspect(host.docker);
    if (present) {
      if (this.custom) return { action: 'none', status: { image: this.image, state: 'Present', id: present.Id } };
      const { digest } = await this.loadRootfs().catch(() => ({ digest: undefined }));
      // Without the archive at hand any image under the tag is taken as it is.
      if (digest === undefined || present.Config?.Labels?.[HELPER_ROOTFS_LABEL] === digest)
        return { action: 'none', status: { image: this.image, state: 'Present', id: present.Id } };
    }
    return { action: this.custom ? 'pull' : 'import', image: this.image };
  }

  private async provision(host: HelperImageHost): Promise<HelperImageStatus> {
    try {
      const decision = await this.decide(host);
      if (decision.action === 'none' || decision.action === 'refuse') return decision.status;
      return decision.action === 'pull' ? await this.pull(host) : await this.import(host);
    } catch (err) {
      const message = engineMessage(err);
      this.log?.warn('helper image not provisioned', { host: host.name, image: this.image, reason: 'Unavailable', error: message });
      return { image: this.image, state: 'Failed', reason: 'Unavailable', message };
    }
  }

  private async inspect(docker: Docker): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await docker.getImage(this.image).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /**
   * The default image is the packing machine's binaries: on a host of another architecture every
   * helper command would fail with "exec format error", so it is not imported there and the host is
   * told why. (A custom image is pulled, and a registry serves the host's own architecture.)
   */
  private async architectureMismatch(host: HelperImageHost): Promise<HelperImageStatus | undefined> {
    const built = (await this.loadRootfs().catch(() => undefined))?.arch;
    if (built === undefined) return undefined;
    // Asked here rather than passed in: provisioning is rare (once per host, and after a failure).
    const reported = (await host.docker.version()).Arch;
    if (!reported || reported === built) return undefined;
    const message = `helper image is built for ${built}, host reports ${reported}: pack swarmop on a ${reported} machine for this host, or run the operator with --helper-image IMAGE`;
    this.log?.warn('helper image not provisioned', {
      host: host.name,
      image: this.image,
      reason: 'HelperArchitectureMismatch',
      error: message,
    });
    return { image: this.image, state: 'Failed', reason: 'HelperArchitectureMismatch', message };
  }

  private loadRootfs(): Promise<{ bytes: Buffer; digest: string; arch: string | undefined }> {
    this.rootfs ??= readFile(this.rootfsPath).then(async (bytes) => ({
      bytes,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      arch: await rootfsArchitecture(bytes).catch(() => undefined),
    }));
    this.rootfs.catch(() => (this.rootfs = undefined));
    return this.rootfs;
  }

  private async import(host: HelperImageHost): Promise<HelperImageStatus> {
    let rootfs: { bytes: Buffer; digest: string; arch: string | undefined };
    try {
      rootfs = await this.loadRootfs();
    } catch (err) {
      const message = `the default helper's root filesystem ${this.rootfsPath} cannot be read (${(err as Error).message}); build it with hack/helper-rootfs.sh or run the operator with --helper-image IMAGE`;
      this.log?.warn('helper image not provisioned', { host: host.name, image: this.image, reason: 'RootfsMissing', error: message });
      return { image: this.image, state: 'Failed', reason: 'RootfsMissing', message };
    }
    const [repo, tag] = splitTag(this.image);
    const started = this.now();
    try {
      const stream = await (host.docker.importImage(
        rootfs.bytes as never,
        {
          repo,
          tag,
          changes: [
            `CMD ${JSON.stringify(HELPER_IDLE_CMD)}`,
            `LABEL ${HELPER_ROOTFS_LABEL}=${rootfs.digest}`,
            'LABEL io.swarmop.role=nethelper',
          ],
        } as never,
      ) as unknown as Promise<NodeJS.ReadableStream>);
      await follow(host.docker, stream);
    } catch (err) {
      const message = `import of ${this.image} failed: ${engineMessage(err)}`;
      this.log?.warn('helper image not provisioned', { host: host.name, image: this.image, reason: 'ImportFailed', error: message });
      return { image: this.image, state: 'Failed', reason: 'ImportFailed', message };
    }
    const provisionMs = this.now() - started;
    const id = (await this.inspect(host.docker))?.Id;
    this.log?.info('helper image provisioned', {
      host: host.name,
      image: this.image,
      how: 'imported',
      bytes: rootfs.bytes.length,
      ms: provisionMs,
    });
    return {
      image: this.image,
      state: 'Imported',
      ...(id ? { id } : {}),
      message: `imported from ${rootfs.bytes.length} bytes of root filesystem`,
      provisionMs,
    };
  }

  private async pull(host: HelperImageHost): Promise<HelperImageStatus> {
    const started = this.now();
    try {
      await follow(host.docker, await (host.docker.pull(this.image) as unknown as Promise<NodeJS.ReadableStream>));
    } catch (err) {
      const message = `pull of ${this.image} failed: ${engineMessage(err)}`;
      this.log?.warn('helper image not provisioned', { host: host.name, image: this.image, reason: 'PullFailed', error: message });
      return { image: this.image, state: 'Failed', reason: 'PullFailed', message };
    }
    const provisionMs = this.now() - started;
    const id = (await this.inspect(host.docker))?.Id;
    this.log?.info('helper image provisioned', { host: host.name, image: this.image, how: 'pulled', ms: provisionMs });
    return { image: this.image, state: 'Pulled', ...(id ? { id } : {}), provisionMs };
  }
}

const PINNED = /@sha256:[a-f0-9]{64}$/;

/**
 * Pure: a warning for a --helper-image given by tag alone (undefined for a digest or the default).
 * The helper runs with NET_ADMIN and SYS_ADMIN in every host's namespaces: a tag is whatever its
 * registry serves that day, a digest is one image.
 */
export function helperImagePinWarning(image: string | undefined): string | undefined {
  if (image === undefined || PINNED.test(image)) return undefined;
  return `--helper-image ${image} is a tag: whatever the registry serves under it runs with the helper's privileges on every host; pin it as ${image}@sha256:DIGEST`;
}

/** `repo[:tag]` -> [repo, tag]; a registry port (`host:5000/x`) is not a tag. */
export function splitTag(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  if (at > image.lastIndexOf('/')) return [image.slice(0, at), image.slice(at + 1)];
  return [image, 'latest'];
}
