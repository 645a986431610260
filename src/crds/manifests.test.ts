import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatManifestError, parseManifestText, validateDocuments, type Resource } from './index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifests');

function loadSamples(): Resource[] {
  const resources: Resource[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const parsed = parseManifestText(readFileSync(join(dir, f), 'utf8'), `manifests/${f}`);
    const validated = validateDocuments(parsed.documents);
    const errors = [...parsed.errors, ...validated.errors].map(formatManifestError);
    assert.deepEqual(errors, [], `manifests/${f} must be valid`);
    resources.push(...validated.resources);
  }
  return resources;
}

test('every sample manifest is valid and together they declare the reference topology', () => {
  const names = loadSamples().map((r) => `${r.kind}/${r.metadata.name}`);
  assert.deepEqual(names.sort(), [
    'ConsulCluster/datacenter',
    'DockerHost/consul01',
    'DockerHost/consul02',
    'DockerHost/consulsvr',
    'StaticIPAttachment/ubuntu114',
    'StaticIPAttachment/ubuntu119',
    'SwarmCluster/swarm',
  ]);
});

test('the samples come back with their defaults filled in', () => {
  const byName = new Map(loadSamples().map((r) => [`${r.kind}/${r.metadata.name}`, r]));
  const cc = byName.get('ConsulCluster/datacenter')?.spec;
  assert.equal(cc?.bootstrapExpect, 3);
  assert.equal(cc?.dataDir, '/var/lib/swarmop/consul/datacenter');
  assert.equal(cc?.ui, true);
  const sc = byName.get('SwarmCluster/swarm')?.spec;
  assert.equal(sc?.availability, 'active');
  assert.equal(sc?.prune, false);
  assert.deepEqual(sc?.discovery, { consulCluster: 'datacenter', path: 'swarm', ttl: '20s' });
  assert.equal(byName.get('StaticIPAttachment/ubuntu114')?.spec.interface, 'eth1');
  assert.equal(byName.get('StaticIPAttachment/ubuntu119')?.spec.address, '192.168.116.119/24');
});

test('every example manifest (examples/) is valid', () => {
  const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
  const files = readdirSync(examples).filter((n) => /\.ya?ml$/.test(n));
  assert.ok(files.length > 0, 'examples/ holds manifests');
  for (const f of files) {
    const parsed = parseManifestText(readFileSync(join(examples, f), 'utf8'), `examples/${f}`);
    const validated = validateDocuments(parsed.documents);
    assert.deepEqual([...parsed.errors, ...validated.errors].map(formatManifestError), [], `examples/${f} must be valid`);
    assert.ok(validated.resources.length > 0, `examples/${f} declares something`);
  }
});
