/**
 * The fuzzer's mutation operators. Each takes the sample documents and a seeded Rng and builds one
 * input: the bytes `apply -f -` reads and, for edits made on parsed objects, the objects a direct
 * ResourceStore.apply caller would pass. `expect` says what a correct swarmop must do with it
 * ('either' when the mutation may or may not keep the document valid).
 */
import { stringify } from 'yaml';
import { MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_STORED_DOCUMENT_BYTES } from '../../src/crds/index.js';
import { allPaths, deleteAt, getAt, isRecord, setAt, type JsonPath } from './json-paths.js';
import { NAME_FIELDS, SHELL_PAYLOADS } from './name-fields.js';
import type { Rng } from './rng.js';

export type Expectation = 'accept' | 'reject' | 'either';

export interface MutatedInput {
  expect: Expectation;
  bytes: Uint8Array;
  /** Present when the mutation was made on parsed objects (the same input for the store path). */
  objects?: unknown[];
  /** What was done, for the report of a failing case. */
  note: string;
}

export interface Mutator {
  name: string;
  /** Relative frequency among the generated cases. */
  weight: number;
  make(rng: Rng, samples: readonly unknown[]): MutatedInput;
}

const enc = new TextEncoder();

// --- helpers -----------------------------------------------------------------------------------

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** One random sample document, or all of them (a multi-document apply), cloned. */
function base(rng: Rng, samples: readonly unknown[]): { docs: unknown[]; target: number } {
  const docs = rng.chance(0.5) ? samples.map(clone) : [clone(rng.pick(samples))];
  return { docs, target: rng.int(docs.length) };
}

function ofKind(samples: readonly unknown[], kind: string): unknown {
  const found = samples.find((d) => isRecord(d) && d.kind === kind);
  if (!found) throw new Error(`no sample of kind ${kind}`);
  return clone(found);
}

/** YAML (most of the time) or JSON documents separated by `---`. */
function render(rng: Rng, docs: readonly unknown[]): Uint8Array {
  const asJson = rng.chance(0.2);
  const parts = docs.map((d) =>
    asJson ? `${JSON.stringify(d, null, rng.chance(0.5) ? 2 : undefined)}\n` : stringify(d, { lineWidth: rng.pick([0, 80]) }),
  );
  return enc.encode(parts.join('---\n'));
}

function objectCase(rng: Rng, docs: unknown[], expect: Expectation, note: string): MutatedInput {
  return { expect, bytes: render(rng, docs), objects: docs, note };
}

function textCase(text: string | Uint8Array, expect: Expectation, note: string): MutatedInput {
  return { expect, bytes: typeof text === 'string' ? enc.encode(text) : text, note };
}

function sampleText(rng: Rng, samples: readonly unknown[]): string {
  const { docs } = base(rng, samples);
  return docs.map((d) => stringify(d)).join('---\n');
}

function randomScalarish(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -1,
    () => rng.range(-1e9, 1e9),
    () => 1.5,
    () => 1e308,
    () => '',
    () => ' ',
    () => 'x'.repeat(rng.range(1, 300)),
    () => [],
    () => [1, 'two', null],
    () => ({}),
    () => ({ nested: { deeper: [1] } }),
    () => '192.168.116.300',
    () => '0.0.0.0/0',
    () => 'tcp://[::1]:2375',
    () => 'ff:ff:ff:ff:ff:ff',
    () => '2026-01-01T00:00:00Z',
    () => '~',
    () => 'null',
    () => 'true',
    () => '0x10',
    () => '1e3',
    () => rng.pick(SHELL_PAYLOADS),
    () => rng.pick(UNICODE),
  ])();
}

const UNICODE = [
  'héllo',
  'ümlaut-ß',
  '名字',
  'имя',
  'اسم',
  '🙂',
  'a\u200bb', // zero-width space
  'e\u0301', // combining accent
  '\u202egnp.exe', // right-to-left override
  'ﬁ', // ligature that NFKC folds to "fi"
  'ＡＢＣ', // full-width
  'a\u00a0b', // no-break space
  '\ufeffbom',
  '\u2028line',
];

