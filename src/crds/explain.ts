/** `swarmop explain KIND[.field.path]`: kubectl-style documentation printed from the schemas. */
import { SwarmopError } from '../errors.js';
import type { JsonSchemaObject } from './json-schema.js';
import { resolveKind } from './kind-registry.js';
import { API_VERSION } from './meta.js';

const WIDTH = 80;

export function explain(path: string): string {
  const [alias = '', ...fields] = path
    .trim()
    .split('.')
    .filter((s) => s !== '');
  const kind = resolveKind(alias);
  if (!kind)
    throw new SwarmopError(
      'NotFound',
      `unknown kind "${alias}"; known kinds: DockerHost (dh), ConsulCluster (cc), SwarmCluster (sc), StaticIPAttachment (sia), ServiceAddresses (sa)`,
    );

  let node = kind.schema;
  let required = false;
  const walked: string[] = [kind.kind];
  for (const f of fields) {
    const container = node.type === 'array' && node.items ? node.items : node;
    const next = container.properties?.[f];
    if (!next) throw new SwarmopError('NotFound', `field "${f}" does not exist in ${walked.join('.')}`);
    required = container.required?.includes(f) ?? false;
    node = next;
    walked.push(f);
  }

  const out: string[] = [`KIND:     ${kind.kind}`, `VERSION:  ${API_VERSION}`, ''];
  if (fields.length) {
    out.push(`FIELD:    ${fields[fields.length - 1]} <${typeName(node)}>${required ? ' -required-' : ''}`, '');
    out.push('DESCRIPTION:', ...wrap(describe(node), 5), '');
  } else {
    out.push('DESCRIPTION:', ...wrap(kind.description, 5));
    if (kind.shortNames.length) out.push('', `SHORT NAMES: ${kind.shortNames.join(', ')}`);
    out.push('');
  }
  const obj = node.type === 'array' && node.items ? node.items : node;
  if (obj.properties) {
    out.push('FIELDS:');
    for (const [name, child] of Object.entries(obj.properties)) {
      out.push(`   ${name}\t<${typeName(child)}>${obj.required?.includes(name) ? ' -required-' : ''}`);
      out.push(...wrap(describe(child), 5), '');
    }
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

function typeName(s: JsonSchemaObject): string {
  if (s.type === 'array') return `[]${s.items ? typeName(s.items) : 'Object'}`;
  if (s.type === 'object') {
    if (!s.properties && s.additionalProperties && typeof s.additionalProperties === 'object')
      return `map[string]${typeName(s.additionalProperties)}`;
    return 'Object';
  }
  return s.type ?? 'Object';
}

function describe(s: JsonSchemaObject): string {
  const parts = [s.description ?? ''];
  if (s.enum) parts.push(`Allowed values: ${s.enum.join(', ')}.`);
  if (s.format) parts.push(`Format: ${s.format}.`);
  if (s.default !== undefined && !/Default/.test(s.description ?? '')) parts.push(`Default: ${JSON.stringify(s.default)}.`);
  return parts.filter(Boolean).join(' ');
}

function wrap(textIn: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of textIn.split(/\s+/).filter(Boolean)) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(' '.repeat(indent) + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(' '.repeat(indent) + line);
  return lines;
}
