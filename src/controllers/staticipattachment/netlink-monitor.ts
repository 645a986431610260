/**
 * Host network drift seen as it happens: the kernel announces every link, address and route change
 * over netlink, and `ip -o monitor link address route` prints one line per change. A netns only
 * announces its own changes, so there is one monitor in the host's netns (bridge, uplink, host
 * veths) and one per attached container's netns (entered through its netns file with nsenter). Each
 * is a long-lived exec in the host's resident network helper running a FIXED script; the file travels
 * as a positional argument. A line is mapped to the attachments it concerns and those keys are queued;
 * the periodic resync stays the safety net for anything missed.
 *
 * Lifetimes: the host monitor reconnects with backoff, like the Docker event stream, and queues
 * every attachment on the host after a reconnect (changes may have been missed meanwhile). A
 * container monitor ends when its netns file no longer enters a namespace (the engine unmounts it
 * when the container stops, and removes the file only later; the script checks every 5 s; a restart, with a new file, replaces it at once through noteContainer) or when the operator closes the connection (EOF on stdin); its
 * end queues the container's attachments, whose reconcile registers the current namespace again.
 */
import type Docker from 'dockerode';
import { openExecStream } from '../../docker/exec-stream.js';
import { backoffDelay } from '../../runtime/backoff.js';
import { sleep, systemClock } from '../../runtime/clock.js';
import { LineSplitter } from '../../runtime/docker-events.js';
import { createSilentLogger, type Logger } from '../../runtime/logger.js';
import type { HostHandle, Hosts } from '../kind-reconciler.js';
import { isHelperNetnsPath } from '../../nethelper/netns-file.js';
import { type AttachmentResource, desiredFor } from './desired.js';
import { engineMessage, engineText } from '../../docker/engine-message.js';

/**
 * `$1` is `host` or a netns file as the helper sees it. Background helpers write nowhere (the exec ends only when every writer
 * of its stdout/stderr is gone); `cat` on the saved stdin ends at EOF, i.e. when the operator left.
 */
export const MONITOR_SCRIPT = [
  'exec 3<&0',
  'if [ "$1" = host ]; then ip -o monitor link address route & else nsenter --net="$1" ip -o monitor link address route & fi',
  'm=$!',
  'if [ "$1" != host ]; then ( while nsenter --net="$1" sh -c : 2>/dev/null; do sleep 5; done; kill "$m" ) >/dev/null 2>&1 & fi',
  '( cat <&3; kill "$m" ) >/dev/null 2>&1 &',
  'wait "$m"',
].join('\n');

/**
 * Feeds `stdout` to `onLine` a line at a time, each at most `maxLineBytes` (default LINE_LIMIT_BYTES):
 * a longer one calls `onOverflow` once (the owner ends the monitor) and nothing more is read.
 */
export function followLines(
  stdout: NodeJS.ReadableStream,
  options: { maxLineBytes?: number; what: string },
  onLine: (line: string) => void,
  onOverflow: (err: Error) => void,
): void {
  const splitter = new LineSplitter(options);
  let over = false;
  stdout.on('data', (chunk: Buffer) => {
    if (over) return;
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch (err) {
      over = true;
      onOverflow(err as Error);
      return;
    }
    for (const line of lines) onLine(line);
  });
}

export function monitorArgv(target: string): string[] {
  if (target !== 'host' && !isHelperNetnsPath(target)) throw new Error(`bad monitor target ${JSON.stringify(target)}`);
  return ['sh', '-c', MONITOR_SCRIPT, 'swarmop-monitor', String(target)];
}

/**
 * Interface names a host-netns monitor line is about: the link or address line's own interface
 * (`N: name`), or a route line's `dev name`. A port's `master` is not what the line is about: a
 * change of one attachment's host veth names the bridge it shares with others, and queuing those
 * others would put their observe programs on the host's one helper session ahead of the repair.
 */
export function linkNamesIn(line: string): string[] {
  const head = /^(?:Deleted\s+)?\d+:\s+([^\s:@]+)/.exec(line);
  if (head) return [head[1]!];
  const names = new Set<string>();
  for (const m of line.matchAll(/\bdev\s+([^\s@]+)/g)) names.add(m[1]!);
  return [...names];
}

