import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ObjectIndex } from '../runtime/object-index.js';
import { CLAIMS_INDEX, claimCandidates, claimKeys, findConflict } from './address-claims.js';
import type { AttachmentSpec } from './staticipattachment/desired.js';

function sia(name: string, created: string, spec: Partial<AttachmentSpec> = {}) {
  return {
    metadata: { name, creationTimestamp: created },
    spec: { host: 'consul01', container: name, bridge: 'br0', address: '192.168.116.114/24', interface: 'eth1', ...spec } as AttachmentSpec,
  };
}

test('the newer of two attachments claiming one IP is refused, on any host', () => {
  const old = sia('a', '2024-01-01T00:00:00Z', { host: 'consul02' });
  const young = sia('b', '2024-01-02T00:00:00Z', { address: '192.168.116.114/16' });
  assert.match(findConflict(young, [old, young])?.message ?? '', /192\.168\.116\.114 is already claimed by staticipattachment\/a/);
  assert.equal(findConflict(old, [old, young]), undefined);
});

test('same creation time: the name decides', () => {
  const a = sia('a', '2024-01-01T00:00:00Z');
  const b = sia('b', '2024-01-01T00:00:00Z');
  assert.equal(findConflict(a, [a, b]), undefined);
  assert.equal(findConflict(b, [a, b])?.with, 'a');
});

test('the same container interface on the same host is a conflict even with different IPs', () => {
  const a = sia('a', '2024-01-01T00:00:00Z', { container: 'web' });
  const b = sia('b', '2024-01-02T00:00:00Z', { container: 'web', address: '192.168.116.115/24', interface: 'eth1' });
  assert.match(findConflict(b, [a, b])?.message ?? '', /eth1 of container web on consul01/);
  const c = sia('c', '2024-01-02T00:00:00Z', { container: 'web', address: '192.168.116.116/24', interface: 'eth2' });
  assert.equal(findConflict(c, [a, c]), undefined, 'another interface of the same container is fine');
  const d = sia('d', '2024-01-02T00:00:00Z', { container: 'web', host: 'consul02', address: '192.168.116.117/24' });
  assert.equal(findConflict(d, [a, d]), undefined, 'same container name on another host is fine');
});

test('distinct addresses and containers do not conflict', () => {
  const a = sia('ubuntu114', '2024-01-01T00:00:00Z');
  const b = sia('ubuntu119', '2024-01-02T00:00:00Z', { host: 'consul02', address: '192.168.116.119/24' });
  assert.equal(findConflict(b, [a, b]), undefined);
});

test('of several older claims the oldest wins, whichever way each conflicts and in any order', () => {
  const self = sia('z', '2024-01-05T00:00:00Z', { container: 'web', address: '192.168.116.50/24' });
  const sameIp = sia('b', '2024-01-02T00:00:00Z', { container: 'other', address: '192.168.116.50/16' });
  const sameIface = sia('a', '2024-01-03T00:00:00Z', { container: 'web', address: '192.168.116.51/24' });
  const oldestUnrelated = sia('c', '2024-01-01T00:00:00Z', { container: 'db', address: '192.168.116.52/24' });
  const younger = sia('y', '2024-01-06T00:00:00Z', { container: 'web', address: '192.168.116.50/24' });
  for (const order of [
    [sameIp, sameIface, oldestUnrelated, younger, self],
    [self, younger, oldestUnrelated, sameIface, sameIp],
  ]) {
    assert.deepEqual(findConflict(self, order), {
      with: 'b',
      message: 'address 192.168.116.50 is already claimed by staticipattachment/b (older); nothing was changed',
    });
  }
  const onlyIface = [sameIface, oldestUnrelated, younger, self];
  assert.equal(
    findConflict(self, onlyIface)?.message,
    'eth1 of container web on consul01 is already claimed by staticipattachment/a (older); nothing was changed',
  );
});

test('an edited address is compared as edited (parsed addresses are remembered per spec object only)', () => {
  const a = sia('a', '2024-01-01T00:00:00Z', { address: '192.168.116.60/24' });
  const b = sia('b', '2024-01-02T00:00:00Z', { address: '192.168.116.61/24' });
  assert.equal(findConflict(b, [a, b]), undefined);
  const edited = { ...a, spec: { ...a.spec, address: '192.168.116.61/24' } };
  assert.equal(findConflict(b, [edited, b])?.with, 'a');
});

test('the claims index finds the same conflict as a scan of every attachment (random sets, edits and deletes)', () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  // Few addresses, hosts and containers, so that conflicts of both kinds are common.
  const randomSia = (name: string) =>
    sia(name, `2024-01-0${1 + random(3)}T00:00:00Z`, {
      host: `h${random(2)}`,
      container: `c${random(4)}`,
      interface: random(2) === 0 ? 'eth1' : 'eth2',
      address: random(5) === 0 ? 'not-an-address' : `10.0.0.${1 + random(6)}/${random(2) === 0 ? 24 : 16}`,
    });
  const objectIndex = new ObjectIndex<ReturnType<typeof sia>>({
    identity: () => String(random(1e9)),
    indexers: { [CLAIMS_INDEX]: (a) => claimKeys(a.spec) },
  });
  let conflicts = 0;
  for (let step = 0; step < 300; step++) {
    const name = `s${random(25)}`;
    objectIndex.patch([[name, random(6) === 0 ? undefined : randomSia(name)]], step);
    const all = objectIndex.list();
    for (const self of all) {
      const scanned = findConflict(self, all);
      const indexed = findConflict(
        self,
        claimCandidates(self.spec, (key) => objectIndex.byIndex(CLAIMS_INDEX, key)),
      );
      assert.deepEqual(indexed, scanned, `step ${step}, ${self.metadata.name}`);
      if (scanned) conflicts++;
    }
  }
  assert.ok(conflicts > 500, `the random sets held conflicts to compare (${conflicts})`);
});
