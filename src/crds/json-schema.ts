/**
 * The subset of JSON Schema (draft-07, as in a CRD's openAPIV3Schema) that swarmop's kind schemas
 * use. Kept as plain data so the same object drives validation (ajv), `explain` and the docs.
 */
export type JsonSchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface JsonSchemaObject {
  type?: JsonSchemaType;
  /** Every field carries one: `explain` prints it. */
  description?: string;
  properties?: Record<string, JsonSchemaObject>;
  required?: string[];
  additionalProperties?: boolean | JsonSchemaObject;
  propertyNames?: JsonSchemaObject;
  items?: JsonSchemaObject;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  enum?: readonly (string | number | boolean)[];
  const?: string | number | boolean;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  /** Documentation only: defaulting is done in code (some defaults depend on other fields). */
  default?: unknown;
}
