/**
 * `swarmop adopt` in-process: its flags, input errors as apply reports them, the exit codes, the
 * two output forms, and that it never opens the store. The per-kind verdicts are tested beside each
 * kind's adoption module; against a real engine in src/cli/adopt/adopt-engine.int.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../main.js';
import { captureIo } from '../../../testing/util/capture-io.js';
import type { OpenStore } from '../program/cli-context.js';
import type { AdoptionFinding } from '../../controllers/adoption-finding.js';
import { adoptionExitCode } from './adopt.js';
import { adoptionTable } from '../adopt/adoption-printer.js';

const noStore: OpenStore = () => assert.fail('adopt --dry-run must not open the store');

/** Only a unix socket that does not exist: nothing is dialled on any network. */
const HOST = `apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata: {name: h1}
spec: {endpoint: "unix:///run/swarmop-adopt-test-none/docker.sock", address: 10.1.0.2}
`;
const SIA = `apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata: {name: web1}
spec: {host: h1, container: web1, bridge: br0, address: 10.1.0.14/24}
`;
const SWARM = `apiVersion: swarmop.io/v1alpha1
kind: SwarmCluster
metadata: {name: swarm}
spec: {managers: [h1]}
`;
const CONSUL = `apiVersion: swarmop.io/v1alpha1
kind: ConsulCluster
metadata: {name: dc}
spec: {datacenter: dc, image: "hashicorp/consul:1.8.7", servers: [{host: h1, node: h1}]}
`;

async function run(argv: string[], stdin = '') {
  const io = captureIo({ stdin });
  const code = await main(argv, io, { openStore: noStore });
  return { code, out: io.out, err: io.err };
}

test('adopt without --dry-run writes nothing and says that apply takes over (exit 2)', async () => {
  const r = await run(['adopt', '-f', '-'], HOST);
  assert.equal(r.code, 2);
  assert.match(r.err, /adopt only reports, with --dry-run; apply takes over/);
  assert.equal(r.out, '');
});

test('an invalid manifest is refused with its position, as apply refuses it, before any host is looked at', async () => {
  const r = await run(['adopt', '--dry-run', '-f', '-'], `${HOST}---\n${SIA.replace('10.1.0.14/24', '10.1.0.300/24')}`);
  assert.equal(r.code, 2);
  assert.match(r.err, /<stdin>:\d+:\d+: .*spec\.address/);
  const o = await run(['adopt', '--dry-run', '-o', 'yaml', '-f', '-'], HOST);
  assert.deepEqual([o.code, /--output must be table or json/.test(o.err)], [2, true]);
});

test('an engine that does not answer and a kind not assessed yet: exit 10, shown in the table and in JSON', async () => {
  const input = `${HOST}---\n${SIA}---\n${SWARM}---\n${CONSUL}`;
  const t = await run(['adopt', '--dry-run', '-f', '-'], input);
  assert.equal(t.code, 10, t.err);
  assert.match(t.out, /^OBJECT\s+HOST\s+VERDICT\s+REASON\n/);
  assert.match(t.out, /^dockerhost\/h1\s+h1\s+unreachable\s+Unreachable$/m);
  assert.match(t.out, /^staticipattachment\/web1\s+h1\s+unreachable\s+HostUnreachable$/m);
  assert.match(t.out, /^swarmcluster\/swarm\s+-\s+unreachable\s+HostUnreachable$/m);
  assert.match(t.out, /^consulcluster\/dc\s+-\s+not-reported$/m);
  assert.match(t.out, /4 objects: 3 unreachable, 1 not-reported\. Nothing was written \(dry run\)\.\n$/);
  const j = await run(['adopt', '--dry-run', '-o', 'json', '-f', '-'], input);
  const doc = JSON.parse(j.out) as { dryRun: boolean; items: AdoptionFinding[]; summary: Record<string, number> };
  assert.equal(j.code, 10);
  assert.equal(doc.dryRun, true);
  assert.deepEqual(
    doc.items.map((i) => [i.kind, i.name, i.verdict]),
    [
      ['DockerHost', 'h1', 'unreachable'],
      ['StaticIPAttachment', 'web1', 'unreachable'],
      ['SwarmCluster', 'swarm', 'unreachable'],
      ['ConsulCluster', 'dc', 'not-reported'],
    ],
  );
  assert.equal(doc.summary['unreachable'], 3);
});

test('exit codes: 9 when anything is blocked, else 10 when anything was not seen, else 0', () => {
  const f = (verdict: AdoptionFinding['verdict']): AdoptionFinding => ({
    kind: 'StaticIPAttachment',
    name: 'a',
    verdict,
    found: [],
    steps: [],
  });
  assert.equal(adoptionExitCode([f('adopt-as-is'), f('would-change')]), 0);
  assert.equal(adoptionExitCode([f('adopt-as-is'), f('unobserved')]), 10);
  assert.equal(adoptionExitCode([f('not-reported'), f('unreachable')]), 10);
  assert.equal(adoptionExitCode([f('unreachable'), f('blocked')]), 9);
});

test("the table lists each object's facts and the steps apply would run", () => {
  const text = adoptionTable([
    {
      kind: 'StaticIPAttachment',
      name: 'ubuntu114',
      host: 'consul01',
      verdict: 'blocked',
      reason: 'InterfaceConflict',
      message: 'eth1 in ubuntu114 exists and was not made by swarmop',
      found: ['eth1 in ubuntu114: veth link, up, 10.0.0.9/24'],
      steps: [],
    },
    {
      kind: 'DockerHost',
      name: 'consul01',
      host: 'consul01',
      verdict: 'would-change',
      found: [],
      steps: ['import the network helper image'],
    },
  ]);
  assert.match(
    text,
    /staticipattachment\/ubuntu114 on consul01: blocked \(InterfaceConflict\)\n {2}eth1 in ubuntu114 exists and was not made by swarmop\n {2}found:\n {4}eth1 in ubuntu114: veth link, up, 10\.0\.0\.9\/24\n/,
  );
  assert.match(text, /dockerhost\/consul01 on consul01: would-change\n {2}apply would:\n {4}import the network helper image\n/);
});
