import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceAddressesSpec, StaticIPAttachmentSpec } from '../crds/index.js';
import { scanByIndex } from './kind-indexes.js';
import { CLAIMS_INDEX, claimCandidates, findConflict, findServiceAddressConflict } from './address-claims.js';

const sia = (name: string, created: string, address: string) => ({
  kind: 'StaticIPAttachment',
  metadata: { name, creationTimestamp: created },
  spec: { host: 'consul01', container: name, bridge: 'br0', address, interface: 'eth1' } as StaticIPAttachmentSpec,
});
const sa = (name: string, created: string, spec: Partial<ServiceAddressesSpec>) => ({
  kind: 'ServiceAddresses',
  metadata: { name, creationTimestamp: created },
  spec: { swarmCluster: 'lab', service: name, bridge: 'br0', interface: 'eth1', ...spec } as ServiceAddressesSpec,
});

test('an attachment newer than a ServiceAddresses claiming its address is refused, naming the ServiceAddresses', () => {
  const web = sa('web', '2024-01-01T00:00:00Z', { addressRange: { from: '10.0.0.50', to: '10.0.0.59', prefixLength: 24 } });
  const a = sia('db', '2024-01-02T00:00:00Z', '10.0.0.55/24');
  // Found through the same index the attachment's reconcile reads: the ServiceAddresses is filed under ip:<address>.
  const candidates = claimCandidates(a.spec, (key) => [
    ...scanByIndex('StaticIPAttachment', CLAIMS_INDEX, key, [a] as never),
    ...scanByIndex('ServiceAddresses', CLAIMS_INDEX, key, [web] as never),
  ]);
  assert.deepEqual(candidates.map((c) => c.metadata.name).sort(), ['db', 'web']);
  assert.equal(
    findConflict(a, candidates)?.message,
    'address 10.0.0.55 is already claimed by serviceaddresses/web (older); nothing was changed',
  );
  assert.equal(findServiceAddressConflict(web, candidates), undefined);
});

test('a ServiceAddresses newer than an attachment or another ServiceAddresses on one of its addresses is refused', () => {
  const a = sia('db', '2024-01-01T00:00:00Z', '10.0.0.51/24');
  const web = sa('web', '2024-01-02T00:00:00Z', { addresses: ['10.0.0.50/24', '10.0.0.51/24'] });
  assert.equal(
    findServiceAddressConflict(web, [a, web])?.message,
    'address 10.0.0.51 is already claimed by staticipattachment/db (older); nothing was changed',
  );
  const api = sa('api', '2024-01-03T00:00:00Z', { addresses: ['10.0.0.50/24'] });
  assert.equal(
    findServiceAddressConflict(api, [web, api])?.message,
    'address 10.0.0.50 is already claimed by serviceaddresses/web (older); nothing was changed',
  );
  // An attachment and a ServiceAddresses of one name are two objects.
  const same = sa('db', '2024-01-02T00:00:00Z', { addresses: ['10.0.0.51/24'] });
  assert.equal(findServiceAddressConflict(same, [a, same])?.with, 'db');
  assert.equal(findServiceAddressConflict(sa('x', '2024-01-02T00:00:00Z', { addresses: ['10.0.0.99/24'] }), [a, web]), undefined);
});
