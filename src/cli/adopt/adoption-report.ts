/**
 * The adoption report: for every object of the manifests, what its controller finds on the hosts
 * and what it would do there, from the kinds' adoption modules (which run the controllers' own
 * checks, observation and plan). Every host is reached through a client that refuses any changing
 * call (readOnlyDockerClient) except an exec of a read-only program in a helper already there.
 */
import type Docker from 'dockerode';
import type { DockerHost, KindName, Resource, StaticIPAttachment, SwarmCluster } from '../../crds/index.js';
import { isSwarmopError } from '../../errors.js';
import type { AdoptionFinding } from '../../controllers/adoption-finding.js';
import { assessDockerHostAdoption } from '../../controllers/dockerhost/adoption.js';
import { type AdoptionNetHelper, assessAttachmentAdoption } from '../../controllers/staticipattachment/adoption.js';
import type { HostHandle, Hosts, KindTypes, ObjectCache } from '../../controllers/kind-reconciler.js';
import { scanByIndex } from '../../controllers/kind-indexes.js';
import { assessSwarmAdoption } from '../../controllers/swarmcluster/adoption.js';
import type { SwarmApi } from '../../controllers/swarmcluster/swarm-api.js';
import { defaultTrustPolicy, type TrustPolicy } from '../../controllers/trust-policy.js';
import { DEFAULT_PREFIX } from '../../store/store-keys.js';
import { dockerOptionsFor, newDockerClient } from '../../docker/docker-client.js';
import { readOnlyDockerClient } from '../../docker/read-only-docker.js';
import { HelperImageProvisioner } from '../../nethelper/helper-image.js';
import { isReadOnlyProgramArgv, ReadOnlyNetHelper } from '../../nethelper/read-only-helper.js';
import { engineMessage } from '../../docker/engine-message.js';

export interface AdoptionReportOptions {
  /** Validated, defaulted documents (loadManifests). */
  resources: readonly Resource[];
  /** A client of a DockerHost's engine; default: a read-only client of its endpoint. Throws for an unusable endpoint. */
  dockerFor?: (host: DockerHost) => Docker;
  helper?: AdoptionNetHelper;
  helperImages?: Pick<HelperImageProvisioner, 'decide'>;
  /** Assume the operator runs with --attach-requires-label LABEL. */
  attachRequiresLabel?: string;
  probeTimeoutMs?: number;
  /** The operator's limits the report assumes; default: `swarmop operator`'s defaults. */
  policy?: TrustPolicy;
  /** As the operator's --helper-image: the network helper image it would run. */
  helperImage?: string;
  /** As the operator's --allow-insecure-engines (ignored when `policy` is given). */
  allowInsecureEngines?: boolean;
  /** A host's swarm API (tests); default: dockerode through the host's read-only client. */
  swarmApiFor?: (host: HostHandle) => SwarmApi;
}

/** Kinds whose adoption the dry run does not assess yet: reported as such, never guessed. */
const NOT_REPORTED_YET: Partial<Record<KindName, string>> = {
  ConsulCluster: 'the dry run does not assess ConsulClusters yet: hand-run agents are replaced, not adopted (docs/migration.md, Consul)',
  ServiceAddresses: 'the dry run does not assess ServiceAddresses yet',
};

/** The default client: the operator's own construction of it, wrapped so it can only read. */
export function readOnlyDockerFor(host: DockerHost): Docker {
  const docker = newDockerClient(dockerOptionsFor({ endpoint: host.spec.endpoint, ...(host.spec.tls ? { tls: host.spec.tls } : {}) }));
  return readOnlyDockerClient(docker, { allowExec: isReadOnlyProgramArgv });
}

