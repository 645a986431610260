import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discoveryPolicyRules, operatorPolicyName, operatorPolicyRules, wantedTokens } from './token-policies.js';

test("the operator's policy grants operator, keyring, agent, node and service write, and nothing of acl, key, query or session", () => {
  assert.equal(
    operatorPolicyRules(),
    [
      'operator = "write"',
      'keyring = "write"',
      'agent_prefix "" {',
      '  policy = "write"',
      '}',
      'node_prefix "" {',
      '  policy = "write"',
      '}',
      'service_prefix "" {',
      '  policy = "write"',
      '}',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(operatorPolicyRules(), /\b(acl|key_prefix|key|query|query_prefix|session|session_prefix)\b/);
});

test("the discovery policy writes each SwarmCluster's own folder and sessions, once each, sorted, and no other key", () => {
  assert.equal(
    discoveryPolicyRules(['swarm/docker/swarm/nodes/', 'a/docker/swarm/nodes/', 'swarm/docker/swarm/nodes/']),
    [
      'key_prefix "a/docker/swarm/nodes/" {',
      '  policy = "write"',
      '}',
      'key_prefix "swarm/docker/swarm/nodes/" {',
      '  policy = "write"',
      '}',
      'session_prefix "" {',
      '  policy = "write"',
      '}',
      '',
    ].join('\n'),
  );
  assert.equal(discoveryPolicyRules([]), 'session_prefix "" {\n  policy = "write"\n}\n');
});

test('a folder name cannot break out of its rule: it is quoted as a JSON string', () => {
  assert.match(discoveryPolicyRules(['x" } operator = "write" {/']), /^key_prefix "x\\" } operator = \\"write\\" {\/" \{/);
});

test('wanted: the operator and discovery tokens on their cluster policies, one agent token per node with its node identity', () => {
  const w = wantedTokens('dc', 'datacenter', ['consulsvr', 'consul01'], []);
  assert.deepEqual(
    w.policies.map((p) => p.name),
    ['swarmop-operator-dc', 'swarmop-discovery-dc'],
  );
  assert.equal(operatorPolicyName('dc'), 'swarmop-operator-dc');
  assert.deepEqual(
    w.tokens.map((t) => [t.key, t.policies ?? null, t.nodeIdentity ?? null]),
    [
      ['operator', ['swarmop-operator-dc'], null],
      ['discovery', ['swarmop-discovery-dc'], null],
      ['agents/consulsvr', null, { node: 'consulsvr', datacenter: 'datacenter' }],
      ['agents/consul01', null, { node: 'consul01', datacenter: 'datacenter' }],
    ],
  );
  assert.equal(new Set(w.tokens.map((t) => t.description)).size, w.tokens.length, 'descriptions tell the tokens apart');
});
