/**
 * The Docker hosts as reconcilers see them: built from the cached DockerHost objects, one dockerode
 * client per host (rebuilt when its endpoint/TLS changes), with reachability kept current by the
 * host event streams. Controllers never construct Docker clients themselves. Each host has a second
 * client without a request timeout for long-lived streams (helper sessions, netlink monitors).
 */
import type { DockerHost } from '../crds/index.js';
import type { HostHandle, Hosts } from '../controllers/kind-reconciler.js';
import Docker from 'dockerode';
import type { HostProbes } from './host-streams.js';
import { DockerClients, newDockerClient, streamDockerOptionsFor } from '../docker/docker-client.js';
import { fenceDockerClient } from '../docker/fenced-docker.js';
import type { Fence } from '../runtime/fence.js';

export interface HostRegistryOptions {
  /** Current DockerHost objects with a valid spec (from the cache). */
  dockerHosts: () => Iterable<DockerHost>;
  /** One DockerHost by name (from the cache's map; default: a scan of `dockerHosts`). */
  dockerHost?: (name: string) => DockerHost | undefined;
  clients?: DockerClients;
  /** Under leader election: every mutating Docker call of every client built here passes it. */
  fence?: Fence;
}

export class HostRegistry implements Hosts, HostProbes {
  readonly #opts: HostRegistryOptions;
  readonly #clients: DockerClients;
  readonly #streamClients: DockerClients;
  readonly #connected = new Map<string, boolean>();
  readonly #probed = new Map<string, boolean>();
  readonly #probeListeners = new Set<(host: string, reachable: boolean) => void>();

  constructor(options: HostRegistryOptions) {
    this.#opts = options;
    const fence = options.fence;
    const wrap = fence ? { wrap: (d: Docker) => fenceDockerClient(d, fence) } : {};
    this.#clients = options.clients ?? new DockerClients(wrap);
    this.#streamClients = new DockerClients({ create: (ep) => newDockerClient(streamDockerOptionsFor(ep)), ...wrap });
  }

  get(name: string): HostHandle | undefined {
    if (this.#opts.dockerHost) {
      const h = this.#opts.dockerHost(name);
      return h ? this.#handle(h) : undefined;
    }
    for (const h of this.#opts.dockerHosts()) if (h.metadata.name === name) return this.#handle(h);
    return undefined;
  }

  list(): HostHandle[] {
    const out: HostHandle[] = [];
    for (const h of this.#opts.dockerHosts()) {
      const handle = this.#handle(h);
      if (handle) out.push(handle);
    }
    return out;
  }

  /** Called by the host event streams. */
  setConnected(name: string, connected: boolean): void {
    this.#connected.set(name, connected);
  }

  /**
   * A connected event stream means ready; otherwise the latest probe says, else a stream that
   * failed; unknown (neither yet): ready, so the first reconcile tries for real. Streams of hosts
   * that are down are not dialled between probes, so the probe is what knows those.
   */
  #ready(name: string): boolean {
    const connected = this.#connected.get(name);
    return connected === true || (this.#probed.get(name) ?? connected ?? true);
  }

  /** The host's client without a request timeout (one per host, shared with its event stream). */
  streamClient(h: DockerHost): Docker {
    return this.#streamClients.get(h.metadata.name, { endpoint: h.spec.endpoint, tls: h.spec.tls });
  }

  /** Called by the DockerHost controller after each probe; the host event streams wait for it. */
  reportProbe(name: string, reachable: boolean): void {
    this.#probed.set(name, reachable);
    for (const l of this.#probeListeners) l(name, reachable);
  }

  probed(name: string): boolean | undefined {
    return this.#probed.get(name);
  }

  onProbe(listener: (host: string, reachable: boolean) => void): () => void {
    this.#probeListeners.add(listener);
    return () => void this.#probeListeners.delete(listener);
  }

  forget(name: string): void {
    this.#connected.delete(name);
    this.#probed.delete(name);
    this.#clients.forget(name);
    this.#streamClients.forget(name);
  }

  #handle(h: DockerHost): HostHandle | undefined {
    try {
      const docker = this.#clients.get(h.metadata.name, { endpoint: h.spec.endpoint, tls: h.spec.tls });
      const streamClient = () => this.streamClient(h);
      // Built on first use: most reconciles of most hosts never open a long-lived stream.
      return {
        name: h.metadata.name,
        address: h.spec.address,
        docker,
        get streamDocker() {
          return streamClient();
        },
        ready: this.#ready(h.metadata.name),
      };
    } catch {
      return undefined; // unusable endpoint/TLS files: the DockerHost controller reports why
    }
  }
}
