/**
 * The operator's own limits on what a document may make it do on a host (`swarmop operator`
 * flags): whoever can write the store prefix directs the operator, so fields that reach the host
 * mean only what they say. Pure checks; each violation names the field it is about, and the
 * controllers refuse the document with a condition instead of acting on it.
 */
import { posix } from 'node:path';
import type { DockerHost } from '../crds/index.js';

export interface TrustPolicy {
  /** ConsulCluster.spec.dataDir must be this directory or under it (--data-dir-root). */
  dataDirRoot: string;
  /**
   * Registries / repositories agent images may come from (--allowed-image, repeatable); an image
   * pinned by digest is always allowed. Undefined: every image is allowed (the default, said at start).
   */
  allowedImages?: readonly string[];
  /** Secret references (gossipKeyRef / aclTokenRef kvKey) must be under this KV prefix (--secrets-prefix). */
  secretsPrefix: string;
  /** A StaticIPAttachment's container must carry this label (--attach-requires-label). */
  attachRequiresLabel?: string;
  /** Send join tokens and secrets to engines reached over plain tcp too (--allow-insecure-engines). */
  allowInsecureEngines: boolean;
}

export const DEFAULT_DATA_DIR_ROOT = '/var/lib/swarmop';

/** The defaults of `swarmop operator`: secrets under `<prefix>secrets/`, no plain-tcp engine gets a secret. */
export function defaultTrustPolicy(storePrefix: string): TrustPolicy {
  return { dataDirRoot: DEFAULT_DATA_DIR_ROOT, secretsPrefix: `${storePrefix}secrets/`, allowInsecureEngines: false };
}

/** One refused field: `field` is its path in the document (spec.dataDir, spec.servers[1].host). */
export interface PolicyViolation {
  field: string;
  message: string;
}

/** Condition reason of a document refused by the operator's policy. */
export const POLICY_REASON = 'NotAllowed';

export function describeViolations(v: readonly PolicyViolation[]): string {
  return v.map((x) => `${x.field}: ${x.message}`).join('; ');
}

/** Undefined when `dir` (absolute) is `root` or below it once normalised (no `..` escapes). */
export function dataDirProblem(dir: string, root: string): string | undefined {
  const d = posix.normalize(dir).replace(/\/+$/, '') || '/';
  const r = posix.normalize(root).replace(/\/+$/, '') || '/';
  if (dir.split('/').includes('..')) return `${dir} has a ".." segment`;
  if (r === '/' || d === r || d.startsWith(`${r}/`)) return undefined;
  return `${dir} is outside the data directory root ${r} (the operator's --data-dir-root)`;
}

/** `[registry/]path` of an image reference without tag or digest, registry docker.io and library/ filled in as the engine does. */
export function imageRepository(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const name = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  return normalizeRepository(name);
}

function normalizeRepository(name: string): string {
  const parts = name.split('/');
  const first = parts[0]!;
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return name;
  return parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

/**
 * An allow-list entry as a repository prefix: `registry.example.com`, `docker.io/hashicorp` (a
 * namespace), `hashicorp/consul` (a repository of Docker Hub), `consul` (docker.io/library/consul).
 */
function entryPrefix(entry: string): string {
  const e = entry.replace(/\/+$/, '');
  const first = e.split('/')[0]!;
  if (first.includes('.') || first.includes(':') || first === 'localhost') return e;
  return normalizeRepository(e);
}

export function imageProblem(image: string, allowed: readonly string[] | undefined): string | undefined {
  if (allowed === undefined) return undefined;
  // A digest names the exact content: whoever pins one chose what runs.
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
  const repo = imageRepository(image);
  if (allowed.some((a) => repo === entryPrefix(a) || repo.startsWith(`${entryPrefix(a)}/`))) return undefined;
  return `image ${image} (${repo}) is not from an allowed registry or repository (${allowed.join(', ') || 'none'}; the operator's --allowed-image) and is not pinned by digest`;
}

export function secretKeyProblem(key: string, prefix: string): string | undefined {
  if (key.startsWith(prefix) && !key.split('/').includes('..')) return undefined;
  return `secret key ${key} is outside the secrets prefix ${prefix} (the operator's --secrets-prefix)`;
}

/** How the operator reaches a DockerHost's engine: a local unix socket never leaves this machine. */
export function engineTransport(host: Pick<DockerHost, 'spec'> | undefined): 'tls' | 'local' | 'plain' | 'unknown' {
  if (!host) return 'unknown';
  if (host.spec.endpoint.startsWith('unix://')) return 'local';
  return host.spec.tls ? 'tls' : 'plain';
}

export function insecureEngineProblem(
  host: Pick<DockerHost, 'spec' | 'metadata'> | undefined,
  what: string,
  policy: TrustPolicy,
): string | undefined {
  if (policy.allowInsecureEngines || engineTransport(host) !== 'plain') return undefined;
  return `DockerHost ${host!.metadata.name} is reached over plain tcp (${host!.spec.endpoint}, no tls); ${what} go only to engines reached over TLS or a local unix socket unless the operator runs with --allow-insecure-engines`;
}

/**
 * The addresses a DockerHost declares for itself: its spec.address and the address of its tcp
 * endpoint. A token is sent to an agent only at one of these, never at an address a document made up.
 */
export function hostAddresses(host: Pick<DockerHost, 'spec'>): string[] {
  const m = /^tcp:\/\/([^:/]+)/.exec(host.spec.endpoint);
  return [host.spec.address, ...(m ? [m[1]!] : [])];
}

export function bindAddressProblem(bindAddress: string, host: Pick<DockerHost, 'spec' | 'metadata'>): string | undefined {
  if (hostAddresses(host).includes(bindAddress)) return undefined;
  return `${bindAddress} is not an address of DockerHost ${host.metadata.name} (${[...new Set(hostAddresses(host))].join(', ')}); the agent's token is sent only to a known host's address`;
}
