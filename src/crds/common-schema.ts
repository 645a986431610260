/**
 * Schema pieces shared by every kind: metadata, conditions, the envelope (apiVersion, kind,
 * metadata, spec, status), and small builders so each kind file reads as data.
 */
import { API_VERSION, LAST_APPLIED_ANNOTATION, LAST_APPLIED_MANAGER_ANNOTATION } from './meta.js';
import type { JsonSchemaObject } from './json-schema.js';

export function str(description: string, extra: Omit<JsonSchemaObject, 'type' | 'description'> = {}): JsonSchemaObject {
  return { type: 'string', description, ...extra };
}

export function int(description: string, extra: Omit<JsonSchemaObject, 'type' | 'description'> = {}): JsonSchemaObject {
  return { type: 'integer', description, ...extra };
}

export function bool(description: string, extra: Omit<JsonSchemaObject, 'type' | 'description'> = {}): JsonSchemaObject {
  return { type: 'boolean', description, ...extra };
}

export function arr(
  description: string,
  items: JsonSchemaObject,
  extra: Omit<JsonSchemaObject, 'type' | 'description' | 'items'> = {},
): JsonSchemaObject {
  return { type: 'array', description, items, ...extra };
}

/** A closed object: unknown fields are rejected by name. */
export function obj(
  description: string,
  properties: Record<string, JsonSchemaObject>,
  required: string[] = [],
  extra: Omit<JsonSchemaObject, 'type' | 'description' | 'properties' | 'required'> = {},
): JsonSchemaObject {
  return { type: 'object', description, properties, ...(required.length ? { required } : {}), additionalProperties: false, ...extra };
}

export const hostRef = (description: string): JsonSchemaObject => str(description, { format: 'dns-label' });

const stringMap = (description: string, valueFormat: string, maxValue: number): JsonSchemaObject => ({
  type: 'object',
  description,
  propertyNames: {
    type: 'string',
    format: 'label-key',
    description: 'Key: optional DNS-subdomain prefix and "/", then a name of 1-63 characters.',
  },
  additionalProperties: { type: 'string', description: 'Value.', ...(valueFormat ? { format: valueFormat } : {}), maxLength: maxValue },
  maxProperties: 64,
});

/** System fields are accepted on input (so `get -o yaml | apply -f -` works) and ignored by apply. */
export const metadataSchema: JsonSchemaObject = obj(
  'Standard object metadata. Only name, labels and annotations are set by users; the other fields are set by the system and ignored on apply.',
  {
    name: str('Name of the object, unique per kind. A DNS-1123 label: lowercase letters, digits and "-", at most 63 characters.', {
      format: 'dns-label',
    }),
    labels: stringMap('Key/value pairs used to select objects (`get -l key=value`).', 'label-value', 63),
    annotations: {
      ...stringMap(
        'Key/value pairs of non-identifying information for tools and people (at most 66 including the two that apply records, each value at most 65536 characters).',
        '',
        65536,
      ),
      // Apply's records on top of the user's 64; the configuration is bounded by the document limit.
      maxProperties: 66,
      properties: {
        [LAST_APPLIED_ANNOTATION]: str(
          'The manifest `swarmop apply` last wrote, as JSON (set by apply; see `swarmop apply view-last-applied`).',
        ),
        [LAST_APPLIED_MANAGER_ANNOTATION]: str('The field manager of that apply (set by apply).', { maxLength: 128 }),
      },
    },
    uid: str('Unique id of the object, set by the system at creation.', { maxLength: 64 }),
    generation: int('Sequence number of the spec, set by the system; increases only when the spec changes.', { minimum: 0 }),
    resourceVersion: str("Consul ModifyIndex of the object's spec key, set by the system; every write is compare-and-set on it.", {
      pattern: '^[0-9]+$',
    }),
    creationTimestamp: str('When the object was created (RFC 3339), set by the system.', { format: 'date-time' }),
    deletionTimestamp: str('When deletion was requested (RFC 3339), set by the system; the object goes once its finalizers are removed.', {
      format: 'date-time',
    }),
    finalizers: arr(
      'Controllers that must clean up before the object is removed, set by the system.',
      str('Finalizer name.', { maxLength: 253 }),
      { maxItems: 16 },
    ),
  },
  ['name'],
);

export const conditionSchema: JsonSchemaObject = obj(
  'One aspect of the observed state, shaped like a Kubernetes condition.',
  {
    type: str('Condition type, e.g. Ready or Degraded.'),
    status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    reason: str('One-word CamelCase reason for the last transition, e.g. InvalidSpec, ContainerNotFound.'),
    message: str('Human-readable details.'),
    lastTransitionTime: str('When status last changed (RFC 3339).', { format: 'date-time' }),
    observedGeneration: int('metadata.generation the condition was computed from.', { minimum: 0 }),
  },
  ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
);

/** Status written only by controllers: observedGeneration, conditions, plus the kind's facts. */
export function statusSchema(description: string, properties: Record<string, JsonSchemaObject>): JsonSchemaObject {
  return obj(description, {
    observedGeneration: int('metadata.generation the controller last acted on.', { minimum: 0 }),
    conditions: arr('Current conditions; every kind has Ready.', conditionSchema),
    ...properties,
  });
}

export function resourceSchema(kind: string, description: string, spec: JsonSchemaObject, status: JsonSchemaObject): JsonSchemaObject {
  return obj(
    description,
    {
      apiVersion: str(`API version, always ${API_VERSION}.`, { const: API_VERSION }),
      kind: str(`Kind of the object, always ${kind}.`, { const: kind }),
      metadata: metadataSchema,
      spec,
      status,
    },
    ['apiVersion', 'kind', 'metadata', 'spec'],
  );
}
