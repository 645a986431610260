/**
 * The optional `service` block of a StaticIPAttachment: the container, on its fixed address, as a
 * Consul service registered on the agent of its own host. Schema, types, defaults and the checks a
 * schema cannot express live here so the attachment's own file only names the block.
 */
import { arr, int, obj, str } from './common-schema.js';
import type { JsonSchemaObject } from './json-schema.js';
import type { SemanticError } from './kind-info.js';

/** Consul's own defaults for a check's timeout; the interval, which Consul requires, gets the value of its docs' examples. */
export const DEFAULT_CHECK_INTERVAL = '10s';
export const DEFAULT_CHECK_TIMEOUT = '10s';

export interface ServiceCheckSpec {
  /** TCP connect to this port on the fixed address. */
  tcp?: number;
  /** HTTP GET of this URL; 2xx passing, 429 warning, else critical. */
  http?: string;
  interval: string;
  timeout: string;
}

export interface ConsulServiceSpec {
  /** ConsulCluster name; the service goes to that cluster's agent on the attachment's host. */
  consulCluster: string;
  /** Defaulted to the attachment's name. */
  name: string;
  port?: number;
  tags?: string[];
  meta?: Record<string, string>;
  /** Absent: no health check (the service is always passing). */
  check?: ServiceCheckSpec;
}

export type ConsulServiceSpecInput = Omit<ConsulServiceSpec, 'name' | 'check'> & {
  name?: string;
  check?: Omit<ServiceCheckSpec, 'interval' | 'timeout'> & Partial<Pick<ServiceCheckSpec, 'interval' | 'timeout'>>;
};

export type ServiceHealth = 'passing' | 'warning' | 'critical' | 'unregistered';

export interface ConsulServiceStatus {
  /** Service ID on the agent. */
  serviceID: string;
  /** Node name of the agent holding the registration. */
  agent: string;
  /** HTTP address of that agent (ip:port). */
  agentAddress: string;
  consulCluster: string;
  /** Aggregated health of the service's checks as the agent reports it. */
  health: ServiceHealth;
}

const port = (description: string): JsonSchemaObject => int(description, { minimum: 1, maximum: 65535 });

export const consulServiceSchema: JsonSchemaObject = obj(
  "Register the container, on its fixed address, as a Consul service on the agent of the ConsulCluster member that runs on the attachment's host; kept registered, updated when the address or this block changes, deregistered when the block or the attachment is removed.",
  {
    consulCluster: str('Name of the ConsulCluster whose agent on this host holds the registration.', { format: 'dns-label' }),
    name: str(
      "Consul service name, also its DNS name (<name>.service.<datacenter>.consul). A DNS-1123 label. Defaults to the attachment's name.",
      {
        format: 'dns-label',
      },
    ),
    port: port('Port the service listens on at the fixed address. Default: none (DNS A records only).'),
    tags: arr('Consul service tags.', str('One tag.', { minLength: 1, maxLength: 255 }), { maxItems: 64, uniqueItems: true }),
    meta: {
      type: 'object',
      description:
        'Consul service metadata (key/value strings). Keys: letters, digits, "_" and "-", at most 128 characters, not starting with "consul-" or "swarmop-".',
      propertyNames: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'Key.' },
      additionalProperties: { type: 'string', description: 'Value.', maxLength: 512 },
      maxProperties: 60,
    },
    check: obj(
      'Health check run by the agent against the fixed address. Give tcp or http; leave the block out for no check (the service is then always passing).',
      {
        tcp: port('TCP check: connect to this port on the fixed address.'),
        http: str('HTTP check: GET this URL (http:// or https://); 2xx is passing, 429 warning, anything else critical.', {
          pattern: '^https?://[^\\s/]+(/\\S*)?$',
          maxLength: 2048,
        }),
        interval: str(`How often the agent runs the check, a Consul duration like 5s. Default ${DEFAULT_CHECK_INTERVAL}.`, {
          format: 'consul-duration',
          default: DEFAULT_CHECK_INTERVAL,
        }),
        timeout: str(`How long one check may take, a Consul duration. Default ${DEFAULT_CHECK_TIMEOUT} (Consul's).`, {
          format: 'consul-duration',
          default: DEFAULT_CHECK_TIMEOUT,
        }),
      },
    ),
  },
  ['consulCluster'],
);

export function defaultConsulService(s: ConsulServiceSpecInput, attachmentName: string): ConsulServiceSpec {
  const out = structuredClone(s) as ConsulServiceSpec;
  out.name ??= attachmentName;
  if (out.check) {
    out.check.interval ??= DEFAULT_CHECK_INTERVAL;
    out.check.timeout ??= DEFAULT_CHECK_TIMEOUT;
  }
  return out;
}

export function checkConsulService(s: ConsulServiceSpec): SemanticError[] {
  const errors: SemanticError[] = [];
  for (const key of Object.keys(s.meta ?? {})) {
    // Consul refuses consul- keys; swarmop- keys are the operator's own marks on the registration.
    if (/^(consul|swarmop)-/i.test(key))
      errors.push({
        path: ['spec', 'service', 'meta', key],
        message: `meta key "${key}" is reserved (keys starting with consul- or swarmop-)`,
      });
  }
  const c = s.check;
  if (c) {
    if (c.tcp !== undefined && c.http !== undefined)
      errors.push({ path: ['spec', 'service', 'check'], message: 'check has both tcp and http; a check is one of them' });
    else if (c.tcp === undefined && c.http === undefined)
      errors.push({
        path: ['spec', 'service', 'check'],
        message: 'check has neither tcp nor http; leave the check block out for no health check',
      });
  }
  return errors;
}
