import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, parseManifestText, validateDocuments } from './index.js';

const doc = (service: string): string => `apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata: {name: ubuntu114}
spec:
  host: consul01
  container: ubuntu114
  bridge: br0
  address: 192.168.116.114/24
  service:
${service}`;

function specOf(text: string): Record<string, unknown> {
  const { resources, errors } = validateDocuments(parseManifestText(text, 'f.yaml').documents);
  assert.deepEqual(errors, []);
  return resources[0]!.spec as Record<string, unknown>;
}

test('a service block gets the attachment name and no check when only the cluster is given', () => {
  assert.deepEqual(specOf(doc('    consulCluster: datacenter\n')).service, { consulCluster: 'datacenter', name: 'ubuntu114' });
});

test("a tcp check gets Consul's interval and timeout defaults; given values are kept", () => {
  assert.deepEqual(specOf(doc('    consulCluster: dc\n    port: 22\n    check: {tcp: 22}\n')).service, {
    consulCluster: 'dc',
    name: 'ubuntu114',
    port: 22,
    check: { tcp: 22, interval: '10s', timeout: '10s' },
  });
  assert.deepEqual(
    specOf(
      doc(
        '    consulCluster: dc\n    name: web\n    tags: [a, b]\n    meta: {team: ops}\n    check: {http: "http://192.168.116.114:8080/health", interval: 2s, timeout: 1s}\n',
      ),
    ).service,
    {
      consulCluster: 'dc',
      name: 'web',
      tags: ['a', 'b'],
      meta: { team: 'ops' },
      check: { http: 'http://192.168.116.114:8080/health', interval: '2s', timeout: '1s' },
    },
  );
});

test('explain documents the service block and its check', () => {
  const out = explain('sia.spec.service.check.interval');
  assert.match(out, /FIELD: {4}interval <string>/);
  assert.match(out, /Default 10s/);
  assert.match(explain('sia.spec.service'), /consulCluster\s+<string> -required-/);
});