export async function buildAdoptionReport(options: AdoptionReportOptions): Promise<AdoptionFinding[]> {
  const dockerFor = options.dockerFor ?? readOnlyDockerFor;
  const dockerHosts = options.resources.filter((r) => r.kind === 'DockerHost') as unknown as DockerHost[];
  const handles = new Map<string, HostHandle>();
  for (const h of dockerHosts) {
    try {
      handles.set(h.metadata.name, { name: h.metadata.name, address: h.spec.address, docker: dockerFor(h), ready: false });
    } catch {
      // No client (endpoint or TLS files unusable): the DockerHost's line says why, as its controller does.
    }
  }
  const hosts: Hosts = { get: (n) => handles.get(n), list: () => [...handles.values()] };
  const byObject = new Map<unknown, AdoptionFinding>();

  await Promise.all(
    dockerHosts.map(async (h) => {
      const { finding, reachable } = await assessDockerHostAdoption(h, {
        hosts,
        helperImages:
          options.helperImages ?? new HelperImageProvisioner(options.helperImage !== undefined ? { image: options.helperImage } : {}),
        ...(options.probeTimeoutMs !== undefined ? { probeTimeoutMs: options.probeTimeoutMs } : {}),
      }).catch((err: unknown) => ({ finding: failed(h, h.metadata.name, err), reachable: false }));
      const handle = handles.get(h.metadata.name);
      if (handle) handle.ready = reachable;
      byObject.set(h, finding);
    }),
  );

  const cache = manifestCache(options.resources);
  const helper = options.helper ?? new ReadOnlyNetHelper(options.helperImage !== undefined ? { image: options.helperImage } : {});
  await Promise.all(
    (options.resources.filter((r) => r.kind === 'StaticIPAttachment') as unknown as StaticIPAttachment[]).map(async (a) => {
      const finding = await assessAttachmentAdoption(a, {
        hosts,
        cache,
        helper,
        ...(options.attachRequiresLabel !== undefined ? { attachRequiresLabel: options.attachRequiresLabel } : {}),
      }).catch((err: unknown) => failed(a, a.spec.host, err));
      byObject.set(a, finding);
    }),
  );

  const policy = options.policy ?? { ...defaultTrustPolicy(DEFAULT_PREFIX), allowInsecureEngines: options.allowInsecureEngines === true };
  await Promise.all(
    (options.resources.filter((r) => r.kind === 'SwarmCluster') as unknown as SwarmCluster[]).map(async (sc) => {
      const finding = await assessSwarmAdoption(sc, {
        hosts,
        cache,
        policy,
        ...(options.swarmApiFor ? { apiFor: options.swarmApiFor } : {}),
      }).catch((err: unknown) => failed(sc, undefined, err));
      byObject.set(sc, finding);
    }),
  );

  return options.resources.map(
    (r) =>
      byObject.get(r) ?? {
        kind: r.kind as KindName,
        name: r.metadata.name,
        verdict: 'not-reported',
        message: NOT_REPORTED_YET[r.kind as KindName] ?? `the dry run does not assess ${r.kind} yet`,
        found: [],
        steps: [],
      },
  );
}

/**
 * An object whose look failed part-way: an engine that stopped answering is unreachable; anything
 * else is reported as not seen, with the error, rather than given a verdict nobody observed.
 */
function failed(r: Pick<Resource, 'kind' | 'metadata'>, host: string | undefined, err: unknown): AdoptionFinding {
  const base = { kind: r.kind as KindName, name: r.metadata.name, ...(host !== undefined ? { host } : {}), found: [], steps: [] };
  const message = isSwarmopError(err) ? err.message : engineMessage(err);
  if (isSwarmopError(err) && (err.code === 'Unavailable' || err.code === 'Timeout'))
    return { ...base, verdict: 'unreachable', reason: 'HostUnreachable', message };
  return { ...base, verdict: 'unobserved', message: `could not be looked at: ${message}` };
}

/** The manifests' objects as the controllers' cache shows them (the same indexes). */
export function manifestCache(resources: readonly Resource[]): ObjectCache {
  const ofKind = <K extends KindName>(kind: K): KindTypes[K][] => resources.filter((r) => r.kind === kind) as unknown as KindTypes[K][];
  return {
    get: <K extends KindName>(kind: K, name: string) => ofKind(kind).find((o) => o.metadata.name === name),
    list: ofKind,
    byIndex: <K extends KindName>(kind: K, index: string, value: string) => scanByIndex(kind, index, value, ofKind(kind)),
  };
}
