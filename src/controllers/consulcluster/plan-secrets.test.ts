/** How a changed secret (gossip key, ACL token) moves through the planner: like any config change. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from './analysis.js';
import { desiredAgents } from './desired.js';
import { plan } from './plan.js';
import { FIXTURE_HOSTS, NOW, fixtureSpec, healthyObservation } from '../../../testing/lab/consul-fixtures.js';

const KEY_A = 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=';
const KEY_B = 'Ek3fZ2lmc2VjcmV0a2V5MTIzNDU2Nzg5MDEyMzQ1Njc=';
const TOKEN = '0b7c5a3e-5d1e-4f0a-9c1b-7a6e2d4f8c10';
const agents = (gossipKey: string) =>
  desiredAgents('datacenter', fixtureSpec({ acl: { enabled: true, defaultPolicy: 'deny' } }), (h) => FIXTURE_HOSTS[h], {
    gossipKey,
    aclToken: TOKEN,
  }).agents;

test('the same secrets read again plan nothing (a secret read twice never restarts an agent)', () => {
  assert.deepEqual(plan(analyze(agents(KEY_A), healthyObservation(agents(KEY_A))), undefined, NOW), {});
});

test('a new gossip key replaces one agent at a time, followers first, the leader last; the reason names hashes, never the key', () => {
  const before = agents(KEY_A);
  const after = agents(KEY_B);
  const obs = healthyObservation(before);
  const order: string[] = [];
  for (let round = 0; round < 4; round++) {
    const p = plan(analyze(after, obs), undefined, NOW);
    if (!p.step) break;
    assert.equal(p.step.type, 'replace');
    if (p.step.type !== 'replace') break;
    assert.match(p.step.found, /^config hash [0-9a-f]{12} != [0-9a-f]{12}$/);
    assert.ok(!JSON.stringify(p).includes(KEY_B) && !JSON.stringify(p).includes(KEY_A));
    assert.equal(p.step.agent.configFile?.content.reveal().includes(KEY_B), true);
    order.push(p.step.agent.node);
    const replaced = p.step.agent;
    obs.containers.find((c) => c.member === replaced.node)!.configHash = replaced.configHash;
  }
  assert.deepEqual(order, ['consul01', 'consul02', 'consulsvr']);
});