/** The attachments on `host` that a host-netns line concerns (their host veth, bridge or uplink). */
export function attachmentsForHostLine(host: string, line: string, attachments: readonly AttachmentResource[]): string[] {
  const names = new Set(linkNamesIn(line));
  if (names.size === 0) return [];
  const out: string[] = [];
  for (const a of attachments) {
    if (a.spec.host !== host) continue;
    let d;
    try {
      d = desiredFor(a);
    } catch {
      continue;
    }
    if (names.has(d.hostVeth) || names.has(d.peerVeth) || names.has(d.bridge) || (d.uplink !== undefined && names.has(d.uplink))) {
      out.push(a.metadata.name);
    }
  }
  return out;
}

export interface NetlinkWatchOptions {
  hosts: Hosts;
  /** Current StaticIPAttachments (from the cache). */
  attachments: () => AttachmentResource[];
  /** The current ones on one host (the cache's host index): what a host's line or reconnect looks at. */
  onHost: (host: string) => AttachmentResource[];
  /** The resident helper's container id on a host (created when missing). */
  helperContainer: (host: HostHandle) => Promise<string>;
  enqueue: (name: string) => void;
  backoff?: { baseMs: number; capMs: number };
  log?: Logger;
}

interface ContainerMonitor {
  host: string;
  container: string;
  netns: string;
  abort: AbortController;
}

const LIVED_MS = 1_000;

export class NetlinkWatch {
  readonly #opts: NetlinkWatchOptions;
  readonly #log: Logger;
  readonly #hostMonitors = new Map<string, AbortController>();
  readonly #containers = new Map<string, ContainerMonitor>();
  /** host/container/netns -> time before which a failing monitor is not started again. */
  readonly #holdOff = new Map<string, number>();
  #signal: AbortSignal | undefined;

  constructor(options: NetlinkWatchOptions) {
    this.#opts = options;
    this.#log = (options.log ?? createSilentLogger()).child({ component: 'netlink-monitor' });
  }

