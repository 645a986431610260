/**
 * Which Consul configuration dialect an agent image takes, from the version in its tag
 * (`hashicorp/consul:1.8.7`, `…:1.19.2-ent`). Consul renamed its settings over the 1.x line:
 * 1.11 renamed acl.tokens.master / agent_master to initial_management / agent_recovery, and 1.12
 * moved the TLS settings into a `tls { defaults {…} internal_rpc {…} }` stanza (ui_config exists
 * since 1.9). The old names are deprecated, so each range gets the names it documents.
 */

/** `legacy`: Consul 1.8.0–1.11.x; `current`: 1.12.0 and later 1.x. */
export type ConsulDialect = 'legacy' | 'current';

export const SUPPORTED_CONSUL_RANGE = '1.8.0 to 1.x (1.8.0–1.11.x: the 1.8 names; 1.12.0 and later: the current names)';

export interface ConsulVersion {
  major: number;
  minor: number;
  patch: number;
}

export type DialectChoice = { dialect: ConsulDialect; version?: ConsulVersion } | { unsupported: string };

/** The version in an image reference's tag (digest and registry port ignored); undefined when the tag is not a version. */
export function imageVersion(image: string): ConsulVersion | undefined {
  const noDigest = image.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  if (colon < 0) return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(noDigest.slice(colon + 1));
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

/**
 * The dialect for an image. A tag that is not a version (latest, a local build) gets the legacy
 * names: every 1.x release still accepts them (deprecated), while 1.8–1.11 refuse the current ones.
 */
export function dialectFor(image: string): DialectChoice {
  const v = imageVersion(image);
  if (!v) return { dialect: 'legacy' };
  const text = `${v.major}.${v.minor}.${v.patch}`;
  if (v.major !== 1 || v.minor < 8) return { unsupported: `image ${image} runs Consul ${text}; supported: ${SUPPORTED_CONSUL_RANGE}` };
  return { dialect: v.minor >= 12 ? 'current' : 'legacy', version: v };
}
