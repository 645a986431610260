/**
 * String formats of the kind schemas. Each check returns undefined when the value is valid, or the
 * reason it is not. Values checked here reach `ip`, `docker` and `consul` argument lists on the
 * hosts, so every format is an allow-list that can never admit shell metacharacters or whitespace.
 */
export type FormatCheck = (value: string) => string | undefined;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Docker's container-name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// Stricter than the kernel (which allows anything but '/', ':', whitespace): nothing a shell would read.
const IFNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/;
const KV_KEY = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
// Docker reference grammar (distribution/reference), lowercase throughout (Docker itself refuses
// an uppercase repository, and "Hashicorp/consul" must not pass as a registry host).
const IMAGE_DOMAIN = String.raw`(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])(?:\.(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9]))*(?::[0-9]+)?`;
const IMAGE_COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const IMAGE_REF = new RegExp(
  String.raw`^(?:${IMAGE_DOMAIN}/)?${IMAGE_COMPONENT}(?:/${IMAGE_COMPONENT})*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
// Label keys as Kubernetes: optional DNS subdomain prefix and '/', then a name.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function show(value: string): string {
  const s = JSON.stringify(value);
  return s.length > 66 ? `${s.slice(0, 63)}..."` : s;
}

export function parseIPv4(value: string): number | undefined {
  const parts = value.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  address: number;
  prefix: number;
  network: number;
  broadcast: number;
}

export function parseCidr(value: string): Cidr | undefined {
  const m = /^([^/]+)\/(0|[1-9][0-9]?)$/.exec(value);
  if (!m) return undefined;
  const address = parseIPv4(m[1] ?? '');
  const prefix = Number(m[2]);
  if (address === undefined || prefix > 32) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (address & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  return { address, prefix, network, broadcast };
}

const dnsLabel: FormatCheck = (v) => {
  if (v.length > 63) return `${show(v)} is longer than 63 characters`;
  return DNS_LABEL.test(v)
    ? undefined
    : `${show(v)} is not a valid name: use lowercase letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label)`;
};

const containerName: FormatCheck = (v) => {
  if (v.length > 128) return `${show(v)} is longer than 128 characters`;
  return CONTAINER_NAME.test(v)
    ? undefined
    : `${show(v)} is not a valid container name: use letters, digits, '_', '.' and '-', starting with a letter or digit`;
};

const ipv4: FormatCheck = (v) =>
  parseIPv4(v) === undefined ? `${show(v)} is not a valid IPv4 address (expected four decimal octets 0-255, like 10.0.0.11)` : undefined;

const ipv4Cidr: FormatCheck = (v) => {
  const m = /^([^/]*)\/(.*)$/.exec(v);
  if (!m) return `${show(v)} is not a valid IPv4 CIDR: expected address/prefix like 10.0.0.14/24`;
  if (parseIPv4(m[1] ?? '') === undefined) return `${show(v)} is not a valid IPv4 CIDR: ${show(m[1] ?? '')} is not an IPv4 address`;
  if (!/^(0|[1-9][0-9]?)$/.test(m[2] ?? '') || Number(m[2]) > 32)
    return `${show(v)} is not a valid IPv4 CIDR: prefix length must be a number 0-32`;
  return undefined;
};

const mac: FormatCheck = (v) => {
  if (!MAC.test(v)) return `${show(v)} is not a valid MAC address (expected six hex octets like 02:42:c0:a8:74:72)`;
  const first = parseInt(v.slice(0, 2), 16);
  if (first & 1) return `${show(v)} is a multicast MAC address; an interface needs a unicast one (first octet even)`;
  if (/^(00:){5}00$/.test(v)) return `${show(v)} is the all-zero MAC address`;
  return undefined;
};

const ifname: FormatCheck = (v) => {
  if (v.length > 15) return `${show(v)} is longer than 15 characters (Linux interface name limit)`;
  return IFNAME.test(v)
    ? undefined
    : `${show(v)} is not a valid interface name: use letters, digits, '_', '.' and '-', starting with a letter or digit`;
};

const dockerEndpoint: FormatCheck = (v) => {
  if (v.startsWith('unix://')) {
    const path = v.slice('unix://'.length);
    return SAFE_PATH.test(path) && !/(^|\/)\.\.(\/|$)/.test(path)
      ? undefined
      : `${show(v)} is not a valid endpoint: unix:// needs an absolute socket path like unix:///var/run/docker.sock`;
  }
  const m = /^tcp:\/\/([^:/]+):([0-9]+)$/.exec(v);
  if (!m) return `${show(v)} is not a valid endpoint: expected tcp://host:port or unix:///path/to/socket`;
  const host = m[1] ?? '';
  const port = Number(m[2]);
  if (parseIPv4(host) === undefined && (!DNS_SUBDOMAIN.test(host) || host.length > 253 || /^[0-9.]+$/.test(host)))
    return `${show(v)} is not a valid endpoint: ${show(host)} is neither an IPv4 address nor a host name`;
  if (!(port >= 1 && port <= 65535) || /^0/.test(m[2] ?? '')) return `${show(v)} is not a valid endpoint: port must be 1-65535`;
  return undefined;
};

const imageRef: FormatCheck = (v) =>
  v.length <= 255 && IMAGE_REF.test(v)
    ? undefined
    : `${show(v)} is not a valid image reference (expected [registry/]repository[:tag][@sha256:digest], like hashicorp/consul:1.8.7)`;

const consulDuration: FormatCheck = (v) =>
  GO_DURATION.test(v) ? undefined : `${show(v)} is not a valid duration (expected a number with a unit, like 500ms, 15s, 1m30s)`;

const absPath: FormatCheck = (v) => {
  if (v.length > 4096) return `${show(v)} is longer than 4096 characters`;
  return SAFE_PATH.test(v) && !/(^|\/)\.\.(\/|$)/.test(v)
    ? undefined
    : `${show(v)} is not a valid absolute path: start with '/', use letters, digits, '_', '.', '-' and '/', no '..'`;
};

const kvKey: FormatCheck = (v) =>
  v.length <= 512 && KV_KEY.test(v)
    ? undefined
    : `${show(v)} is not a valid Consul KV key: use letters, digits, '_', '.', '-' separated by '/', no leading or trailing '/'`;

const labelKey: FormatCheck = (v) => {
  const slash = v.lastIndexOf('/');
  const prefix = slash >= 0 ? v.slice(0, slash) : undefined;
  const name = slash >= 0 ? v.slice(slash + 1) : v;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `${show(v)} is not a valid key: the prefix before '/' must be a DNS subdomain`;
  if (name.length > 63 || !LABEL_NAME.test(name))
    return `${show(v)} is not a valid key: the name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  return undefined;
};

const labelValue: FormatCheck = (v) =>
  v === '' || (v.length <= 63 && LABEL_NAME.test(v))
    ? undefined
    : `${show(v)} is not a valid label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;

const dateTime: FormatCheck = (v) =>
  RFC3339.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : `${show(v)} is not an RFC 3339 timestamp`;

/** Format name (as written in the schemas) → check. */
export const FORMAT_CHECKS: Readonly<Record<string, FormatCheck>> = {
  'dns-label': dnsLabel,
  'container-name': containerName,
  ipv4,
  'ipv4-cidr': ipv4Cidr,
  mac,
  ifname,
  'docker-endpoint': dockerEndpoint,
  'image-ref': imageRef,
  'consul-duration': consulDuration,
  'abs-path': absPath,
  'kv-key': kvKey,
  'label-key': labelKey,
  'label-value': labelValue,
  'date-time': dateTime,
};
