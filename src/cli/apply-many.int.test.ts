/**
 * `apply` of hundreds of documents through main(argv) against a REAL Consul that lets one address
 * hold only 24 connections (Consul's default is 200, shared by every swarmop process on a host):
 * a first apply and a re-apply that changes every spec (which reads each object's revisions) stay
 * within it. Apply once read one key per object all at once, and Consul reset the connections.
 * A manifest too large to store with its last-applied record is refused at its position.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsulAgentHandle } from '../../testing/harness/consul-agent.js';
import { useRealConsul } from '../../testing/harness/real-consul.js';
import { captureIo } from '../../testing/util/capture-io.js';
import { main } from './main.js';

let agent: ConsulAgentHandle;
useRealConsul((a) => (agent = a), { maxConnsPerClient: 24 });

async function apply(prefix: string, yaml: string) {
  const io = captureIo({ env: { CONSUL_HTTP_ADDR: agent.address, SWARMOP_PREFIX: prefix }, stdin: yaml });
  const code = await main(['apply', '-f', '-'], io);
  return { code, out: io.out, err: io.err };
}

const hosts = (count: number, port: number): string =>
  Array.from(
    { length: count },
    (_, i) => `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: host-${i}
spec:
  endpoint: tcp://10.1.${i >> 8}.${i & 255}:${port}
  address: 10.1.${i >> 8}.${i & 255}
`,
  ).join('---\n');

test('300 documents are applied, and re-applied with every spec changed, within 24 connections', async () => {
  const created = await apply('many/', hosts(300, 2375));
  assert.equal(created.err, '');
  assert.equal(created.code, 0);
  assert.equal(created.out.split('\n').filter((l) => l.endsWith(' created')).length, 300);

  const changed = await apply('many/', hosts(300, 2376));
  assert.equal(changed.err, '');
  assert.equal(changed.code, 0);
  assert.equal(changed.out.split('\n').filter((l) => l.endsWith(' configured')).length, 300);
});

test('a manifest that fits alone but not with its last-applied record is refused at its position', async () => {
  // 200,000 characters of annotations: 200 KB as a document, about 400 KB with the record.
  const annotations = Array.from({ length: 4 }, (_, i) => `    a${i}: "${'x'.repeat(50_000)}"`).join('\n');
  const yaml = `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: big
  annotations:
${annotations}
spec:
  endpoint: tcp://10.2.0.1:2375
  address: 10.2.0.1
`;
  const res = await apply('big/', yaml);
  assert.equal(res.code, 2);
  assert.match(
    res.err,
    /^<stdin>:1:1: document is \d+ bytes as stored JSON, more than 368640 bytes \(what one Consul transaction can carry\), counting apply's last-applied record/m,
  );
  assert.equal(res.out, '');
});
