/** The public API of src/crds: kinds as data, manifest parsing with positions, validation, defaulting, explain. */
export * from './meta.js';
export type { JsonSchemaObject } from './json-schema.js';
export type { KindName, PrinterColumn, KindInfo } from './kind-info.js';
export { KINDS, resolveKind } from './kind-registry.js';
export { formatManifestError, type ManifestError } from './manifest-error.js';
export { parseManifestText, parseManifestBytes, MAX_DOCUMENT_BYTES, MAX_DEPTH, type ParsedDocument } from './parse-manifest.js';
export {
  validateDocuments,
  type ValidateDocumentsOptions,
  validateResource,
  validateStatus,
  applyDefaults,
  ResourceValidator,
  MAX_STORED_DOCUMENT_BYTES,
  storedSize,
} from './validate.js';
export { explain } from './explain.js';
export { conditionOf } from './conditions.js';
export { formatFieldPath } from './field-path.js';
export type { DockerHost, DockerHostSpec, DockerHostStatus, DockerHostTls, SwarmNodeState } from './docker-host.js';
export type {
  ConsulCluster,
  ConsulClusterSpec,
  ConsulClusterSpecInput,
  ConsulClusterStatus,
  ConsulMember,
  ConsulMemberStatus,
  ConsulMemberStatusValue,
  ConsulRaftPeer,
  ConsulSecretRef,
} from './consul-cluster.js';
export type {
  SwarmCluster,
  SwarmClusterSpec,
  SwarmClusterSpecInput,
  SwarmClusterStatus,
  SwarmAvailability,
  SwarmDiscovery,
  SwarmNodeStatus,
} from './swarm-cluster.js';
export type {
  StaticIPAttachment,
  StaticIPAttachmentSpec,
  StaticIPAttachmentSpecInput,
  StaticIPAttachmentStatus,
} from './static-ip-attachment.js';
export type {
  AddressRange,
  ServiceAddresses,
  ServiceAddressesSpec,
  ServiceAddressesSpecInput,
  ServiceAddressesStatus,
  SlotStatus,
} from './service-addresses.js';
export { slotAddresses } from './service-addresses.js';
export type { ConsulServiceSpec, ConsulServiceStatus, ServiceCheckSpec, ServiceHealth } from './consul-service.js';
export { DEFAULT_CHECK_INTERVAL, DEFAULT_CHECK_TIMEOUT } from './consul-service.js';