  /** Runs until `signal` aborts; keeps one host monitor per host that has attachments. */
  async start(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    while (!signal.aborted) {
      this.sync();
      await sleep(systemClock, 1_000, signal);
    }
    for (const a of this.#hostMonitors.values()) a.abort();
    for (const c of this.#containers.values()) c.abort.abort();
    this.#hostMonitors.clear();
    this.#containers.clear();
  }

  /** Monitors for hosts/containers no attachment names any more are stopped; missing host monitors started. */
  sync(): void {
    const signal = this.#signal;
    if (!signal || signal.aborted) return;
    const all = this.#opts.attachments();
    const hosts = new Set(all.map((a) => a.spec.host));
    const containers = new Set(all.map((a) => `${a.spec.host}/${a.spec.container}`));
    for (const [host, abort] of this.#hostMonitors) {
      if (!hosts.has(host)) {
        abort.abort();
        this.#hostMonitors.delete(host);
      }
    }
    for (const [key, m] of this.#containers) {
      if (!containers.has(key)) {
        m.abort.abort();
        this.#containers.delete(key);
      }
    }
    const now = Date.now();
    for (const [k, until] of this.#holdOff) if (until <= now) this.#holdOff.delete(k);
    for (const host of hosts) {
      if (this.#hostMonitors.has(host)) continue;
      const abort = childAbort(signal);
      this.#hostMonitors.set(host, abort);
      void this.#runHost(host, abort.signal);
    }
  }

  /** The container runs in `netns` (its netns file as the helper sees it): watch it (no-op when already watched). */
  noteContainer(host: string, container: string, netns: string): void {
    const signal = this.#signal;
    if (!signal || signal.aborted) return;
    const key = `${host}/${container}`;
    const current = this.#containers.get(key);
    if (current?.netns === netns) return;
    // Held off per namespace: a restarted container (new netns file) is watched at once.
    if ((this.#holdOff.get(`${key}/${netns}`) ?? 0) > Date.now()) return;
    current?.abort.abort();
    const m: ContainerMonitor = { host, container, netns, abort: childAbort(signal) };
    this.#containers.set(key, m);
    void this.#runContainer(key, m);
  }

  #enqueueWhere(host: string, pred: (a: AttachmentResource) => boolean): void {
    for (const a of this.#opts.onHost(host)) if (pred(a)) this.#opts.enqueue(a.metadata.name);
  }

  async #open(hostName: string, target: string, signal: AbortSignal, onLine: (line: string) => void, onOpen?: () => void): Promise<void> {
    const host = this.#opts.hosts.get(hostName);
    if (!host) throw new Error(`DockerHost ${hostName} not found`);
    const docker: Docker | undefined = host.streamDocker;
    if (!docker) throw new Error(`no stream client for ${hostName}`);
    const id = await this.#opts.helperContainer(host);
    if (signal.aborted) return;
    const s = await openExecStream(docker, id, monitorArgv(target));
    onOpen?.();
    const onAbort = (): void => s.close();
    signal.addEventListener('abort', onAbort, { once: true });
    let overflow: Error | undefined;
    followLines(s.stdout, { what: `netlink monitor on ${hostName}: a line` }, onLine, (err) => {
      overflow = err;
      s.close();
    });
    // Only the start of stderr is ever shown: the rest is dropped, not kept.
    let errs = '';
    s.stderr.on('data', (chunk: Buffer) => {
      if (errs.length < 300) errs += chunk.toString('utf8').slice(0, 300);
    });
    await s.closed;
    signal.removeEventListener('abort', onAbort);
    if (!signal.aborted && errs.length > 0)
      this.#log.debug('netlink monitor stderr', { host: hostName, target, stderr: engineText(errs, 300) });
    // Thrown after the close so the caller logs it and reconnects, as for any monitor that ends.
    if (overflow) throw overflow;
  }

  async #runHost(host: string, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let reconnect = false;
    while (!signal.aborted) {
      const opened = Date.now();
      try {
        await this.#open(
          host,
          'host',
          signal,
          (line) => {
            for (const name of attachmentsForHostLine(host, line, this.#opts.onHost(host))) this.#opts.enqueue(name);
          },
          // Changes made while nobody listened: look at every attachment on the host again.
          () => reconnect && this.#enqueueWhere(host, () => true),
        );
        if (signal.aborted) break;
        throw new Error('netlink monitor ended');
      } catch (err) {
        if (signal.aborted) break;
        failures = Date.now() - opened >= LIVED_MS ? 1 : failures + 1;
        const delay = backoffDelay(failures, { ...(this.#opts.backoff ?? { baseMs: 250, capMs: 5_000 }), jitter: 0.1 });
        this.#log.warn('netlink monitor down, reconnecting', { host, error: engineMessage(err), delayMs: delay });
        await sleep(systemClock, delay, signal);
        reconnect = true;
      }
    }
  }

  async #runContainer(key: string, m: ContainerMonitor): Promise<void> {
    const started = Date.now();
    let error: string | undefined;
    try {
      await this.#open(m.host, m.netns, m.abort.signal, () => this.#enqueueWhere(m.host, (a) => a.spec.container === m.container));
    } catch (err) {
      error = engineMessage(err);
    }
    if (this.#containers.get(key) === m) this.#containers.delete(key);
    if (m.abort.signal.aborted) return;
    if (Date.now() - started < LIVED_MS) {
      // Failing at once (helper missing, namespace gone): do not spin; the next reconcile after the hold-off retries.
      this.#holdOff.set(`${key}/${m.netns}`, Date.now() + 5_000);
      this.#log.debug('container netlink monitor ended at once', {
        host: m.host,
        container: m.container,
        netns: m.netns,
        ...(error ? { error } : {}),
      });
      return;
    }
    // The container stopped or the exec broke: its reconcile registers the current namespace again.
    this.#enqueueWhere(m.host, (a) => a.spec.container === m.container);
  }
}

function childAbort(parent: AbortSignal): AbortController {
  const c = new AbortController();
  const onAbort = (): void => c.abort();
  parent.addEventListener('abort', onAbort, { once: true });
  c.signal.addEventListener('abort', () => parent.removeEventListener('abort', onAbort), { once: true });
  return c;
}