/** A valid DNS-1123 label of the given length (so only the rule under test decides). */
function dnsLabel(rng: Rng, length: number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = 'n';
  while (s.length < length - 1) s += rng.chance(0.1) ? '-' : chars[rng.int(chars.length)];
  return length <= 1 ? 'n' : `${s}${chars[rng.int(26)]}`;
}

function dockerHost(name: string, octet: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'DockerHost',
    metadata: { name, ...extra },
    spec: { endpoint: `tcp://10.0.${octet >> 8}.${octet & 255}:2375`, address: `10.0.${octet >> 8}.${octet & 255}` },
  };
}

/** Text in a random style for annotation values (any Unicode is allowed there). */
function annotationText(rng: Rng, size: number): string {
  const alphabet = rng.pick(['ascii', 'unicode', 'escapes', 'lines']);
  const unit =
    alphabet === 'ascii'
      ? 'lorem ipsum dolor sit amet '
      : alphabet === 'unicode'
        ? 'ümlaut 名字 🙂 '
        : alphabet === 'escapes'
          ? '"\\\u0001\t'
          : 'line\n';
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

// --- object-level mutators ---------------------------------------------------------------------

const setRandomValue: Mutator = {
  name: 'set-random-value',
  weight: 14,
  make(rng, samples) {
    const { docs, target } = base(rng, samples);
    const paths = allPaths(docs[target]).filter((p) => p.length > 0);
    const path = rng.pick(paths);
    const value = randomScalarish(rng);
    setAt(docs[target], path, value);
    return objectCase(rng, docs, 'either', `doc ${target}: ${path.join('.')} = ${JSON.stringify(value)?.slice(0, 60)}`);
  },
};

const changeType: Mutator = {
  name: 'change-type',
  weight: 8,
  make(rng, samples) {
    const { docs, target } = base(rng, samples);
    const paths = allPaths(docs[target]).filter((p) => (p.length > 0 && p[0] !== 'metadata') || p.join('.') === 'metadata.name');
    const path = rng.pick(paths);
    const cur = getAt(docs[target], path);
    // A value of a different JSON type: the schema must refuse every such swap.
    const swapped =
      typeof cur === 'string'
        ? rng.pick<unknown>([7, true, null, [cur], { value: cur }])
        : typeof cur === 'number'
          ? String(cur)
          : typeof cur === 'boolean'
            ? rng.pick<unknown>(['yes', 1, null])
            : Array.isArray(cur)
              ? rng.pick<unknown>([cur.join(','), { 0: cur[0] }])
              : isRecord(cur)
                ? rng.pick<unknown>([Object.values(cur), 'object', 3])
                : 'was-null';
    setAt(docs[target], path, swapped);
    // Swapping a top-level mapping or metadata.name always breaks the document; deeper swaps
    // (e.g. a number into an annotation string map) may not, so those are 'either'.
    const expect =
      path.length <= 2 && (path[0] === 'spec' || path[0] === 'kind' || path[0] === 'apiVersion' || path.join('.') === 'metadata.name')
        ? 'reject'
        : 'either';
    return objectCase(rng, docs, expect, `doc ${target}: ${path.join('.')} ${typeof cur} -> ${JSON.stringify(swapped)}`);
  },
};

const deleteField: Mutator = {
  name: 'delete-field',
  weight: 6,
  make(rng, samples) {
    const { docs, target } = base(rng, samples);
    const path = rng.pick(allPaths(docs[target]).filter((p) => p.length > 0));
    deleteAt(docs[target], path);
    return objectCase(rng, docs, 'either', `doc ${target}: delete ${path.join('.')}`);
  },
};

const unknownField: Mutator = {
  name: 'unknown-field',
  weight: 5,
  make(rng, samples) {
    const { docs, target } = base(rng, samples);
    const containers = allPaths(docs[target]).filter((p) => {
      const v = getAt(docs[target], p);
      return isRecord(v) && p.join('.') !== 'metadata.labels' && p.join('.') !== 'metadata.annotations';
    });
    const at = rng.pick(containers);
    const key = rng.pick(['extra', 'Spec', 'privileged', 'status2', 'hostNetwork', 'endpoint ', 'x-y']);
    const parent = getAt(docs[target], at) as Record<string, unknown>;
    if (key in parent) return objectCase(rng, docs, 'accept', `doc ${target}: unknown field ${key} already present`);
    parent[key] = randomScalarish(rng);
    return objectCase(rng, docs, 'reject', `doc ${target}: add ${[...at, key].join('.')}`);
  },
};

const shellMetacharacters: Mutator = {
  name: 'shell-metacharacters',
  weight: 8,
  make(rng, samples) {
    const field = rng.pick(NAME_FIELDS);
    const doc = ofKind(samples, field.kind);
    const payload = rng.pick(SHELL_PAYLOADS);
    const cur = getAt(doc, field.path);
    // Appended to a valid name only when the payload brings a character names never allow
    // ("consulsvr--privileged" is a valid DNS label, and harmless: it cannot start an option).
    const value = typeof cur === 'string' && rng.chance(0.5) && !/^[a-z0-9-]*$/.test(payload) ? `${cur}${payload}` : payload;
    setAt(doc, field.path, value);
    return objectCase(rng, [doc], 'reject', `${field.kind} ${field.path.join('.')} = ${JSON.stringify(value)}`);
  },
};

const unicodeName: Mutator = {
  name: 'unicode-name',
  weight: 6,
  make(rng, samples) {
    const field = rng.pick(NAME_FIELDS.filter((f) => f.path[0] === 'metadata' || rng.chance(0.3)));
    const doc = ofKind(samples, field.kind);
    const value = rng.pick([`${rng.pick(UNICODE)}`, `host-${rng.pick(UNICODE)}`, `${rng.pick(UNICODE)}1`]);
    setAt(doc, field.path, value);
    return objectCase(rng, [doc], 'reject', `${field.kind} ${field.path.join('.')} = ${JSON.stringify(value)}`);
  },
};

/** Valid edits: the document must be accepted and read back exactly. */
const validVariation: Mutator = {
  name: 'valid-variation',
  weight: 10,
  make(rng, samples) {
    const { docs } = base(rng, samples);
    const suffix = dnsLabel(rng, rng.range(1, 20));
    for (const d of docs as Record<string, Record<string, unknown>>[]) {
      const meta = d.metadata!;
      if ((d as { kind?: unknown }).kind === 'DockerHost' && rng.chance(0.5))
        meta.name = `${String(meta.name)}-${suffix}`.slice(0, 63).replace(/-+$/, '');
      if (rng.chance(0.5))
        meta.labels = { ...(isRecord(meta.labels) ? meta.labels : {}), 'swarmop.io/fuzz': suffix, tier: rng.pick(['', 'a', 'A.b_c-1']) };
      if (rng.chance(0.5))
        meta.annotations = { note: `${rng.pick(UNICODE)} ${rng.pick(SHELL_PAYLOADS)} ${annotationText(rng, rng.range(0, 200))}` };
    }
    const sia = docs.find((d) => isRecord(d) && d.kind === 'StaticIPAttachment') as Record<string, Record<string, unknown>> | undefined;
    if (sia && rng.chance(0.5)) Object.assign(sia.spec!, { interface: rng.pick(['eth2', 'ens_3', 'veth.1']), mac: '02:42:c0:a8:74:72' });
    // Names that are just inside the rules.
    const one = docs[0] as Record<string, Record<string, unknown>>;
    if (rng.chance(0.3)) one.metadata!.name = dnsLabel(rng, rng.pick([1, 2, 62, 63]));
    return objectCase(rng, docs, 'accept', `valid edits (suffix ${suffix})`);
  },
};

const nameLength: Mutator = {
  name: 'name-length',
  weight: 3,
  make(rng, samples) {
    const doc = clone(rng.pick(samples)) as Record<string, Record<string, unknown>>;
    const length = rng.pick([0, 63, 64, 100, 253, 10_000]);
    doc.metadata!.name = length === 0 ? '' : dnsLabel(rng, length);
    return objectCase(rng, [doc], length > 0 && length <= 63 ? 'accept' : 'reject', `metadata.name of ${length} characters`);
  },
};

const duplicateObjects: Mutator = {
  name: 'duplicate-objects',
  weight: 3,
  make(rng, samples) {
    const { docs, target } = base(rng, samples);
    const copy = clone(docs[target]);
    docs.splice(rng.int(docs.length + 1), 0, copy);
    return objectCase(rng, docs, 'reject', `doc ${target} twice in one apply`);
  },
};

const kindAndVersion: Mutator = {
  name: 'kind-apiversion',
  weight: 4,
  make(rng, samples) {
    const { docs, target } = base(rng, samples);
    const d = docs[target] as Record<string, unknown>;
    const field = rng.pick(['kind', 'apiVersion']);
    d[field] = rng.pick<unknown>(['dockerhost', 'Pod', 'swarmop.io/v1', 'v1', '', null, 1, 'DockerHost ', ['DockerHost']]);
    return objectCase(rng, docs, 'reject', `doc ${target}: ${field} = ${JSON.stringify(d[field])}`);
  },
};

const deepObject: Mutator = {
  name: 'deep-nesting-object',
  weight: 3,
  make(rng, samples) {
    const { docs, target } = base(rng, samples);
    // Deeper objects are the text mutator's job: yaml's own stringify recurses and overflows the stack near 1000.
    const depth = rng.pick([MAX_DEPTH - 4, MAX_DEPTH + 1, 100, 300]);
    let v: unknown = 'leaf';
    for (let i = 0; i < depth; i++) v = rng.chance(0.5) ? [v] : { k: v };
    setAt(docs[target], ['spec', 'nested'], v);
    return objectCase(rng, docs, 'reject', `doc ${target}: spec.nested ${depth} levels deep`);
  },
};

/** Documents around Consul's 512 KiB value limit and the size of one /v1/txn request. */
const documentSize: Mutator = {
  name: 'document-size',
  weight: 5,
  make(rng, samples) {
    const doc = clone(rng.pick(samples)) as Record<string, Record<string, unknown>>;
    const target = rng.pick([
      1_000,
      60_000,
      200_000,
      300_000,
      400_000,
      480_000,
      MAX_DOCUMENT_BYTES - 2_000,
      MAX_DOCUMENT_BYTES + 10,
      600_000,
      2_000_000,
    ]);
    const perValue = 65_536;
    const annotations: Record<string, string> = {};
    for (let i = 0, left = target; left > 0 && i < 64; i++, left -= perValue)
      annotations[`a${i}`] = annotationText(rng, Math.min(perValue, left));
    doc.metadata!.annotations = annotations;
    // Over the document limit: must be refused with a position. Apply also stores a copy of the
    // manifest as an escaped JSON string (its last-applied record), at most twice the JSON again:
    // a document that fits three times over must be stored; between, stored or refused with a position.
    const json = Buffer.byteLength(JSON.stringify(doc), 'utf8');
    const expect = target > MAX_DOCUMENT_BYTES ? 'reject' : 3 * json + 4096 <= MAX_STORED_DOCUMENT_BYTES ? 'accept' : 'either';
    return objectCase(rng, [doc], expect, `annotations totalling ${target} characters`);
  },
};

/** More documents than one transaction holds: all or nothing across batches. */
const manyDocuments: Mutator = {
  name: 'many-documents',
  weight: 3,
  make(rng, _samples) {
    const count = rng.pick([63, 64, 65, 129, 200]);
    const bigLast = rng.chance(0.25);
    const payload = bigLast ? 0 : rng.pick([0, 0, 2_000, 12_000]);
    const docs: unknown[] = Array.from({ length: count }, (_, i) =>
      dockerHost(`fuzz-host-${i}`, i + 1, payload > 0 ? { annotations: { pad: annotationText(rng, payload) } } : {}),
    );
    if (bigLast) {
      // A full first batch, then one document that fits Consul's value limit but not a /v1/txn
      // body once base64-encoded: the first batch must not stay written if the second fails.
      const size = rng.pick([300_000, 420_000, 500_000]);
      setAt(
        docs[count - 1],
        ['metadata', 'annotations'],
        Object.fromEntries(
          Array.from({ length: Math.ceil(size / 65_536) }, (_, i) => [`big${i}`, annotationText(rng, Math.min(65_536, size - i * 65_536))]),
        ),
      );
      return objectCase(rng, docs, 'either', `${count} DockerHosts, the last with ${size} characters of annotations`);
    }
    const breakIt = rng.chance(0.5);
    if (breakIt) {
      const at = rng.pick([count - 1, 64, rng.int(count)]);
      setAt(docs[Math.min(at, count - 1)], ['spec', 'address'], '10.0.0.999');
    }
    return objectCase(
      rng,
      docs,
      breakIt ? 'reject' : payload * count > 350_000 ? 'either' : 'accept',
      `${count} DockerHosts, ${payload}-char annotations${breakIt ? ', one invalid' : ''}`,
    );
  },
};

const systemFields: Mutator = {
  name: 'system-fields',
  weight: 3,
  make(rng, samples) {
    const { docs, target } = base(rng, samples);
    const d = docs[target] as Record<string, Record<string, unknown>>;
    const what = rng.pick(['status', 'uid', 'generation', 'creationTimestamp', 'finalizers', 'deletionTimestamp']);
    if (what === 'status')
      d.status = {
        conditions: [{ type: 'Ready', status: 'True', reason: 'Forged', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      };
    else if (what === 'uid') d.metadata!.uid = rng.pick<unknown>(['forged-uid', 5]);
    else if (what === 'generation') d.metadata!.generation = rng.pick<unknown>([99, -1, 'x']);
    else if (what === 'creationTimestamp') d.metadata!.creationTimestamp = rng.pick<unknown>(['2001-01-01T00:00:00Z', 'yesterday']);
    else if (what === 'finalizers') d.metadata!.finalizers = rng.pick<unknown>([['swarmop.io/forged'], 'x']);
    else d.metadata!.deletionTimestamp = '2001-01-01T00:00:00Z';
    return objectCase(rng, docs, 'either', `doc ${target}: set ${what}`);
  },
};

// --- text-level mutators -----------------------------------------------------------------------

const invalidUtf8: Mutator = {
  name: 'invalid-utf8',
  weight: 5,
  make(rng, samples) {
    const bytes = enc.encode(sampleText(rng, samples));
    const bad = rng.pick([[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]);
    const at = rng.int(bytes.length + 1);
    const out = new Uint8Array(bytes.length + bad.length);
    out.set(bytes.subarray(0, at), 0);
    out.set(bad, at);
    out.set(bytes.subarray(at), at + bad.length);
    return textCase(out, 'reject', `bytes ${bad.map((b) => b.toString(16)).join(' ')} at offset ${at}`);
  },
};

const encodings: Mutator = {
  name: 'encoding',
  weight: 5,
  make(rng, samples) {
    const text = sampleText(rng, samples);
    const how = rng.pick(['bom', 'crlf', 'bom+crlf', 'utf16le', 'latin1-name', 'nul', 'tabs']);
    switch (how) {
      case 'bom':
        return textCase(`\ufeff${text}`, 'accept', 'UTF-8 BOM');
      case 'crlf':
        return textCase(text.replace(/\n/g, '\r\n'), 'accept', 'CRLF line ends');
      case 'bom+crlf':
        return textCase(`\ufeff${text.replace(/\n/g, '\r\n')}`, 'accept', 'BOM and CRLF');
      case 'utf16le':
        return textCase(new Uint8Array(Buffer.from(`\ufeff${text}`, 'utf16le')), 'reject', 'UTF-16LE with BOM');
      case 'latin1-name': {
        const out = Buffer.from(text.replace(/name: (\w+)/, 'name: caf\u00e9$1'), 'latin1');
        return textCase(new Uint8Array(out), 'reject', 'a Latin-1 byte in a name');
      }
      case 'nul':
        return textCase(text.replace(/\n/, '\n\u0000'), 'reject', 'NUL byte');
      default:
        return textCase(text.replace(/\n {2}/g, '\n\t'), 'reject', 'tab indentation');
    }
  },
};

const truncate: Mutator = {
  name: 'truncate',
  weight: 5,
  make(rng, samples) {
    const text = sampleText(rng, samples);
    const at = rng.int(text.length);
    return textCase(text.slice(0, at), 'either', `cut at ${at} of ${text.length}`);
  },
};

const byteNoise: Mutator = {
  name: 'byte-noise',
  weight: 8,
  make(rng, samples) {
    const chars = [...sampleText(rng, samples)];
    const edits = rng.range(1, 4);
    for (let i = 0; i < edits; i++) {
      const at = rng.int(chars.length + 1);
      const op = rng.int(3);
      const junk = rng.pick([
        ':',
        '-',
        '[',
        ']',
        '{',
        '}',
        '"',
        "'",
        '#',
        '&',
        '*',
        '!',
        '|',
        '>',
        '%',
        '@',
        '`',
        ' ',
        '\n',
        ',',
        '?',
        '\\',
        '- ',
        ': ',
        '---\n',
        '...\n',
      ]);
      if (op === 0) chars.splice(at, 0, junk);
      else if (op === 1) chars.splice(at, 1);
      else chars.splice(at, 1, junk);
    }
    return textCase(chars.join(''), 'either', `${edits} character edits`);
  },
};

const duplicateKey: Mutator = {
  name: 'duplicate-key',
  weight: 5,
  make(rng, samples) {
    const lines = sampleText(rng, samples).split('\n');
    const keyLines = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*[A-Za-z]+:/.test(l) && !/^\s*-/.test(l));
    const [line, i] = rng.pick(keyLines);
    const indent = /^\s*/.exec(line)![0];
    const key = line.trim().split(':')[0];
    lines.splice(i + 1, 0, `${indent}${key}: duplicate`);
    return textCase(lines.join('\n'), 'reject', `key "${key}" repeated at line ${i + 2}`);
  },
};

const yamlBomb: Mutator = {
  name: 'yaml-bomb',
  weight: 5,
  make(rng, samples) {
    const which = rng.pick(['laughs', 'alias-name', 'merge', 'anchor-only', 'recursive']);
    if (which === 'laughs') {
      const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      const levels = rng.range(3, 12);
      for (let i = 1; i <= levels; i++) {
        const prev = String.fromCharCode(96 + i);
        const cur = String.fromCharCode(97 + i);
        lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
      }
      return textCase(
        `apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: bomb}\nspec:\n${lines.map((l) => `  ${l}`).join('\n')}\n`,
        'reject',
        `billion laughs, ${levels} levels`,
      );
    }
    const text = sampleText(rng, samples);
    if (which === 'alias-name')
      return textCase(
        text.replace(/name: (\S+)/, 'name: &n $1').replace(/(\n\s+host: )(\S+)/, '$1*n'),
        'either',
        'anchor on a name, alias elsewhere',
      );
    if (which === 'merge')
      return textCase(
        `x: &base {endpoint: "tcp://10.0.0.1:2375", address: 10.0.0.1}\n---\napiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: merged}\nspec:\n  <<: *base\n`,
        'reject',
        'merge key from another document',
      );
    if (which === 'anchor-only') return textCase(text.replace(/spec:/, 'spec: &s'), 'either', 'an anchor without an alias');
    return textCase(
      'apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: &m {name: loop, labels: *m}\nspec: {}\n',
      'reject',
      'self-referencing alias',
    );
  },
};

const deepText: Mutator = {
  name: 'deep-nesting-text',
  weight: 4,
  make(rng, _samples) {
    const depth = rng.pick([40, 65, 1_000, 100_000, 300_000]);
    const style = rng.pick(['flow-seq', 'flow-map', 'block', 'unclosed']);
    let body: string;
    if (style === 'flow-seq') body = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    else if (style === 'flow-map') body = `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    else if (style === 'unclosed') body = '['.repeat(depth);
    else body = Array.from({ length: Math.min(depth, 2_000) }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1';
    return textCase(
      `apiVersion: swarmop.io/v1alpha1\nkind: DockerHost\nmetadata: {name: deep}\nspec:\n  x: ${style === 'block' ? `\n${body.replace(/^/gm, '    ')}` : body}\n`,
      'reject',
      `${style} nesting ${depth}`,
    );
  },
};

const yamlTags: Mutator = {
  name: 'yaml-tags',
  weight: 4,
  make(rng, samples) {
    const text = sampleText(rng, samples);
    const tag = rng.pick([
      '!!binary aGVsbG8=',
      '!!js/function "function(){}"',
      '!!python/object:os.system "id"',
      '!!set {a, b}',
      '!!timestamp 2001-12-14',
      '!!float 1',
      '!!str 1',
      '!custom x',
      '!!omap [a: 1]',
      '!<tag:yaml.org,2002:int> 7',
    ]);
    const lines = text.split('\n');
    const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /:\s+\S/.test(l) && !/^\s*(apiVersion|kind):/.test(l));
    const [line, i] = rng.pick(candidates);
    lines[i] = line.replace(/:\s+.*$/, `: ${tag}`);
    return textCase(lines.join('\n'), 'either', `tag ${tag} at line ${i + 1}`);
  },
};

const documentMarkers: Mutator = {
  name: 'document-markers',
  weight: 3,
  make(rng, samples) {
    const text = sampleText(rng, samples);
    const how = rng.pick(['leading', 'empty-docs', 'end-markers', 'only-comments', 'empty', 'scalar-doc', 'list-doc', 'directive']);
    if (how === 'leading') return textCase(`---\n${text}`, 'accept', 'leading ---');
    if (how === 'empty-docs') return textCase(`---\n---\n${text}\n---\n---\n`, 'accept', 'empty documents around');
    if (how === 'end-markers') return textCase(`${text.split('---\n').join('...\n---\n')}\n...\n`, 'accept', '... end markers');
    if (how === 'only-comments') return textCase('# nothing here\n---\n# still nothing\n', 'reject', 'only comments');
    if (how === 'empty') return textCase('', 'reject', 'empty input');
    if (how === 'scalar-doc') return textCase(`${text}\n---\njust a string\n`, 'reject', 'a scalar document');
    if (how === 'list-doc') return textCase(`- ${text.split('\n').join('\n  ')}\n`, 'reject', 'documents inside a list');
    return textCase(`%YAML 1.1\n---\n${text}`, 'accept', '%YAML directive');
  },
};

const longLine: Mutator = {
  name: 'long-scalar',
  weight: 2,
  make(rng, samples) {
    const size = rng.pick([100_000, 600_000, 17 * 1024 * 1024]);
    const text = sampleText(rng, samples).replace(/(name: )(\S+)/, `$1${'a'.repeat(size)}`);
    return textCase(text, 'reject', `a ${size}-character name`);
  },
};

export const MUTATORS: readonly Mutator[] = [
  setRandomValue,
  changeType,
  deleteField,
  unknownField,
  shellMetacharacters,
  unicodeName,
  validVariation,
  nameLength,
  duplicateObjects,
  kindAndVersion,
  deepObject,
  documentSize,
  manyDocuments,
  systemFields,
  invalidUtf8,
  encodings,
  truncate,
  byteNoise,
  duplicateKey,
  yamlBomb,
  deepText,
  yamlTags,
  documentMarkers,
  longLine,
];

export type { JsonPath };
