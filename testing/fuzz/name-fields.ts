/**
 * The fields whose values end up as arguments of `ip`, `docker`, `consul` or in container/host
 * names, per kind, and the shell metacharacter payloads that must never pass the schema. Shared by
 * the mutation fuzzer and the security test.
 */
import type { JsonPath } from './json-paths.js';

export interface NameField {
  kind: 'DockerHost' | 'ConsulCluster' | 'SwarmCluster' | 'StaticIPAttachment';
  /** Path inside the document; fields absent from the samples (interface, discovery) are added. */
  path: JsonPath;
  /** What the value becomes on a host: shown in test names. */
  role: string;
}

export const NAME_FIELDS: readonly NameField[] = [
  { kind: 'DockerHost', path: ['metadata', 'name'], role: 'host name' },
  { kind: 'ConsulCluster', path: ['metadata', 'name'], role: 'cluster name' },
  { kind: 'ConsulCluster', path: ['spec', 'datacenter'], role: 'consul -datacenter' },
  { kind: 'ConsulCluster', path: ['spec', 'image'], role: 'docker image' },
  { kind: 'ConsulCluster', path: ['spec', 'servers', 0, 'host'], role: 'host ref' },
  { kind: 'ConsulCluster', path: ['spec', 'servers', 1, 'node'], role: 'consul -node' },
  { kind: 'SwarmCluster', path: ['metadata', 'name'], role: 'swarm name' },
  { kind: 'SwarmCluster', path: ['spec', 'managers', 0], role: 'host ref (manager)' },
  { kind: 'SwarmCluster', path: ['spec', 'workers', 1], role: 'host ref (worker)' },
  { kind: 'SwarmCluster', path: ['spec', 'advertiseInterface'], role: 'interface' },
  { kind: 'SwarmCluster', path: ['spec', 'discovery', 'consulCluster'], role: 'cluster ref' },
  { kind: 'SwarmCluster', path: ['spec', 'discovery', 'path'], role: 'consul kv path' },
  { kind: 'StaticIPAttachment', path: ['metadata', 'name'], role: 'attachment name' },
  { kind: 'StaticIPAttachment', path: ['spec', 'host'], role: 'host ref' },
  { kind: 'StaticIPAttachment', path: ['spec', 'container'], role: 'docker container' },
  { kind: 'StaticIPAttachment', path: ['spec', 'bridge'], role: 'ip link bridge' },
  { kind: 'StaticIPAttachment', path: ['spec', 'uplink'], role: 'ip link uplink' },
  { kind: 'StaticIPAttachment', path: ['spec', 'interface'], role: 'ip link interface' },
];

/** Values a shell, `ip` or an argument parser would treat specially. */
export const SHELL_PAYLOADS: readonly string[] = [
  'a;rm -rf /',
  '$(id)',
  '`id`',
  'a b',
  'a\nb',
  'a|b',
  'a&&b',
  'a>b',
  "a'b",
  'a"b',
  '${IFS}x',
  'a\tb',
  '*',
  '../x',
  '-rf',
  '--privileged',
  'a\\b',
  'a\u0000b',
  'eth1;id',
];
