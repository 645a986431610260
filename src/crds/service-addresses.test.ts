import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, KINDS, parseManifestText, resolveKind, slotAddresses, validateDocuments, type Resource } from './index.js';

const doc = (extra: string): string => `apiVersion: swarmop.io/v1alpha1
kind: ServiceAddresses
metadata: {name: web}
spec:
  swarmCluster: lab
  service: web
  bridge: br0
${extra}`;

function validate(text: string) {
  return validateDocuments(parseManifestText(text, 'f.yaml').documents);
}

function messages(text: string): string[] {
  return validate(text).errors.map((e) => `${e.path}: ${e.message}`);
}

test('a list of addresses is accepted and defaulted with the interface', () => {
  const { resources, errors } = validate(doc('  addresses: [10.0.0.50/24, 10.0.0.51/24]\n  gateway: 10.0.0.1\n'));
  assert.deepEqual(errors, []);
  assert.deepEqual(resources[0]!.spec, {
    swarmCluster: 'lab',
    service: 'web',
    bridge: 'br0',
    addresses: ['10.0.0.50/24', '10.0.0.51/24'],
    gateway: '10.0.0.1',
    interface: 'eth1',
  });
});

test('a range expands to one address per slot, in order', () => {
  const { resources, errors } = validate(doc('  addressRange: {from: 10.0.0.50, to: 10.0.0.52, prefixLength: 24}\n'));
  assert.deepEqual(errors, []);
  assert.deepEqual(slotAddresses(resources[0]!.spec as never), ['10.0.0.50/24', '10.0.0.51/24', '10.0.0.52/24']);
});

test('errors name the field: neither or both address forms, duplicates, reversed range, gateway outside, network address', () => {
  assert.match(messages(doc('')).join('\n'), /spec: exactly one of spec.addresses and spec.addressRange must be set/);
  assert.match(
    messages(doc('  addresses: [10.0.0.50/24]\n  addressRange: {from: 10.0.0.50, to: 10.0.0.52, prefixLength: 24}\n')).join('\n'),
    /exactly one of/,
  );
  assert.match(
    messages(doc('  addresses: [10.0.0.50/24, 10.0.0.50/24]\n')).join('\n'),
    /spec\.addresses\[1\]: address 10\.0\.0\.50 is listed twice \(also spec\.addresses\[0\]\)/,
  );
  assert.match(
    messages(doc('  addressRange: {from: 10.0.0.52, to: 10.0.0.50, prefixLength: 24}\n')).join('\n'),
    /spec\.addressRange\.to: 10\.0\.0\.50 is before from \(10\.0\.0\.52\)/,
  );
  assert.match(
    messages(doc('  addressRange: {from: 10.0.0.250, to: 10.0.1.3, prefixLength: 24}\n')).join('\n'),
    /spec\.addressRange: 10\.0\.0\.250 and 10\.0\.1\.3 are not in one \/24 subnet/,
  );
  assert.match(
    messages(doc('  addresses: [10.0.0.50/24]\n  gateway: 10.0.1.1\n')).join('\n'),
    /spec\.gateway: gateway 10\.0\.1\.1 is outside the subnet 10\.0\.0\.0\/24 of address 10\.0\.0\.50\/24/,
  );
  assert.match(
    messages(doc('  addresses: [10.0.0.0/24]\n')).join('\n'),
    /spec\.addresses\[0\]: 10\.0\.0\.0\/24 is the network address of 10\.0\.0\.0\/24/,
  );
  assert.match(messages(doc('  addresses: [10.0.0.300/24]\n')).join('\n'), /spec\.addresses\[0\]/);
});

test('short names sa and svcaddr resolve; explain documents the addresses; get shows n/m attached', () => {
  assert.equal(resolveKind('sa')?.kind, 'ServiceAddresses');
  assert.equal(resolveKind('svcaddr')?.kind, 'ServiceAddresses');
  assert.equal(resolveKind('serviceaddresses')?.kind, 'ServiceAddresses');
  assert.match(explain('sa'), /KIND: +ServiceAddresses/);
  assert.match(explain('sa.spec.addressRange.prefixLength'), /Prefix length of every address/);
  const kind = KINDS.find((k) => k.kind === 'ServiceAddresses')!;
  const col = kind.printerColumns.find((c) => c.name === 'ATTACHED')!;
  const r = {
    apiVersion: 'swarmop.io/v1alpha1',
    kind: 'ServiceAddresses',
    metadata: { name: 'web' },
    spec: {},
    status: { attached: 3, tasks: 3 },
  } as unknown as Resource;
  assert.equal(col.value(r), '3/3 attached');
  assert.equal(col.value({ ...r, status: {} } as Resource), '<none>');
});
