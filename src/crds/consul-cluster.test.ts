import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, formatManifestError, parseManifestText, validateDocuments } from './index.js';

const doc = (wanJoin: string): string => `apiVersion: swarmop.io/v1alpha1
kind: ConsulCluster
metadata: {name: dc2}
spec:
  datacenter: dc2
  image: hashicorp/consul:1.8.7
  servers:
    - {host: h4, node: h4}
${wanJoin}`;

function validate(text: string) {
  const { resources, errors } = validateDocuments(parseManifestText(text, 'dc2.yaml').documents);
  return { spec: resources[0]?.spec as Record<string, unknown> | undefined, errors: errors.map(formatManifestError) };
}

test('wanJoin names other clusters and is kept as given; left out it stays absent (no federation)', () => {
  assert.deepEqual(validate(doc('  wanJoin: [datacenter, dc3]\n')).spec?.wanJoin, ['datacenter', 'dc3']);
  const { spec, errors } = validate(doc(''));
  assert.deepEqual(errors, []);
  assert.equal('wanJoin' in spec!, false);
});

test('a cluster that WAN-joins itself is refused at the entry, with its position', () => {
  assert.deepEqual(validate(doc('  wanJoin:\n    - datacenter\n    - dc2\n')).errors, [
    'dc2.yaml:11:7: spec.wanJoin[1]: a ConsulCluster cannot WAN-join itself ("dc2" is this cluster\'s name)',
  ]);
});

test('wanJoin entries are DNS labels, listed once', () => {
  assert.deepEqual(validate(doc('  wanJoin: [Data_Center]\n')).errors, [
    `dc2.yaml:9:13: spec.wanJoin[0]: "Data_Center" is not a valid name: use lowercase letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label)`,
  ]);
  assert.deepEqual(validate(doc('  wanJoin: [datacenter, datacenter]\n')).errors, [
    'dc2.yaml:9:12: spec.wanJoin: must NOT have duplicate items (items ## 1 and 0 are identical)',
  ]);
});

test('explain documents wanJoin and the WAN status', () => {
  const field = explain('cc.spec.wanJoin');
  assert.match(field, /FIELD: {4}wanJoin <\[\]string>/);
  assert.match(field, /-retry-join-wan/);
  assert.match(field, /WanFederated/);
  assert.match(explain('cc.status.wan'), /servers\s+<\[\]Object>/);
});
