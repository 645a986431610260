import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConsulClusterSpec } from '../../crds/consul-cluster.js';
import { memberCertKeys, readClusterTls } from './tls-secrets.js';

const spec: ConsulClusterSpec = {
  datacenter: 'dc1',
  image: 'hashicorp/consul:1.8.7',
  ui: false,
  servers: [{ host: 'h1', node: 's1' }],
  clients: [{ host: 'h2', node: 'c1' }],
  bootstrapExpect: 1,
  dataDir: '/d',
  tls: {
    enabled: true,
    caCertRef: { kvKey: 'sec/ca.pem' },
    agentCertsKvPrefix: 'sec/agents/',
    operatorCertRef: { kvKey: 'sec/op.pem' },
    operatorKeyRef: { kvKey: 'sec/op-key.pem' },
  },
};

test("a member's keys are <prefix>/<node>/cert.pem and key.pem, with or without a trailing slash", () => {
  assert.deepEqual(memberCertKeys('sec/agents/', 's1'), { cert: 'sec/agents/s1/cert.pem', key: 'sec/agents/s1/key.pem' });
  assert.deepEqual(memberCertKeys('sec/agents', 's1'), { cert: 'sec/agents/s1/cert.pem', key: 'sec/agents/s1/key.pem' });
});

test('the first missing key is named, with what it is for; nothing is checked before all are there', async () => {
  const kv = new Map([
    ['sec/ca.pem', 'x'],
    ['sec/op.pem', 'x'],
    ['sec/op-key.pem', 'x'],
    ['sec/agents/s1/cert.pem', 'x'],
    ['sec/agents/s1/key.pem', 'x'],
    ['sec/agents/c1/cert.pem', 'x'],
  ]);
  const read = async (k: string) => kv.get(k);
  assert.equal(
    await readClusterTls(spec, read, () => '10.0.0.1', 0),
    'secret sec/agents/c1/key.pem (tls key of c1) not found in the store',
  );
  kv.delete('sec/op-key.pem');
  assert.equal(await readClusterTls(spec, read, () => '10.0.0.1', 0), 'secret sec/op-key.pem (tls.operatorKeyRef) not found in the store');
});

test('material that is not PEM is a problem that names the CA (the leaves are not checked without a CA)', async () => {
  const read = async () => 'not a pem';
  const t = await readClusterTls(spec, read, () => '10.0.0.1', 0);
  assert.ok(typeof t !== 'string');
  assert.equal(t.problems.length, 1);
  assert.match(t.problems[0]!, /^the CA certificate: not a PEM certificate \(/);
  assert.deepEqual([...t.agents.keys()], ['s1', 'c1']);
});
